/**
 * Bench child: a fleet of graphql-ws clients (`graphql-transport-ws` spoken directly over `ws`,
 * so the fleet spends as little CPU as possible on the shared cores). Subscription k rides
 * connection k % connections and watches job k % jobs. It records when every change event arrived,
 * and later turns those into delivery latencies against the fakes' change log.
 */
import WebSocket from 'ws';
import { percentile } from './lib/stats.js';
import { serve } from './lib/ipc.js';

interface Ref {
  provider: string;
  jobId: string;
}
interface Change {
  sentAt: number;
  stepAt: number;
}

const now = () => performance.timeOrigin + performance.now();
const sockets: WebSocket[] = [];
const counters = { nexts: 0, errors: 0, completes: 0, closed: 0, firstEvents: 0 };
const firstSeen = new Set<string>();
// Receipts of change events (not snapshots): job id, sequence, arrival time.
const rJob: string[] = [];
const rSeq: number[] = [];
const rAt: number[] = [];

function onMessage(conn: number, text: string): void {
  const msg = JSON.parse(text) as {
    type: string;
    id?: string;
    payload?: {
      data?: { jobStatusChanged?: { sequence: number; previousState: string | null; job: { jobId: string } } };
    };
  };
  if (msg.type === 'next') {
    counters.nexts++;
    const key = `${conn}:${msg.id}`;
    if (!firstSeen.has(key)) {
      firstSeen.add(key);
      counters.firstEvents++;
      return; // the snapshot: not a change, no latency
    }
    const c = msg.payload?.data?.jobStatusChanged;
    if (c && c.previousState !== null) {
      rJob.push(c.job.jobId);
      rSeq.push(c.sequence);
      rAt.push(now());
    }
  } else if (msg.type === 'error') counters.errors++;
  else if (msg.type === 'complete') counters.completes++;
}

async function open(a: {
  url: string;
  connections: number;
  subscriptions: number;
  jobs: Ref[];
  query: string;
  timeoutMs: number;
}) {
  const started = now();
  const perConn: { id: string; refs: Ref[] }[][] = Array.from({ length: a.connections }, () => []);
  for (let k = 0; k < a.subscriptions; k++)
    perConn[k % a.connections]!.push({ id: `s${k}`, refs: [a.jobs[k % a.jobs.length]!] });
  const connectOne = (conn: number) =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(a.url, 'graphql-transport-ws');
      sockets.push(ws);
      ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
      ws.once('error', reject);
      ws.once('close', () => counters.closed++);
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (text.startsWith('{"type":"connection_ack"')) {
          for (const s of perConn[conn]!)
            ws.send(
              JSON.stringify({ id: s.id, type: 'subscribe', payload: { query: a.query, variables: { refs: s.refs } } }),
            );
          resolve();
          return;
        }
        if (text === '{"type":"ping"}') return ws.send('{"type":"pong"}');
        onMessage(conn, text);
      });
    });
  // Connect in waves so the server's accept queue is not the thing being measured.
  for (let i = 0; i < a.connections; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, a.connections - i) }, (_, j) => connectOne(i + j)));
  }
  const deadline = started + a.timeoutMs;
  while (counters.firstEvents < a.subscriptions && now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return { ms: now() - started, firstEvents: counters.firstEvents, errors: counters.errors };
}

function latency(a: { changes: Record<string, Change[]>; from: number; to: number }) {
  const pipeline: number[] = [];
  const endToEnd: number[] = [];
  let unmatched = 0;
  for (let i = 0; i < rAt.length; i++) {
    const at = rAt[i]!;
    if (at < a.from || at > a.to) continue;
    const change = a.changes[rJob[i]!]?.[rSeq[i]! - 1];
    if (!change) {
      unmatched++;
      continue;
    }
    pipeline.push(at - change.sentAt);
    endToEnd.push(at - change.stepAt);
  }
  pipeline.sort((x, y) => x - y);
  endToEnd.sort((x, y) => x - y);
  return {
    samples: pipeline.length,
    unmatched,
    p50: percentile(pipeline, 50),
    p99: percentile(pipeline, 99),
    max: pipeline.at(-1) ?? NaN,
    endToEndP50: percentile(endToEnd, 50),
    endToEndP99: percentile(endToEnd, 99),
  };
}

serve({
  open,
  counters: () => ({ ...counters, receipts: rAt.length }),
  latency,
  close: async () => {
    const closing = sockets
      .splice(0)
      .map(
        (ws) =>
          new Promise((r) => (ws.readyState === WebSocket.CLOSED ? r(null) : (ws.once('close', r), ws.close(1000)))),
      );
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 5_000))]);
    firstSeen.clear();
    rJob.length = rSeq.length = rAt.length = 0;
    Object.assign(counters, { nexts: 0, errors: 0, completes: 0, closed: 0, firstEvents: 0 });
  },
});
