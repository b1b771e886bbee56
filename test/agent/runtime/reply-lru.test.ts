import { LruList, LruNode } from '../../../lib/agent/reply-lru';

class Node implements LruNode<Node> {
  prev: Node | null = null;
  next: Node | null = null;
  constructor(readonly name: string) {}
}

function order(l: LruList<Node>): string[] {
  const out: string[] = [];
  for (let n = l.head; n; n = n.next) out.push(n.name);
  const back: string[] = [];
  for (let n = l.tail; n; n = n.prev) back.push(n.name);
  expect(back.reverse()).toEqual(out); // links agree in both directions
  expect(out.length).toBe(l.size);
  return out;
}

describe('LruList', () => {
  test('pushFront, touch, unlink and popBack keep most recent first', () => {
    const l = new LruList<Node>();
    const [a, b, c] = ['a', 'b', 'c'].map((n) => new Node(n));
    l.pushFront(a); l.pushFront(b); l.pushFront(c);
    expect(order(l)).toEqual(['c', 'b', 'a']);
    l.touch(a);
    expect(order(l)).toEqual(['a', 'c', 'b']);
    l.touch(a); // already the head
    expect(order(l)).toEqual(['a', 'c', 'b']);
    l.unlink(c);
    expect(order(l)).toEqual(['a', 'b']);
    expect(c.prev).toBeNull();
    expect(c.next).toBeNull();
    expect(l.popBack()).toBe(b);
    expect(l.popBack()).toBe(a);
    expect(l.popBack()).toBeNull();
    expect(order(l)).toEqual([]);
    expect(l.head).toBeNull();
    expect(l.tail).toBeNull();
  });
});
