/**
 * Shutdown in callback mode: the real entry point (src/main.ts) runs as a child process; with
 * callback subscriptions open it gets SIGTERM and must send each one `complete` (with a
 * SHUTTING_DOWN error, so the router's clients subscribe again, landing on another replica)
 * before it exits 0, and stop heartbeats.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CallbackReceiver, subscribeViaCallback } from '../helpers/callback-receiver.js';
import { freePort } from '../helpers/free-port.js';
import { waitUntil } from '../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WATCH = `subscription($refs: [JobRef!]!) { jobStatusChanged(refs: $refs) { rawStatus } }`;

describe('SIGTERM with callback subscriptions open', () => {
  let child: ChildProcess | undefined;
  let receiver: CallbackReceiver | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await receiver?.stop();
  });

  it('completes every one before the process exits 0', { timeout: 60_000 }, async () => {
    receiver = await CallbackReceiver.start();
    const port = await freePort();
    const stderr: string[] = [];
    const stdout: string[] = [];
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'development',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        // Jobs stay LAUNCHING for the whole test: the subscriptions are open at SIGTERM.
        JOBS_SIMULATOR_STEP_MS: '600000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => stdout.push(d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      child!.once('exit', (code) => resolve({ code, at: performance.now() })),
    );
    let ready = false;
    await waitUntil(
      async () =>
        (ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        )) || child!.exitCode !== null,
      30_000,
      100,
    );
    if (!ready) throw new Error(`server did not become ready: ${stderr.join('')}`);

    const url = `http://127.0.0.1:${port}/graphql`;
    const exts = [0, 1, 2].map(() => receiver!.register(1_000));
    await Promise.all(
      exts.map(async (ext, i) => {
        const refs = [{ provider: 'DLI', jobId: `cb-sigterm-${i}` }];
        expect((await subscribeViaCallback(url, WATCH, { refs }, ext)).body).toEqual({ data: null });
      }),
    );
    for (const ext of exts) {
      await receiver.until(() => receiver!.accepted(ext.subscriptionId).some((m) => m.action === 'next'), 10_000);
    }

    child.kill('SIGTERM');
    const { code, at: exitedAt } = await exited;
    expect(code).toBe(0);
    for (const ext of exts) {
      const messages = receiver.for(ext.subscriptionId);
      const complete = messages.at(-1)!;
      expect(complete).toMatchObject({ action: 'complete', status: 202 });
      expect(complete.body!.errors).toMatchObject([{ extensions: { code: 'SHUTTING_DOWN' } }]);
      expect(complete.at).toBeLessThan(exitedAt);
      expect(messages.filter((m) => m.action === 'next')).toHaveLength(1);
    }
    const log = stdout.join('');
    expect(log).toContain('callback subscription started');
    expect(log).toMatch(
      /"reason":"shutdown".*callback subscription ended|callback subscription ended.*"reason":"shutdown"/,
    );
    // The verifier is never logged.
    for (const ext of exts) expect(log).not.toContain(ext.verifier);
  });
});
