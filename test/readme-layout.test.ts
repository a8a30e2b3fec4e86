/**
 * The README's "Project layout" names every folder and top-level file of src/, and nothing that is
 * not there: a newcomer reads the tree from it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync('README.md', 'utf8');
const block = /## Project layout\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';

/** Entries written as `  name/` or `  name.ts` at the start of a line under `src/`. */
function listedUnderSrc(): string[] {
  const lines = block.split('\n');
  const start = lines.findIndex((l) => l.startsWith('src/'));
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const m = /^ {2}(\S+)/.exec(line);
    if (!m) {
      if (/^\S/.test(line)) break; // the next top-level entry
      continue;
    }
    out.push(m[1]!);
  }
  return out;
}

describe('README project layout', () => {
  it('lists every folder and top-level module of src/', () => {
    const actual = readdirSync('src', { withFileTypes: true }).map((d) => (d.isDirectory() ? `${d.name}/` : d.name));
    const listed = new Set(listedUnderSrc().map((e) => e.split('/')[0] + (e.includes('/') ? '/' : '')));
    expect(actual.filter((name) => !listed.has(name)).sort()).toEqual([]);
  });

  it('names only paths that exist', () => {
    const missing = listedUnderSrc().filter((entry) => !existsSync(`src/${entry}`));
    const topLevel = [...block.matchAll(/^(\S+)/gm)].map((m) => m[1]!).filter((p) => !existsSync(p));
    expect([...missing, ...topLevel]).toEqual([]);
  });
});
