import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { projectRoot } from './helpers/process.js';

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });

// Comments are left out: prose may say "any" freely.
const withoutComments = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
const files = sourceFiles(join(projectRoot, 'src')).map((path) => ({
  path: relative(projectRoot, path),
  text: withoutComments(readFileSync(path, 'utf8')),
}));

t.test('only src/config.ts reads process.env', async (t) => {
  const readers = files.filter((f) => /process\.env\b/.test(f.text)).map((f) => f.path);
  t.same(readers, ['src/config.ts']);
});

t.test('no module in src uses the any type', async (t) => {
  const offenders = files.filter((f) => /(:\s*any\b|\bas any\b|<any>)/.test(f.text)).map((f) => f.path);
  t.same(offenders, []);
});

t.test('src has no catch-all folders', async (t) => {
  const catchAll = files.filter((f) => /^src\/(.*\/)?(utils|helpers|common|misc)\//.test(f.path)).map((f) => f.path);
  t.same(catchAll, []);
});
