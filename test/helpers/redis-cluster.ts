/**
 * A real Redis Cluster for tests: three masters (no replicas) started with `redis-server
 * --cluster-enabled yes` on free loopback ports, each in one temporary directory, joined by
 * `redis-cli --cluster create`. {@link PrivateRedisCluster.stop} kills every process and removes the
 * directory; so does the process's exit, should a test worker die before its afterAll.
 *
 * Start-up is about 2 s, most of it Redis's own: redis-cli waits a second for the nodes to meet,
 * and a master reports the cluster ok only about two seconds after it started.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { redisReachable, type RedisDeployment, type ReplicaLink } from './redis.js';
import { waitUntil } from './wait.js';

const run = promisify(execFile);

/**
 * Whether the Redis Cluster suites run: a skip reason (for the suite's title) or null.
 * @throws in CI when redis-server or redis-cli is missing, so the run goes red instead of skipping.
 */
export function redisClusterSkipReason(): string | null {
  const missing = ['redis-server', 'redis-cli'].filter(
    (bin) => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status !== 0,
  );
  if (missing.length === 0) return null;
  const reason = `SKIPPED: ${missing.join(' and ')} not installed (the Redis Cluster is started by the test)`;
  if (process.env.CI === 'true') throw new Error(`Redis Cluster suites must run in CI, but ${reason}`);
  return reason;
}

/** True when nothing listens on the loopback port. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * `n` client ports whose cluster bus ports (port + 10000, Redis's default, which works on Redis 6
 * and 7 alike) are free too: clients 10000-15999, buses 20000-25999, below Linux's ephemeral range
 * (so an outgoing connection rarely takes one between this check and redis-server's bind) and
 * apart from the other private servers' ports (see the port map in redis.ts).
 */
async function freeClusterPorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) {
    const p = 10_000 + Math.floor(Math.random() * 6_000);
    if (ports.some((q) => q === p || q + 10_000 === p || p + 10_000 === q)) continue;
    if ((await portFree(p)) && (await portFree(p + 10_000))) ports.push(p);
  }
  return ports;
}

interface Node {
  port: number;
  proc: ChildProcess | null;
}

export interface ClusterOptions {
  /** @default 3 */
  masters?: number;
}

export class PrivateRedisCluster implements RedisDeployment {
  readonly #nodes: Node[] = [];
  readonly #dir: string;
  readonly #onExit = () => this.#killNow();
  /** Milliseconds from the first redis-server spawn to every node reporting cluster_state:ok. */
  startMs = 0;

