/**
 * Redis for tests. The suites that need it run against REDIS_URL_TEST or redis://127.0.0.1:6379.
 * On a laptop without Redis they are skipped with a reason in their name; in CI (CI=true) a
 * missing Redis is a failure, never a silent skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { waitUntil } from './wait.js';

export const TEST_REDIS_URL = process.env.REDIS_URL_TEST ?? 'redis://127.0.0.1:6379';

/** True when something answers PING at the URL within a second. */
export async function redisReachable(url = TEST_REDIS_URL): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port || 6379), hostname);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

/**
 * Decides whether a Redis suite runs. Returns a skip reason (for the suite's title) or null.
 * @throws in CI when Redis is missing, so the run goes red instead of skipping.
 */
export async function redisSkipReason(): Promise<string | null> {
  if (await redisReachable()) return null;
  const reason = `SKIPPED: no Redis at ${TEST_REDIS_URL} (start redis-server or set REDIS_URL_TEST)`;
  if (process.env.CI === 'true') throw new Error(`Redis suites must run in CI, but ${reason}`);
  return reason;
}

/** A key prefix no other test (or deployment) uses. */
export function uniquePrefix(): string {
  return `jobs-test:${randomUUID().slice(0, 8)}`;
}

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A private redis-server on its own port, for tests that stop and restart Redis. */
export class PrivateRedis {
  #proc: ChildProcess | null = null;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.#proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    let up = false;
    await waitUntil(async () => (up = await redisReachable(this.url)), 10_000, 50);
    if (!up) throw new Error(`redis-server did not start on port ${this.port}`);
  }

  async stop(): Promise<void> {
    const p = this.#proc;
    if (!p) return;
    this.#proc = null;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }
}
