/**
 * SecretReader: literal values, files re-read only when their inode, size or mtime changed and
 * not before `recheckMs`, rotation by rename and symlink swap (as Kubernetes does), and errors that
 * name the value but never contain it. Real temp files, an injected clock.
 */
import {
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobError } from '../../src/errors.js';
import { SecretReader } from '../../src/credentials/secret-source.js';

const RECHECK_MS = 1_000;
const MTIME = new Date('2025-06-01T00:00:00Z');
const OTHER_MTIME = new Date('2025-06-01T00:00:10Z');

let dir: string;
let t: number;
const now = () => t;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'secret-reader-'));
  t = 10_000;
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `content` at `path` (in place, same inode) with a fixed mtime. */
function put(path: string, content: string, mtime = MTIME): void {
  writeFileSync(path, content);
  utimesSync(path, mtime, mtime);
}

function fileReader(path: string, what = 'token of account prod'): SecretReader {
  return new SecretReader({ file: path }, what, { recheckMs: RECHECK_MS, now });
}

async function rejectionOf(promise: Promise<unknown>): Promise<JobError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(JobError);
    return err as JobError;
  }
  throw new Error('expected a rejection');
}

describe('SecretReader: literal values', () => {
  it('returns a literal value as given and says it does not rotate', async () => {
    const reader = new SecretReader({ value: 'literal-secret' }, 'accessKeySecret of account prod', {
      recheckMs: RECHECK_MS,
      now,
    });
    expect(reader.rotates).toBe(false);
    expect(await reader.read()).toBe('literal-secret');
    reader.reload();
    t += 10 * RECHECK_MS;
    expect(await reader.read()).toBe('literal-secret');
  });
});

describe('SecretReader: files', () => {
  it("reads a file's content without surrounding whitespace and says it rotates", async () => {
    const path = join(dir, 'token');
    put(path, '  file-secret-1\n');
    const reader = fileReader(path);
    expect(reader.rotates).toBe(true);
    expect(await reader.read()).toBe('file-secret-1');
  });

  it('does not look at the file again before recheckMs has passed', async () => {
    const path = join(dir, 'token');
    put(path, 'first-secret');
    const reader = fileReader(path);
    await reader.read();
    put(path, 'second-secret-longer', OTHER_MTIME);
    t += RECHECK_MS - 1;
    expect(await reader.read()).toBe('first-secret');
    t += 1;
    expect(await reader.read()).toBe('second-secret-longer');
  });

  it('keeps the value read before when inode, size and mtime are all unchanged', async () => {
    const path = join(dir, 'token');
    put(path, 'aaaa-secret');
    const reader = fileReader(path);
    await reader.read();
    put(path, 'bbbb-secret'); // same inode, same size, mtime set back
    t += RECHECK_MS;
    expect(await reader.read()).toBe('aaaa-secret');
  });

  it('rereads the file when only its mtime changed', async () => {
    const path = join(dir, 'token');
    put(path, 'aaaa-secret');
    const reader = fileReader(path);
    await reader.read();
    put(path, 'bbbb-secret', OTHER_MTIME);
    t += RECHECK_MS;
    expect(await reader.read()).toBe('bbbb-secret');
  });

  it('rereads the file when only its size changed', async () => {
    const path = join(dir, 'token');
    put(path, 'aaaa-secret');
    const reader = fileReader(path);
    await reader.read();
    put(path, 'bbbb-secret-rotated');
    t += RECHECK_MS;
    expect(await reader.read()).toBe('bbbb-secret-rotated');
  });

  it('rereads the file when another file of the same size and mtime was renamed over it', async () => {
    const path = join(dir, 'token');
    put(path, 'aaaa-secret');
    const reader = fileReader(path);
    await reader.read();
    const next = join(dir, 'token.next');
    put(next, 'bbbb-secret');
    renameSync(next, path);
    t += RECHECK_MS;
    expect(await reader.read()).toBe('bbbb-secret');
  });

  it("follows a Kubernetes-style atomic symlink swap of the volume's data directory", async () => {
    // token -> ..data/token, ..data -> ..v1; the kubelet writes ..v2 and swaps ..data in one rename.
    mkdirSync(join(dir, '..v1'));
    mkdirSync(join(dir, '..v2'));
    put(join(dir, '..v1', 'token'), 'aaaa-secret');
    put(join(dir, '..v2', 'token'), 'bbbb-secret');
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(join('..data', 'token'), join(dir, 'token'));
    const reader = fileReader(join(dir, 'token'));
    expect(await reader.read()).toBe('aaaa-secret');
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    t += RECHECK_MS;
    expect(await reader.read()).toBe('bbbb-secret');
  });

  it('looks at the file again at once after reload()', async () => {
    const path = join(dir, 'token');
    put(path, 'first-secret');
    const reader = fileReader(path);
    await reader.read();
    put(path, 'second-secret', OTHER_MTIME);
    reader.reload();
    expect(await reader.read()).toBe('second-secret');
  });

  it('keeps serving the value read before while the file has vanished for a moment', async () => {
    const path = join(dir, 'token');
    put(path, 'first-secret');
    const reader = fileReader(path);
    await reader.read();
    unlinkSync(path);
    t += RECHECK_MS;
    expect(await reader.read()).toBe('first-secret');
    put(path, 'second-secret-longer');
    expect(await reader.read()).toBe('second-secret-longer');
  });
});

describe('SecretReader: errors', () => {
  it('fails with CREDENTIALS_UNAVAILABLE naming the value and the reason when the file is missing', async () => {
    const err = await rejectionOf(fileReader(join(dir, 'absent'), 'OIDC token of account prod').read());
    expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(err.message).toBe('cannot read the OIDC token of account prod file (ENOENT)');
  });

  it('fails with CREDENTIALS_UNAVAILABLE when the file holds only whitespace', async () => {
    const path = join(dir, 'token');
    put(path, ' \n\t\n');
    const err = await rejectionOf(fileReader(path).read());
    expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(err.message).toBe('cannot read the token of account prod file (EMPTY)');
  });

  it('tries the file again on the next read after a failure instead of remembering it', async () => {
    const path = join(dir, 'token');
    const reader = fileReader(path);
    await rejectionOf(reader.read());
    put(path, 'late-secret');
    expect(await reader.read()).toBe('late-secret');
  });

  it('never puts the secret into the error when a file that held it becomes unreadable', async () => {
    const path = join(dir, 'token');
    const secret = 'hunter2-the-real-secret';
    put(path, secret);
    const reader = fileReader(path);
    expect(await reader.read()).toBe(secret);
    rmSync(path);
    mkdirSync(path); // reading a directory fails with EISDIR
    t += RECHECK_MS;
    const err = await rejectionOf(reader.read());
    expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(err.message).toBe('cannot read the token of account prod file (EISDIR)');
    expect(JSON.stringify({ message: err.message, details: err.details, stack: err.stack })).not.toContain(secret);
  });

  it('keeps serving the value read before while a file is emptied for a moment, as a sidecar rewriting it in place does', async () => {
    const path = join(dir, 'token');
    put(path, 'first-secret');
    const reader = fileReader(path);
    await reader.read();
    put(path, '', OTHER_MTIME);
    t += RECHECK_MS;
    expect(await reader.read()).toBe('first-secret');
    put(path, 'second-secret-longer');
    t += RECHECK_MS;
    expect(await reader.read()).toBe('second-secret-longer');
  });
});
