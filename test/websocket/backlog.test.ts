import { describe, expect, it } from 'vitest';
import { SlowConsumerBacklog } from '../../src/websocket/backlog.js';

function setup() {
  let buffered = 0;
  const written: string[] = [];
  const backlog = new SlowConsumerBacklog({ buffered: () => buffered, write: (m) => written.push(m.toString()) }, 100);
  return { backlog, written, setBuffered: (n: number) => (buffered = n) };
}

describe('SlowConsumerBacklog', () => {
  it('writes straight through while the client keeps up', () => {
    const { backlog, written } = setup();
    backlog.send(Buffer.from('a'), 's1/job1');
    backlog.send(Buffer.from('b'), 's1/job1');
    expect(written).toEqual(['a', 'b']);
    expect(backlog.size).toBe(0);
  });

  it('keeps only the latest message per subscription and job while the client lags, and never the errors', () => {
    const { backlog, written, setBuffered } = setup();
    setBuffered(500);
    backlog.send(Buffer.from('job1 RUNNING'), 's1/job1');
    backlog.send(Buffer.from('job2 RUNNING'), 's1/job2');
    backlog.send(Buffer.from('error ref3'));
    backlog.send(Buffer.from('job1 SCALING'), 's1/job1');
    backlog.send(Buffer.from('job1 FINISHED'), 's1/job1');
    backlog.send(Buffer.from('other sub job1 FINISHED'), 's2/job1');
    expect(written).toEqual([]);
    expect(backlog.size).toBe(4);
    setBuffered(0);
    backlog.flush();
    expect(written).toEqual(['job2 RUNNING', 'error ref3', 'job1 FINISHED', 'other sub job1 FINISHED']);
  });

  it('keeps order behind held messages even once the socket has room again', () => {
    const { backlog, written, setBuffered } = setup();
    setBuffered(500);
    backlog.send(Buffer.from('first'), 's/j1');
    setBuffered(0);
    backlog.send(Buffer.from('second'), 's/j2');
    expect(written).toEqual([]);
    backlog.flush();
    expect(written).toEqual(['first', 'second']);
  });

  it('stops flushing when the socket fills up again', () => {
    let buffered = 500;
    const written: string[] = [];
    // Each write fills the socket past the threshold.
    const backlog = new SlowConsumerBacklog(
      { buffered: () => buffered, write: (m) => (written.push(m.toString()), (buffered = 500)) },
      100,
    );
    backlog.send(Buffer.from('1'), 'a');
    backlog.send(Buffer.from('2'), 'b');
    buffered = 0;
    backlog.flush();
    expect(written).toEqual(['1']);
    expect(backlog.size).toBe(1);
    buffered = 0;
    backlog.flush();
    expect(written).toEqual(['1', '2']);
  });
});