  private constructor(dir: string) {
    this.#dir = dir;
    process.once('exit', this.#onExit);
  }

  /** Starts the cluster; on any failure everything started so far is killed and removed. */
  static async start(options: ClusterOptions = {}): Promise<PrivateRedisCluster> {
    const masters = options.masters ?? 3;
    let lastError: unknown;
    // A port taken between the check and the bind fails one attempt, not the suite.
    for (let attempt = 0; attempt < 3; attempt++) {
      const cluster = new PrivateRedisCluster(await mkdtemp(join(tmpdir(), 'jobs-redis-cluster-')));
      try {
        await cluster.#boot(masters);
        return cluster;
      } catch (err) {
        lastError = err;
        await cluster.stop();
      }
    }
    throw lastError;
  }

  /** Client ports of the masters. */
  get ports(): number[] {
    return this.#nodes.map((n) => n.port);
  }

  /** `redis+cluster://` URL naming every node (as REDIS_URL would), optionally with an ACL user. */
  urlFor(auth?: { username: string; password: string }): string {
    const userInfo = auth ? `${encodeURIComponent(auth.username)}:${encodeURIComponent(auth.password)}@` : '';
    return `redis+cluster://${userInfo}${this.ports.map((p) => `127.0.0.1:${p}`).join(',')}`;
  }

  get url(): string {
    return this.urlFor();
  }

  /**
   * A replica's own way in: an ACL user of its own on every node. Cutting it deletes the user
   * everywhere, which closes its connections and refuses new ones: the replica vanishes from Redis
   * at once, without a goodbye, as a crashed process does (a TCP proxy cannot stand in front of a
   * cluster: the nodes tell clients their own addresses).
   */
  async link(): Promise<ReplicaLink & { username: string }> {
    const auth = { username: `replica-${randomUUID().slice(0, 8)}`, password: randomUUID() };
    await this.onEveryNode('ACL', 'SETUSER', auth.username, 'on', `>${auth.password}`, '~*', '&*', '+@all');
    return {
      username: auth.username,
      url: this.urlFor(auth),
      cut: async () => void (await this.onEveryNode('ACL', 'DELUSER', auth.username)),
    };
  }

  /** Runs a command on one node with redis-cli and returns its raw output. */
  async command(port: number, ...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5_000 });
    return stdout;
  }

  /** Runs a command on every running node. */
  async onEveryNode(...args: string[]): Promise<string[]> {
    return Promise.all(this.#nodes.filter((n) => n.proc).map((n) => this.command(n.port, ...args)));
  }

  /** The port of the master that serves a key's hash slot. */
  async portOf(key: string): Promise<number> {
    const alive = this.#nodes.find((n) => n.proc)!;
    const slot = Number((await this.command(alive.port, 'CLUSTER', 'KEYSLOT', key)).trim());
    for (const line of (await this.command(alive.port, 'CLUSTER', 'NODES')).split('\n')) {
      const [, address, flags, , , , , , ...ranges] = line.split(' ');
      if (!address || !flags?.includes('master')) continue;
      const served = ranges.some((r) => {
        const [from, to = from] = r.split('-').map(Number);
        return from !== undefined && to !== undefined && slot >= from && slot <= to;
      });
      if (served) return Number(address.split('@')[0]!.split(':')[1]);
    }
    throw new Error(`no master serves slot ${slot}`);
  }

  /** Ports of the running nodes holding a connection with this CLIENT SETNAME name (and ACL user). */
  async portsWithClient(name: string, user?: string): Promise<number[]> {
    const alive = this.#nodes.filter((n) => n.proc);
    const lists = await Promise.all(alive.map((n) => this.command(n.port, 'CLIENT', 'LIST')));
    const matches = (line: string) => line.includes(` name=${name} `) && (!user || line.includes(` user=${user} `));
    return alive.filter((_, i) => lists[i]!.split('\n').some(matches)).map((n) => n.port);
  }

  /** Kills one node as a crash would (SIGKILL). */
  async kill(port: number): Promise<void> {
    const node = this.#nodes.find((n) => n.port === port);
    const proc = node?.proc;
    if (!node || !proc) return;
    node.proc = null;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    process.removeListener('exit', this.#onExit);
    await Promise.all(this.#nodes.map((n) => this.kill(n.port)));
    await rm(this.#dir, { recursive: true, force: true });
  }

  async #boot(masters: number): Promise<void> {
    const began = Date.now();
    for (const port of await freeClusterPorts(masters)) {
      const node: Node = { port, proc: null };
      this.#nodes.push(node);
      const proc = spawn(
        'redis-server',
        [
          ...['--port', String(port), '--bind', '127.0.0.1', '--dir', this.#dir, '--logfile', `${port}.log`],
          ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
          // A killed node is marked failed within a second; the other masters keep serving their slots.
          ...['--cluster-node-timeout', '1000', '--cluster-require-full-coverage', 'no'],
          ...['--save', '', '--appendonly', 'no'],
        ],
        { stdio: 'ignore' },
      );
      node.proc = proc;
      // A node that exits by itself (a port taken after all) no longer counts as running.
      proc.once('exit', () => {
        if (node.proc === proc) node.proc = null;
      });
    }
    for (const node of this.#nodes) {
      let up = false;
      await waitUntil(async () => (up = await redisReachable(`redis://127.0.0.1:${node.port}`)), 5_000, 10);
      if (!up) throw new Error(`redis-server did not start on ${node.port}: ${await this.#log(node.port)}`);
    }
    await run(
      'redis-cli',
      ['--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: 20_000 },
    );
    const ok = async () =>
      (await this.onEveryNode('CLUSTER', 'INFO')).every(
        (info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${masters}`),
      );
    let ready = false;
    await waitUntil(async () => (ready = await ok()), 10_000, 20);
    if (!ready) throw new Error('the Redis Cluster did not report cluster_state:ok within 10 s');
    this.startMs = Date.now() - began;
  }

  async #log(port: number): Promise<string> {
    return (await readFile(join(this.#dir, `${port}.log`), 'utf8').catch(() => '(no log)')).slice(-500);
  }

  /** Synchronous cleanup for process exit (no awaiting there). */
  #killNow(): void {
    for (const n of this.#nodes) n.proc?.kill('SIGKILL');
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
