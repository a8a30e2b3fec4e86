/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`, e.g. `BENCH_CPU_PROF=1 npm run bench`):
 * self time by function and by package, heaviest first, as shares of the busy time: idle time and
 * the profiler's own inspector call (the bench starts and stops it through `node:inspector`) are
 * left out, so the shares say where the process's CPU went.
 *   npx tsx bench/profile-summary.ts bench/profiles/<file>.cpuprofile [top]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, Node>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const all = [...self.values()].reduce((a, b) => a + b, 0);

/** Idle, or the inspector session's native call that takes and hands over the profile. */
const notBusy = (id: number) => {
  const f = byId.get(id)!.callFrame;
  if (f.functionName === '(idle)') return true;
  const parent = parentOf.get(id)?.callFrame;
  return parent?.url === 'node:inspector' && parent.functionName === 'post';
};
for (const id of [...self.keys()]) if (notBusy(id)) self.delete(id);
const total = [...self.values()].reduce((a, b) => a + b, 0);

const packageOf = (url: string) => {
  if (!url) return '(native)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return url;
  const src = /\/(src|bench)\/(.*)$/.exec(url);
  return src ? `${src[1]}/${src[2]}` : url;
};

const fns = new Map<string, number>();
const pkgs = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const pkg = packageOf(n.callFrame.url);
  const name = `${n.callFrame.functionName || '(anonymous)'} ${pkg}:${n.callFrame.lineNumber + 1}`;
  fns.set(name, (fns.get(name) ?? 0) + us);
  pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
}
const show = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(
      ([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`,
    )
    .join('\n');
process.stdout.write(
  `busy ${(total / 1000).toFixed(0)} ms of ${(all / 1000).toFixed(0)} ms profiled\n\nby package\n${show(pkgs, 20)}\n\nby function\n${show(fns, top)}\n`,
);
