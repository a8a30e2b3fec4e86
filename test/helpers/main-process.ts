/**
 * The real entry point (src/main.ts) as a child process on the built-in simulator, for tests of
 * what only a process shows: signals, exit codes, its log lines. Node runs it with tsx's loader
 * (not the tsx CLI, which would leave the server running as a grandchild when killed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitUntil } from './wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface MainProcess {
  child: ChildProcess;
  port: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** What it wrote so far. */
  stdout: string[];
  stderr: string[];
  /** Resolves when it exits, with the time (performance.now()). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  readonly gone: boolean;
  /** SIGKILL unless it already exited (for afterAll). */
  kill(): void;
}

/** A loopback TCP port free right now, for a child process that must be told its port up front. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts src/main.ts in development mode with info logs on a free port, `env` on top, and resolves
 * once `/readyz` answers 200. @throws with its stderr when it exits or is not ready within 30 s.
 */
export async function startMainProcess(env: Record<string, string>): Promise<MainProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'development', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => stdout.push(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  let gone = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => {
      gone = true;
      resolve({ code, signal, at: performance.now() });
    }),
  );
  const origin = `http://127.0.0.1:${port}`;
  let ready = false;
  const readyz = () =>
    fetch(`${origin}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
  await waitUntil(async () => (ready = await readyz()) || gone, 30_000, 100);
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`server did not become ready on port ${port}: ${stderr.join('')}`);
  }
  return {
    child,
    port,
    origin,
    stdout,
    stderr,
    exited,
    get gone() {
      return gone;
    },
    kill: () => {
      if (!gone) child.kill('SIGKILL');
    },
  };
}
