import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { jobsSdl } from './fixtures/supergraph.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const printSchema = (...args: string[]) =>
  run(join(ROOT, 'node_modules/.bin/tsx'), ['scripts/print-schema.ts', ...args], { cwd: ROOT });

let server: TestServer;
let live: string;
const dir = mkdtempSync(join(tmpdir(), 'jobs-sdl-'));
beforeAll(async () => {
  server = await startTestServer();
  live = await jobsSdl(server);
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run schema:print', () => {
  it('prints exactly what the running server answers to { _service { sdl } }', async () => {
    const { stdout } = await printSchema();
    expect(stdout).toBe(live);
    expect(stdout).toContain('type DliJob implements CloudJob');
  });

  it('writes the same SDL to the file named by its argument, and nothing to stdout', async () => {
    const file = join(dir, 'jobs.graphql');
    const { stdout } = await printSchema(file);
    expect(stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(live);
  });
});
