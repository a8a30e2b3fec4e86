import { describe, expect, it } from 'vitest';
import type { SendResult } from '../../src/callback/emitter.js';
import { MessageQueue, type QueuedMessage } from '../../src/callback/message-queue.js';

const msg = (text: string): QueuedMessage => ({ action: 'next', body: Buffer.from(text) });

/** A send the test answers by hand, one message at a time. */
function handSend() {
  const calls: { text: string; answer: (r: SendResult) => void }[] = [];
  const send = (m: QueuedMessage) =>
    new Promise<SendResult>((resolve) => calls.push({ text: m.body.toString(), answer: resolve }));
  return { calls, send };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('a callback outbox', () => {
  it('holds messages until started, then sends one at a time in order', async () => {
    const { calls, send } = handSend();
    const events: string[] = [];
    const q = new MessageQueue(send, {
      sending: (m) => events.push(`sending ${m.body.toString()}`),
      idle: () => events.push('idle'),
      failed: () => events.push('failed'),
    });
    q.push(msg('a'));
    q.push(msg('b'));
    await tick();
    expect(calls).toHaveLength(0);
    q.start();
    q.push(msg('c'));
    await tick();
    expect(calls.map((c) => c.text)).toEqual(['a']); // b waits for a's answer
    expect(q.busy).toBe(true);
    calls[0]!.answer({ outcome: 'ok', status: 200 });
    await tick();
    calls[1]!.answer({ outcome: 'ok', status: 200 });
    await tick();
    calls[2]!.answer({ outcome: 'ok', status: 200 });
    await q.drained();
    expect(calls.map((c) => c.text)).toEqual(['a', 'b', 'c']);
    expect(events).toEqual(['sending a', 'sending b', 'sending c', 'idle']);
    expect(q.busy).toBe(false);
  });

  it('stops at the first message that fails for good and drops the rest', async () => {
    const { calls, send } = handSend();
    const failures: SendResult[] = [];
    const q = new MessageQueue(send, {
      sending: () => undefined,
      idle: () => undefined,
      failed: (r) => failures.push(r),
    });
    q.start();
    q.push(msg('a'));
    q.push(msg('b'));
    await tick();
    calls[0]!.answer({ outcome: 'not_found', status: 404 });
    await q.drained();
    expect(failures).toEqual([{ outcome: 'not_found', status: 404 }]);
    expect(q.stopped).toBe(true);
    q.push(msg('c'));
    await tick();
    expect(calls.map((c) => c.text)).toEqual(['a']);
  });

  it('counts the bytes not yet answered, and can drop what waits behind the message in flight', async () => {
    const { calls, send } = handSend();
    const q = new MessageQueue(send, { sending: () => undefined, idle: () => undefined, failed: () => undefined });
    q.start();
    q.push(msg('aaaa'));
    q.push(msg('bb'));
    q.push(msg('c'));
    await tick();
    expect(q.queuedBytes).toBe(7);
    q.discardWaiting();
    expect(q.queuedBytes).toBe(4); // 'aaaa' is in flight and still goes
    q.push(msg('dd'));
    calls[0]!.answer({ outcome: 'ok', status: 200 });
    await tick();
    calls[1]!.answer({ outcome: 'ok', status: 200 });
    await q.drained();
    expect(calls.map((c) => c.text)).toEqual(['aaaa', 'dd']);
    expect(q.queuedBytes).toBe(0);
  });
});
