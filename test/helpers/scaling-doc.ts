import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { citusSetupSql, fanOutTableMarkdown, placementTableMarkdown } from '../../src/store/distribution.js';
import { projectRoot } from './process.js';

/** docs/scaling.md, whose Citus section is generated from src/store/distribution.ts between marker comments. */
export const scalingDocPath = join(projectRoot, 'docs', 'scaling.md');

const SECTIONS: Record<string, () => string> = {
  placements: placementTableMarkdown,
  'citus-sql': () => ['```sql', citusSetupSql(), '```'].join('\n'),
  'fan-out': fanOutTableMarkdown,
};

/** The document with every generated section replaced by what the classification says now. */
export function renderScalingDoc(current: string): string {
  let text = current;
  for (const [name, render] of Object.entries(SECTIONS)) {
    const open = `<!-- distribution:${name} -->`;
    const close = `<!-- /distribution:${name} -->`;
    const start = text.indexOf(open);
    const end = text.indexOf(close);
    if (start < 0 || end < start) throw new Error(`docs/scaling.md lacks the markers ${open} … ${close}`);
    text = `${text.slice(0, start + open.length)}\n${render()}\n${text.slice(end)}`;
  }
  return text;
}

// `npx tsx test/helpers/scaling-doc.ts` rewrites the generated sections after a change to the classification.
if (process.argv[1]?.endsWith('scaling-doc.ts')) {
  writeFileSync(scalingDocPath, renderScalingDoc(readFileSync(scalingDocPath, 'utf8')));
}
