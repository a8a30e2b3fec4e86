/**
 * A binary min-heap whose items know their own position, so that one can be removed or re-keyed
 * in O(log n) without a search (the poll engine's unwatch and reschedule). An item sits in at most
 * one heap at a time: its `heapIndex` is -1 outside.
 */
export interface HeapItem {
  heapIndex: number;
}

export class IndexedHeap<T extends HeapItem> {
  readonly #items: T[] = [];
  /** True when `a` must come out before `b`. */
  readonly #before: (a: T, b: T) => boolean;

  constructor(before: (a: T, b: T) => boolean) {
    this.#before = before;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  has(item: T): boolean {
    return item.heapIndex >= 0 && this.#items[item.heapIndex] === item;
  }

  push(item: T): void {
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#up(item.heapIndex);
  }

  /** Empties the heap (its items leave it). */
  clear(): void {
    for (const item of this.#items) item.heapIndex = -1;
    this.#items.length = 0;
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top) this.remove(top);
    return top;
  }

  remove(item: T): void {
    const i = item.heapIndex;
    if (!this.has(item)) return;
    const last = this.#items.pop()!;
    item.heapIndex = -1;
    if (last === item) return;
    this.#items[i] = last;
    last.heapIndex = i;
    this.#restore(i);
  }

  /** Puts `item` where its (changed) key belongs, adding it if absent. */
  update(item: T): void {
    if (this.has(item)) this.#restore(item.heapIndex);
    else this.push(item);
  }

  #restore(i: number): void {
    if (!this.#up(i)) this.#down(i);
  }

  /** Returns whether the item moved. */
  #up(i: number): boolean {
    const items = this.#items;
    const item = items[i]!;
    let moved = false;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!this.#before(item, p)) break;
      items[i] = p;
      p.heapIndex = i;
      i = parent;
      moved = true;
    }
    items[i] = item;
    item.heapIndex = i;
    return moved;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.#before(items[right]!, items[left]!) ? right : left;
      const c = items[child]!;
      if (!this.#before(c, item)) break;
      items[i] = c;
      c.heapIndex = i;
      i = child;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
