/**
 * Redis for tests. The suites that need it run against REDIS_URL_TEST or redis://127.0.0.1:6379.
 * On a laptop without Redis they are skipped with a reason in their name; in CI (CI=true) a
 * missing Redis is a failure, never a silent skip.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseRedisUrl } from '../../src/config.js';
import { RedisCoordinator, type RedisCoordinatorOptions } from '../../src/coordination/redis-coordinator.js';
import { TcpProxy } from './tcp-proxy.js';
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

/** A coordinator on the Redis a REDIS_URL-style URL names (one server, Sentinel or a cluster). */
export function coordinatorAt(
  url: string,
  prefix: string,
  options: Omit<RedisCoordinatorOptions, 'target' | 'prefix'> = {},
): RedisCoordinator {
  return new RedisCoordinator({ target: parseRedisUrl(url), prefix, ...options });
}

/** How one replica of a scale-out test reaches Redis, and how the test makes it vanish. */
export interface ReplicaLink {
  /** REDIS_URL for this replica alone. */
  url: string;
  /** Closes the replica's Redis connections and refuses new ones, as a crash would. */
  cut(): Promise<void>;
}

/** A Redis that scale-out tests run replicas against: one server or a cluster. */
export interface RedisDeployment {
  /** Human-readable, e.g. for test titles. */
  readonly url: string;
  link(): Promise<ReplicaLink>;
}

/**
 * One Redis server, each replica through its own TCP proxy ({@link TcpProxy.cut} is the crash).
 * `onClose` receives each proxy's close, for the test's cleanup.
 */
export function viaProxies(url: string, onClose: (close: () => Promise<void>) => void): RedisDeployment {
  return {
    url,
    async link() {
      const proxy = await TcpProxy.start(url);
      onClose(() => proxy.close());
      return { url: proxy.url, cut: async () => proxy.cut() };
    },
  };
}

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * A private redis-server on its own port, for tests that stop and restart Redis.
 *
 * Port map of the private servers, so parallel test files never meet on a port: 10000-15999 and
 * 20000-25999 Redis Cluster nodes and their buses (redis-cluster.ts), 16000-19999
 * test/integration/redis-cluster.int.test.ts, 26000-27999 test/coordination/redis-coordinator.test.ts
 * (28000-28999 master, 29000-29999 Sentinel in coordinator.contract.test.ts; 30000-31499 the
 * Sentinel failover in redis-coordinator.test.ts), 6390-6489 the bench.
 */
export class PrivateRedis {
  #proc: ChildProcess | null = null;
  /** Should the test worker exit without stop() (a failed hook), the server goes with it. */
  readonly #onExit = () => this.#proc?.kill('SIGKILL');
  /** `args`: more redis-server options, e.g. `['--replicaof', '127.0.0.1', '6379']`. */
  constructor(
    readonly port: number,
    readonly args: string[] = [],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.#proc = spawn(
      'redis-server',
      // Its own directory: a replica's full sync writes an RDB file there even with --save ''.
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()]
        .concat(['--repl-diskless-load', 'on-empty-db'])
        .concat(this.args),
      { stdio: 'ignore' },
    );
    process.removeListener('exit', this.#onExit).once('exit', this.#onExit);
    let up = false;
    await waitUntil(async () => (up = await redisReachable(this.url)), 10_000, 50);
    if (!up) throw new Error(`redis-server did not start on port ${this.port}`);
  }

  async stop(): Promise<void> {
    process.removeListener('exit', this.#onExit);
    const p = this.#proc;
    if (!p) return;
    this.#proc = null;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }
}

/**
 * A master (a {@link PrivateRedis}), optionally with a replica, watched by one Sentinel in a
 * temporary directory (Sentinel rewrites its configuration file). `url` is the `redis+sentinel://`
 * form REDIS_URL takes.
 */
export class PrivateSentinel {
  static readonly MASTER = 'jobs-test-master';
  readonly master: PrivateRedis;
  readonly replica: PrivateRedis | null;
  #proc: ChildProcess | null = null;
  #dir: string | null = null;
  readonly #onExit = () => {
    this.#proc?.kill('SIGKILL');
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  };

  constructor(
    masterPort: number,
    readonly port: number,
    options: { replicaPort?: number } = {},
  ) {
    this.master = new PrivateRedis(masterPort);
    this.replica = options.replicaPort
      ? new PrivateRedis(options.replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)])
      : null;
  }

  get url(): string {
    return `redis+sentinel://127.0.0.1:${this.port}/${PrivateSentinel.MASTER}`;
  }

  async start(): Promise<void> {
    await this.master.start();
    if (this.replica) {
      await this.replica.start();
      // Sentinel learns replicas from the master's INFO: its first look must already list this one.
      let linked = false;
      const replicaInfo = async () =>
        (await this.cli(this.replica!.port, 'INFO', 'replication')).includes('master_link_status:up');
      await waitUntil(async () => (linked = await replicaInfo()), 10_000, 20);
      if (!linked) throw new Error('the replica did not connect to the master');
    }
    this.#dir = await mkdtemp(join(tmpdir(), 'jobs-redis-sentinel-'));
    const conf = join(this.#dir, 'sentinel.conf');
    await writeFile(
      conf,
      [
        `port ${this.port}`,
        'bind 127.0.0.1',
        `dir ${this.#dir}`,
        `sentinel monitor ${PrivateSentinel.MASTER} 127.0.0.1 ${this.master.port} 1`,
      ].join('\n'),
    );
    this.#proc = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
    process.once('exit', this.#onExit);
    let up = false;
    await waitUntil(async () => (up = await redisReachable(`redis://127.0.0.1:${this.port}`)), 10_000, 20);
    if (!up) throw new Error(`redis-sentinel did not start on port ${this.port}`);
  }

  /** Port of the master the Sentinel names now. */
  async masterPort(): Promise<number> {
    const reply = await this.cli(this.port, 'SENTINEL', 'get-master-addr-by-name', PrivateSentinel.MASTER);
    return Number(reply.trim().split('\n')[1]);
  }

  /**
   * Forces a failover to the replica (SENTINEL FAILOVER) and waits until the Sentinel names it
   * master. @returns the new master's port.
   */
  async failover(): Promise<number> {
    const target = this.replica?.port;
    if (!target) throw new Error('a failover needs a replica');
    // The Sentinel refuses (NOGOODSLAVE) until it has connected to the replica it saw in the master's INFO.
    await waitUntil(
      async () => (await this.cli(this.port, 'SENTINEL', 'FAILOVER', PrivateSentinel.MASTER)).trim() === 'OK',
      10_000,
      100,
    );
    await waitUntil(async () => (await this.masterPort()) === target, 10_000, 20);
    if ((await this.masterPort()) !== target) throw new Error('the Sentinel did not promote the replica');
    return target;
  }

  async cli(port: number, ...args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
      timeout: 5_000,
    });
    return stdout;
  }

  async stop(): Promise<void> {
    process.removeListener('exit', this.#onExit);
    const p = this.#proc;
    this.#proc = null;
    if (p) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
    }
    await this.replica?.stop();
    await this.master.stop();
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
    this.#dir = null;
  }
}
