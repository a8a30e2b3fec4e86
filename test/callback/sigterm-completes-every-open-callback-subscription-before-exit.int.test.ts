/**
 * Shutdown in callback mode: the real entry point (src/main.ts) runs as a child process; with
 * callback subscriptions open it gets SIGTERM and must send each one `complete` (with a
 * SHUTTING_DOWN error, so the router's clients subscribe again, landing on another replica)
 * before it exits 0, and stop heartbeats.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CallbackReceiver, subscribeViaCallback } from '../helpers/callback-receiver.js';
import { startMainProcess, type MainProcess } from '../helpers/main-process.js';
const WATCH = `subscription($refs: [JobRef!]!) { jobStatusChanged(refs: $refs) { rawStatus } }`;

describe('SIGTERM with callback subscriptions open', () => {
  let server: MainProcess | undefined;
  let receiver: CallbackReceiver | undefined;
  afterAll(async () => {
    server?.kill();
    await receiver?.stop();
  });

  it('completes every one before the process exits 0', { timeout: 60_000 }, async () => {
    receiver = await CallbackReceiver.start();
    // Jobs stay LAUNCHING for the whole test: the subscriptions are open at SIGTERM.
    server = await startMainProcess({ JOBS_SIMULATOR_STEP_MS: '600000' });

    const url = `${server.origin}/graphql`;
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

    server.child.kill('SIGTERM');
    const { code, at: exitedAt } = await server.exited;
    expect(code).toBe(0);
    for (const ext of exts) {
      const messages = receiver.for(ext.subscriptionId);
      const complete = messages.at(-1)!;
      expect(complete).toMatchObject({ action: 'complete', status: 202 });
      expect(complete.body!.errors).toMatchObject([{ extensions: { code: 'SHUTTING_DOWN' } }]);
      expect(complete.at).toBeLessThan(exitedAt);
      expect(messages.filter((m) => m.action === 'next')).toHaveLength(1);
    }
    const log = server.stdout.join('');
    expect(log).toContain('callback subscription started');
    expect(log).toMatch(
      /"reason":"shutdown".*callback subscription ended|callback subscription ended.*"reason":"shutdown"/,
    );
    // The verifier is never logged.
    for (const ext of exts) expect(log).not.toContain(ext.verifier);
  });
});
