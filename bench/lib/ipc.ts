/**
 * Request/response over Node's IPC channel between the bench harness and its child processes.
 * Every load generator and every server under test runs in its own process, so the CPU and heap
 * each one reports are its own.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

type Handler = (args: never) => unknown;

interface Request {
  id: number;
  cmd: string;
  args: unknown;
}

/** In a child: answers the parent's requests with `handlers`, then tells it `ready` with `info`. */
export function serve(handlers: Record<string, Handler>, info: unknown = null): void {
  if (!process.send) throw new Error('bench children must be started with an IPC channel');
  process.on('message', (raw: unknown) => {
    const req = raw as Request;
    const handler = handlers[req.cmd];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${req.cmd}`);
        return handler(req.args as never);
      })
      .then(
        (result) => process.send!({ id: req.id, ok: true, result }),
        (err: unknown) =>
          process.send!({ id: req.id, ok: false, error: err instanceof Error ? err.stack : String(err) }),
      );
  });
  // The harness going away must not leave orphans behind.
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true, info });
}

export interface ChildOptions {
  /** Added to the parent's environment; `undefined` removes a variable (e.g. NODE_ENV). */
  env?: Record<string, string | undefined>;
  /** Extra node flags (e.g. --expose-gc, --cpu-prof). */
  nodeArgs?: string[];
  args?: string[];
  /** Keep the child's stdout/stderr (debugging); by default they are dropped. */
  verbose?: boolean;
}

/** A bench child process speaking the `serve` protocol. */
export class Child<Info = unknown> {
  readonly #proc: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #seq = 0;
  readonly ready: Promise<Info>;
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    script: string,
    options: ChildOptions = {},
  ) {
    const path = fileURLToPath(new URL(`../${script}`, import.meta.url));
    const env = { ...process.env, ...options.env };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    this.#proc = fork(path, options.args ?? [], {
      env,
      execArgv: ['--import', 'tsx', ...(options.nodeArgs ?? [])],
      stdio: options.verbose ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    this.#proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4_000);
    });
    this.exited = new Promise((resolve) => this.#proc.once('exit', (code) => resolve(code)));
    this.ready = new Promise<Info>((resolve, reject) => {
      this.#proc.once('exit', (code) => {
        const err = new Error(`${name} exited with ${code}${stderr ? `:\n${stderr}` : ''}`);
        reject(err);
        for (const p of this.#pending.values()) p.reject(err);
      });
      this.#proc.on('message', (raw: unknown) => {
        const msg = raw as { ready?: true; info?: Info; id?: number; ok?: boolean; result?: unknown; error?: string };
        if (msg.ready) return resolve(msg.info as Info);
        const p = this.#pending.get(msg.id!);
        if (!p) return;
        this.#pending.delete(msg.id!);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new Error(`${name}: ${msg.error}`));
      });
    });
    this.ready.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  call<T = unknown>(cmd: string, args: unknown = null): Promise<T> {
    const id = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#proc.send({ id, cmd, args });
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    this.#proc.kill('SIGTERM');
    const t = setTimeout(() => this.#proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}
