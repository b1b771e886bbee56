/**
 * Intrusive doubly linked LRU list: nodes carry their own prev/next links, so
 * marking a node as used is a few pointer moves and allocates nothing.
 * Head = most recently used, tail = least recently used.
 */
export interface LruNode<T extends LruNode<T>> {
  prev: T | null;
  next: T | null;
}

export class LruList<T extends LruNode<T>> {
  head: T | null = null;
  tail: T | null = null;
  size = 0;

  /** Insert a node that is not in the list as most recently used. */
  pushFront(node: T): void {
    node.prev = null;
    node.next = this.head;
    if (this.head) this.head.prev = node;
    this.head = node;
    if (!this.tail) this.tail = node;
    this.size++;
  }

  /** Mark a node that is in the list as most recently used. */
  touch(node: T): void {
    if (node === this.head) return;
    this.unlink(node);
    this.pushFront(node);
  }

  /** Remove a node that is in the list. */
  unlink(node: T): void {
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = null;
    node.next = null;
    this.size--;
  }

  /** Remove and return the least recently used node. */
  popBack(): T | null {
    const node = this.tail;
    if (node) this.unlink(node);
    return node;
  }
}
