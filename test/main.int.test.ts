/**
 * `npm start` as a person runs it: stdout is for the server's JSON log lines only (log shippers and
 * `| jq` read it), so anything the UI build prints must go elsewhere, and the first log line says
 * which mode the server runs in.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface StartOutput {
  stdout: string[];
  stderr: string;
}

/** Runs `npm start` until its first JSON stdout line (or `timeoutMs`), then stops it with SIGTERM. */
function startUntilFirstLogLine(timeoutMs: number): Promise<StartOutput> {
  return new Promise((resolve, reject) => {
    // The defaults a person gets (simulator mode), on a free loopback port.
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };
    delete env.NODE_ENV;
    delete env.JOBS_MODE;
    // Own process group, so SIGTERM reaches npm's child (tsx → node) too.
    const child = spawn('npm', ['start'], {
      cwd: ROOT,
      detached: true,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      // Whatever a graceful stop still writes is checked too; SIGKILL if it hangs.
      setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5_000).unref();
    };
    const timer = setTimeout(stop, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.split('\n').slice(0, -1).some(isJson)) stop();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', () => resolve({ stdout: out.split('\n').filter((l) => l.trim() !== ''), stderr }));
  });
}

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

/** npm's own header for each script it runs: `> name@version script` and `> command`. */
const NPM_HEADER = /^> /;

describe('npm start', () => {
  it("writes only JSON log lines to stdout after npm's header, the first saying it runs on the simulator", async () => {
    const { stdout, stderr } = await startUntilFirstLogLine(45_000);
    const lines = stdout.filter((l) => !NPM_HEADER.test(l));
    expect(lines.length, `no log line on stdout; stderr:\n${stderr}`).toBeGreaterThan(0);
    expect(lines.filter((l) => !isJson(l))).toEqual([]);
    const first = JSON.parse(lines[0]!) as { mode?: string; msg?: string };
    expect(first.mode).toBe('simulator');
    expect(first.msg).toContain('running on the built-in SIMULATOR');
  }, 60_000);
});
