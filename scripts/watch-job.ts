/**
 * Watches jobs over graphql-ws and prints each event: a quick way to see `jobStatusChanged` work.
 *   npx tsx scripts/watch-job.ts DLI my-etl-job [NLB other-job ...]
 * Env: JOBS_URL (default ws://127.0.0.1:4000/graphql).
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const args = process.argv.slice(2);
if (args.length < 2 || args.length % 2 !== 0) {
  process.stderr.write('usage: tsx scripts/watch-job.ts PROVIDER JOB_ID [PROVIDER JOB_ID ...]\n');
  process.exit(2);
}
const refs = [];
for (let i = 0; i < args.length; i += 2) refs.push({ provider: args[i], jobId: args[i + 1] });

const client = createClient({
  url: process.env.JOBS_URL ?? 'ws://127.0.0.1:4000/graphql',
  webSocketImpl: WebSocket,
  retryAttempts: 0,
});
const query = `subscription($refs: [JobRef!]!) {
  jobStatusChanged(refs: $refs) { at sequence previousState state rawStatus terminal job { ... on CloudJob { id } } }
}`;

client.subscribe(
  { query, variables: { refs } },
  {
    next: (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    error: (err) => {
      process.stderr.write(`subscription failed: ${err instanceof Error ? err.message : JSON.stringify(err)}\n`);
      process.exit(1);
    },
    complete: () => {
      process.stdout.write('complete: every job reached a terminal state\n');
      void client.dispose();
    },
  },
);
