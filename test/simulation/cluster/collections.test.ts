import { IntDeque, MinHeap } from '../../../src/simulation/cluster/collections';

describe('collections', () => {
  test('IntDeque keeps order at both ends and grows', () => {
    const deque = new IntDeque();
    for (let i = 0; i < 100; i++) deque.pushBack(i);
    deque.pushFront(-1);
    expect(deque.length).toBe(101);
    expect(deque.popFront()).toBe(-1);
    expect(deque.peekFront()).toBe(0);
    expect(deque.drain()).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(deque.length).toBe(0);
  });

  test('MinHeap pops the smallest key first', () => {
    const heap = new MinHeap();
    const keys = [5, 3, 9, 1, 7, 1, 8];
    keys.forEach((k, i) => heap.push(k, i));
    const popped: number[] = [];
    while (heap.length > 0) {
      popped.push(heap.peekKey());
      heap.pop();
    }
    expect(popped).toEqual([...keys].sort((a, b) => a - b));
  });
});
