/**
 * `npm run build:ui` (prestart, pretest) on a copy of the project, so rebuilding here never swaps the
 * real dist-ui/ under other tests: a fresh clone gets its bundle, an unchanged tree is not rebuilt,
 * and a changed source is. The script never writes to stdout, which `npm start` keeps for JSON logs.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

interface Run {
  stdout: string;
  stderr: string;
  ms: number;
}

function buildUi(cwd: string): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(TSX, ['scripts/build-ui.ts'], { cwd, timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`build:ui failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** mtime of every file the build wrote, by path relative to dist-ui/. */
async function outputTimes(dist: string): Promise<Record<string, number>> {
  const times: Record<string, number> = {};
  for (const entry of await readdir(dist, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    times[path.relative(dist, file)] = (await stat(file)).mtimeMs;
  }
  return times;
}

describe('build:ui', () => {
  let copy: string;
  let dist: string;
  let cold: Run;

  beforeAll(async () => {
    copy = await mkdtemp(path.join(tmpdir(), 'build-ui-'));
    dist = path.join(copy, 'dist-ui');
    // What a fresh clone has (no dist-ui/); src/ too, since the page may import shared text from it.
    for (const entry of ['scripts', 'ui', 'src', 'package.json', 'package-lock.json', 'tsconfig.json']) {
      await cp(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
    }
    await symlink(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  });
  afterAll(async () => {
    if (copy) await rm(copy, { recursive: true, force: true });
  });

  it('builds the page on a fresh clone and prints nothing on stdout', async () => {
    cold = await buildUi(copy);
    expect(await readFile(path.join(dist, 'index.html'), 'utf8')).toContain(
      '<script type="module" src="/graphiql/main-',
    );
    expect(cold.stdout).toBe('');
  }, 90_000);

  it('does not rebuild when no input changed', async () => {
    const before = await outputTimes(dist);
    const again = await buildUi(copy);
    expect(await outputTimes(dist)).toEqual(before);
    expect(again.stdout).toBe('');
    // Only tsx's start-up and a hash of a few files: far less than bundling.
    expect(again.ms).toBeLessThan(cold.ms / 2);
  }, 90_000);

  // ui/ itself, and a file outside ui/ that the page imports (esbuild's inputs, not a folder list).
  it.each([
    ['ui/examples.ts', 'A job starts when first asked for', 'A job (changed-7f3a) starts when first asked for'],
    ['src/job-id-syntax.ts', 'Job ids must be', 'Job ids (changed-9c2e) must be'],
  ])(
    'rebuilds when %s changed',
    async (file, from, to) => {
      const source = await readFile(path.join(copy, file), 'utf8');
      expect(source).toContain(from);
      await writeFile(path.join(copy, file), source.replace(from, to));
      const changed = await buildUi(copy);
      expect(changed.stdout).toBe('');
      const main = (await readdir(path.join(dist, 'assets'))).find((f) => /^main-.*\.js$/.test(f));
      expect(main).toBeDefined();
      expect(await readFile(path.join(dist, 'assets', main!), 'utf8')).toContain(/\((changed-\w+)\)/.exec(to)![1]);
    },
    90_000,
  );
});
