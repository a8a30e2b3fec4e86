import { describe, expect, it } from 'vitest';
import { IndexedHeap } from '../../src/polling/heap.js';
import { mulberry32 } from '../helpers/prng.js';

interface Item {
  key: number;
  heapIndex: number;
}

describe('IndexedHeap', () => {
  it('hands out items in key order through any mix of pushes, removals and re-keyings', () => {
    const rng = mulberry32(7);
    const random = () => rng.next();
    const heap = new IndexedHeap<Item>((a, b) => a.key < b.key);
    const inside = new Set<Item>();
    const out: number[] = [];
    for (let step = 0; step < 5_000; step++) {
      const r = random();
      const some = [...inside][Math.floor(random() * inside.size)];
      if (r < 0.45 || !some) {
        const item = { key: Math.floor(random() * 1_000), heapIndex: -1 };
        heap.push(item);
        inside.add(item);
      } else if (r < 0.6) {
        heap.remove(some);
        inside.delete(some);
        expect(heap.has(some)).toBe(false);
      } else if (r < 0.8) {
        some.key = Math.floor(random() * 1_000);
        heap.update(some);
      } else {
        const min = Math.min(...[...inside].map((i) => i.key));
        const top = heap.pop()!;
        inside.delete(top);
        expect(top.key).toBe(min);
        out.push(top.key);
      }
      expect(heap.size).toBe(inside.size);
    }
    expect(out.length).toBeGreaterThan(500);
  });

  it('ignores removing an item it does not hold, and adds one it is asked to update', () => {
    const heap = new IndexedHeap<Item>((a, b) => a.key < b.key);
    const a = { key: 2, heapIndex: -1 };
    const b = { key: 1, heapIndex: -1 };
    heap.remove(a);
    heap.update(a);
    heap.push(b);
    expect(heap.pop()).toBe(b);
    expect(heap.pop()).toBe(a);
    expect(heap.pop()).toBeUndefined();
  });
});
