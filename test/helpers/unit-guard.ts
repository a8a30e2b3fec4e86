/**
 * Setup file of the `unit` project (vitest.config.ts): a unit test may not listen on a port,
 * open a TCP connection (Redis, a fake provider, fetch to a server) or start a child process.
 * Doing so fails the test with a message saying where such a test belongs, so the fast project
 * stays fast and pure however it grows.
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

const GUARDED = Symbol.for('jobs-subgraph.unit-guard');

function refuse(what: string): never {
  throw new Error(
    `unit tests may not ${what}. Name the file *.int.test.ts (or list it in INTEGRATION in vitest.config.ts) so it runs in the integration project.`,
  );
}

const guarded = globalThis as { [GUARDED]?: true };
if (!guarded[GUARDED]) {
  guarded[GUARDED] = true;
  net.Server.prototype.listen = function listen() {
    refuse('listen on a port (start a server)');
  };
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    // IPC pipes (a path, no port) stay allowed; TCP does not.
    // net.connect() passes its normalized [options, callback] array as the only argument.
    const first: unknown = Array.isArray(args[0]) ? args[0][0] : args[0];
    const tcp = typeof first === 'number' || (typeof first === 'object' && first !== null && 'port' in first);
    if (tcp) refuse('open a TCP connection');
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const) {
    (childProcess as unknown as Record<string, unknown>)[name] = () => refuse(`start a child process (${name})`);
  }
  // Named ESM imports of node:child_process read the patched functions only after this.
  syncBuiltinESMExports();
}
