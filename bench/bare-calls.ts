/**
 * Bench child: the baseline for "server CPU per provider call". Bare signed GETs to the same fake
 * providers, with undici directly and the project's Huawei signer (src/providers/huawei/sign.ts),
 * then `JSON.parse` of the body: no resilience layers, deadlines, tracing, metrics, logging or
 * mapping. It runs in its own process so the CPU time it reports is only its own, measured the way
 * the server's is: process CPU time over the measured window, divided by the calls made in it.
 */
import { Agent } from 'undici';
import { signHuaweiRequest } from '../src/providers/huawei/sign.js';
import type { ProviderName } from '../src/providers/types.js';
import {
  SIMULATOR_HUAWEI,
  SIMULATOR_HUAWEI_PROJECT_ID,
  SIMULATOR_HUAWEI_REGION,
} from '../src/simulator/credentials.js';
import { serve } from './lib/ipc.js';

/** The Huawei providers and the path of one job's status, as their clients build it. */
const PATHS: Partial<Record<ProviderName, (projectId: string, jobId: string) => string[]>> = {
  DLI: (p, j) => ['v1.0', p, 'jobs', j, 'status'],
  CFW: (p, j) => ['v3', p, 'jobs', j],
  WORKSPACE: (p, j) => ['v2', p, 'job', j],
};
const HUAWEI = Object.keys(PATHS) as ProviderName[];

// As many connections per origin as the server's transport allows (HttpTransport's default).
const agent = new Agent({ connections: 32, keepAliveTimeout: 10_000 });

async function call(endpoints: Record<ProviderName, string>, provider: ProviderName, jobId: string): Promise<unknown> {
  const base = endpoints[provider].replaceAll('{region}', SIMULATOR_HUAWEI_REGION).replace(/\/?$/, '/');
  const url = new URL(base);
  url.pathname += PATHS[provider]!(SIMULATOR_HUAWEI_PROJECT_ID, jobId).map(encodeURIComponent).join('/');
  const { headers } = signHuaweiRequest(
    {
      method: 'GET',
      url,
      headers: { 'Content-Type': 'application/json', 'X-Project-Id': SIMULATOR_HUAWEI_PROJECT_ID },
    },
    SIMULATOR_HUAWEI,
    new Date(),
  );
  const res = await agent.request({ origin: url.origin, path: url.pathname + url.search, method: 'GET', headers });
  const body = JSON.parse(await res.body.text()) as unknown;
  if (res.statusCode !== 200) throw new Error(`${provider} ${jobId}: HTTP ${res.statusCode} ${JSON.stringify(body)}`);
  return body;
}

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

serve({
  /**
   * `rounds` times: `calls` fresh job ids at once (provider i % 3, like the server's 100 refs over
   * its providers), then `pauseMs` of rest, as the harness paces the server's `jobs` queries.
   */
  run: async (a: {
    endpoints: Record<ProviderName, string>;
    prefix: string;
    rounds: number;
    calls: number;
    pauseMs: number;
  }) => {
    const c0 = cpu();
    const t0 = performance.now();
    for (let round = 0; round < a.rounds; round++) {
      await Promise.all(
        Array.from({ length: a.calls }, (_, i) =>
          call(a.endpoints, HUAWEI[i % HUAWEI.length]!, `${a.prefix}${round}-${i}`),
        ),
      );
      if (a.pauseMs) await new Promise((r) => setTimeout(r, a.pauseMs));
    }
    return { cpuUs: cpu() - c0, calls: a.rounds * a.calls, wallMs: performance.now() - t0 };
  },
});
