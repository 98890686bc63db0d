/**
 * The top self-time frames of a V8 `.cpuprofile` (as `node --cpu-prof` writes it), for the side-by-side
 * benchmark's `--cpu-prof` and by hand: `npx tsx bench/cpu-profile-top.ts FILE.cpuprofile [N]`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Frame { frame: string; selfMs: number; busyShare: number }

/** Frames outside JavaScript and the event loop's idle wait: kept apart from the busy total. */
const IDLE = '(idle)';

function describe(node: CpuProfileNode, trimPrefix: string): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return name;
  let where = url.replace(/^file:\/\//, '');
  const modules = where.lastIndexOf('/node_modules/');
  if (modules >= 0) where = where.slice(modules + 1);
  else if (trimPrefix && where.startsWith(trimPrefix)) where = where.slice(trimPrefix.length).replace(/^\//, '');
  return `${name} ${where}:${lineNumber + 1}`;
}

/** Self time per frame (function + place), summed over every node of that frame, largest first. */
export function topSelfFrames(profile: CpuProfile, n = 15, trimPrefix = ''): { busyMs: number; idleMs: number; frames: Frame[] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  // timeDeltas[i] is the time from sample i-1 to sample i; it is charged to sample i, as Chrome's own reader does.
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    const frame = describe(node, trimPrefix);
    if (frame === IDLE) {
      idleUs += us;
      return;
    }
    busyUs += us;
    selfUs.set(frame, (selfUs.get(frame) ?? 0) + us);
  });
  const frames = [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, busyShare: busyUs > 0 ? us / busyUs : 0 }));
  return { busyMs: busyUs / 1000, idleMs: idleUs / 1000, frames };
}

export function formatTopFrames(file: string, n = 15, trimPrefix = ''): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const top = topSelfFrames(profile, n, trimPrefix);
  const lines = [`${file}: busy ${top.busyMs.toFixed(0)} ms, idle ${top.idleMs.toFixed(0)} ms; top ${n} frames by self time (% of busy)`];
  for (const f of top.frames) lines.push(`  ${f.selfMs.toFixed(0).padStart(7)} ms ${(f.busyShare * 100).toFixed(1).padStart(5)} %  ${f.frame}`);
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, n] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: tsx bench/cpu-profile-top.ts FILE.cpuprofile [N]\n');
    process.exit(2);
  }
  process.stdout.write(formatTopFrames(file, Number(n ?? 15), process.cwd()));
}
