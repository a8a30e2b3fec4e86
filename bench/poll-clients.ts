/**
 * Bench child: many HTTP clients each asking for one job's status once per second (client i asks
 * for job i % jobs, at offset i ms within every second), the way dashboards poll. The harness
 * compares the queries sent with the provider calls the fakes saw.
 */
import { Agent, request } from 'undici';
import { serve } from './lib/ipc.js';

const QUERY =
  'query Poll($ref: JobRef!) { job(ref: $ref) { __typename ... on CloudJob { id state rawStatus terminal } } }';

async function run(a: { url: string; clients: number; jobs: { provider: string; jobId: string }[]; seconds: number }) {
  const agent = new Agent({ connections: 128, pipelining: 1 });
  const bodies = a.jobs.map((ref) => JSON.stringify({ query: QUERY, variables: { ref } }));
  const result = { sent: 0, ok: 0, failed: 0, graphqlErrors: 0 };
  const inflight = new Set<Promise<void>>();
  const fire = (client: number) => {
    result.sent++;
    const p = request(a.url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: bodies[client % bodies.length]!,
    })
      .then(async (res) => {
        const text = await res.body.text();
        if (res.statusCode !== 200) result.failed++;
        else if (text.includes('"errors"')) result.graphqlErrors++;
        else result.ok++;
      })
      .catch(() => {
        result.failed++;
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  const start = performance.now();
  let next = 0; // next (second, client) slot, flattened
  const total = a.seconds * a.clients;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      while (next < total) {
        const second = Math.floor(next / a.clients);
        const client = next % a.clients;
        if (second * 1000 + (client * 1000) / a.clients > elapsed) break;
        fire(client);
        next++;
      }
      if (next >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  await Promise.all(inflight);
  await agent.close();
  return result;
}

serve({ run });
