/* eslint-disable no-bitwise */
/** A double-ended queue of whole numbers (request ids) on a growable ring buffer. */
export class IntDeque {
  private buffer = new Int32Array(64);
  private head = 0;
  private size = 0;

  public get length(): number {
    return this.size;
  }

  public peekFront(): number {
    return this.buffer[this.head];
  }

  public pushBack(value: number): void {
    this.grow();
    this.buffer[(this.head + this.size) & (this.buffer.length - 1)] = value;
    this.size++;
  }

  public pushFront(value: number): void {
    this.grow();
    this.head = (this.head - 1 + this.buffer.length) & (this.buffer.length - 1);
    this.buffer[this.head] = value;
    this.size++;
  }

  public popFront(): number {
    const value = this.buffer[this.head];
    this.head = (this.head + 1) & (this.buffer.length - 1);
    this.size--;
    return value;
  }

  /** Removes and returns every element, front first. */
  public drain(): number[] {
    const out: number[] = [];
    while (this.size > 0) out.push(this.popFront());
    return out;
  }

  private grow(): void {
    if (this.size < this.buffer.length) return;
    const next = new Int32Array(this.buffer.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.buffer[(this.head + i) & (this.buffer.length - 1)];
    this.buffer = next;
    this.head = 0;
  }
}

/** A binary min-heap of (key, id) pairs. */
export class MinHeap {
  private keys: number[] = [];
  private ids: number[] = [];

  public get length(): number {
    return this.keys.length;
  }

  public peekKey(): number {
    return this.keys[0];
  }

  public peekId(): number {
    return this.ids[0];
  }

  public push(key: number, id: number): void {
    const keys = this.keys;
    const ids = this.ids;
    let i = keys.length;
    keys.push(key);
    ids.push(id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent] <= key) break;
      keys[i] = keys[parent];
      ids[i] = ids[parent];
      i = parent;
    }
    keys[i] = key;
    ids[i] = id;
  }

  public pop(): number {
    const keys = this.keys;
    const ids = this.ids;
    const top = ids[0];
    const lastKey = keys.pop()!;
    const lastId = ids.pop()!;
    const n = keys.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && keys[child + 1] < keys[child]) child++;
      if (keys[child] >= lastKey) break;
      keys[i] = keys[child];
      ids[i] = ids[child];
      i = child;
    }
    keys[i] = lastKey;
    ids[i] = lastId;
    return top;
  }
}
