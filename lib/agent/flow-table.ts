/**
 * Flow table: key = GWLB flow cookie + inner 5-tuple (IP version, protocol, addresses, ports).
 *
 * Layout: struct-of-arrays over preallocated typed arrays indexed by slot (1..capacity, 0 = none),
 * separate chaining from a power-of-two bucket array, and two doubly linked LRU lists (TCP and
 * other) ordered by last use. Because every flow in a list has the same idle timeout, the tail of
 * each list is its next flow to expire, so sweep() is O(expired) and can stop after a budget. When
 * the table is full the least recently used flow of the two tails is evicted. A lookup of an
 * existing flow allocates nothing.
 * About 85 bytes per flow (1,000,000 flows ~ 85 MB; pages are committed as slots get used), 8 more
 * with `shared`.
 *
 * The 5-tuple is stored in canonical order (lower address/port endpoint first), so both
 * directions of a connection share one entry when GWLB gives them the same cookie. The bucket
 * hash is seeded per table, so an attacker cannot precompute colliding tuples.
 *
 * Idle: a flow is expired when `now - lastSeen >= idle` (TCP `tcpIdleMs`, others `otherIdleMs`).
 * An expired flow found by a lookup is restarted in place (counters and block cleared).
 *
 * With `shared` (several workers, see shared-blocks.ts), block() also publishes the block to every
 * worker, and isBlocked() of a flow this table does not know as blocked asks the shared table, once
 * per flow for each change of the shared generation (a new block anywhere): normally a single
 * Atomics.load per packet. A blocked packet refreshes the shared entry's last-seen time, so the
 * block lives as long as the flow sends, whichever worker sees it. `now` must then be the same
 * clock in every worker (ms since a common epoch).
 */
import { SHARED_TICK_MS, SharedBlockTable } from './shared-blocks';

/** Words per key: cookie, version/protocol, ports, address A (4), address B (4). */
const KEY_WORDS = 11;
const K_COOKIE = 0;
const K_META = 1;
const K_PORTS = 2;
const K_ADDR_A = 3;
const K_ADDR_B = 7;

const FLAG_BLOCKED = 1;
const LIST_OTHER = 0;
const LIST_TCP = 1;
const PROTO_TCP = 6;

export interface FlowTableOptions {
  /** Maximum number of flows; the least recently used is evicted beyond it. */
  readonly maxFlows: number;
  /** Idle timeout of TCP flows, ms. */
  readonly tcpIdleMs: number;
  /** Idle timeout of other flows, ms. */
  readonly otherIdleMs: number;
  /** Hash seed. @default - random */
  readonly seed?: number;
  /** Blocks shared with other workers. @default - blocks are local to this table */
  readonly shared?: SharedBlockTable;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class FlowTable {
  readonly capacity: number;
  readonly tcpIdleMs: number;
  readonly otherIdleMs: number;
  /** Flows currently held (including expired ones not yet swept). */
  size = 0;
  /** Live flows removed to make room. */
  evictions = 0;
  /** Flows removed or restarted because they were idle. */
  expirations = 0;
  /** Set by {@link observe}: whether the returned slot is a new (or restarted) flow. */
  created = false;

  private readonly keys: Uint32Array;
  private readonly lastSeen: Float64Array;
  private readonly packets: Float64Array;
  private readonly bytes: Float64Array;
  private readonly flags: Uint8Array;
  private readonly list: Uint8Array;
  private readonly chain: Int32Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly buckets: Int32Array;
  private readonly bucketMask: number;
  private readonly seed: number;
  private readonly heads = new Int32Array(2);
  private readonly tails = new Int32Array(2);
  private readonly scratch = new Uint32Array(KEY_WORDS);
  private readonly savedKey = new Uint32Array(KEY_WORDS);
  private freeHead = 0;
  private nextUnused = 1;
  private readonly shared: SharedBlockTable | null;
  /** Per slot: the shared generation last checked (0: never), and the shared slot found (-1). */
  private readonly sharedChecked: Int32Array | null;
  private readonly sharedSlot: Int32Array | null;
  /** The `now` of the last observe(), for the shared table's clock. */
  private lastNow = 0;

  constructor(opts: FlowTableOptions) {
    if (!Number.isInteger(opts.maxFlows) || opts.maxFlows < 1 || opts.maxFlows > 0x3fffffff) {
      throw new RangeError(`maxFlows: ${opts.maxFlows} is not an integer >= 1`);
    }
    for (const [name, v] of [['tcpIdleMs', opts.tcpIdleMs], ['otherIdleMs', opts.otherIdleMs]] as const) {
      if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name}: ${v} is not a positive number`);
    }
    const n = opts.maxFlows + 1;
    this.capacity = opts.maxFlows;
    this.tcpIdleMs = opts.tcpIdleMs;
    this.otherIdleMs = opts.otherIdleMs;
    this.keys = new Uint32Array(n * KEY_WORDS);
    this.lastSeen = new Float64Array(n);
    this.packets = new Float64Array(n);
    this.bytes = new Float64Array(n);
    this.flags = new Uint8Array(n);
    this.list = new Uint8Array(n);
    this.chain = new Int32Array(n);
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
    const bucketCount = nextPowerOfTwo(opts.maxFlows);
    this.buckets = new Int32Array(bucketCount);
    this.bucketMask = bucketCount - 1;
    this.seed = (opts.seed ?? Math.floor(Math.random() * 0x100000000)) | 0;
    this.shared = opts.shared ?? null;
    this.sharedChecked = this.shared ? new Int32Array(n) : null;
    this.sharedSlot = this.shared ? new Int32Array(n) : null;
  }

  /**
   * Finds the flow of this packet, creating it if absent (evicting the LRU flow when full) or
   * restarting it if idle; marks it used at `now` and counts one packet of `byteCount` bytes.
   * Sets {@link created}. Returns the slot (>= 1). `src`/`dst`: IPv4 in word 0, IPv6 words 0..3.
   */
  observe(cookie: number, version: number, protocol: number, src: Uint32Array, dst: Uint32Array,
    srcPort: number, dstPort: number, byteCount: number, now: number): number {
    this.stageKey(cookie, version, protocol, src, dst, srcPort, dstPort);
    const bucket = this.hashScratch() & this.bucketMask;
    let slot = this.findInBucket(bucket);
    this.created = false;
    this.lastNow = now;
    if (slot !== 0 && this.isExpired(slot, now)) {
      this.expirations++;
      this.packets[slot] = 0;
      this.bytes[slot] = 0;
      this.flags[slot] = 0;
      this.resetShared(slot);
      this.created = true;
    } else if (slot === 0) {
      slot = this.allocate(now);
      this.keys.set(this.scratch, slot * KEY_WORDS);
      this.chain[slot] = this.buckets[bucket];
      this.buckets[bucket] = slot;
      this.list[slot] = protocol === PROTO_TCP ? LIST_TCP : LIST_OTHER;
      this.flags[slot] = 0;
      this.packets[slot] = 0;
      this.bytes[slot] = 0;
      this.size++;
      this.resetShared(slot);
      this.created = true;
      this.pushFront(slot);
    }
    this.lastSeen[slot] = now;
    this.packets[slot]++;
    this.bytes[slot] += byteCount;
    this.moveToFront(slot);
    return slot;
  }

  /** Finds a live (not idle at `now`) flow without changing anything; returns its slot or 0. */
  find(cookie: number, version: number, protocol: number, src: Uint32Array, dst: Uint32Array,
    srcPort: number, dstPort: number, now: number): number {
    this.stageKey(cookie, version, protocol, src, dst, srcPort, dstPort);
    const slot = this.findInBucket(this.hashScratch() & this.bucketMask);
    return slot !== 0 && !this.isExpired(slot, now) ? slot : 0;
  }

  /** Blocks the flow in `slot` until it idles out (in every worker, with `shared`). */
  block(slot: number): void {
    this.flags[slot] |= FLAG_BLOCKED;
    const shared = this.shared;
    if (shared !== null) {
      (this.sharedSlot as Int32Array)[slot] = shared.block(this.keys, slot * KEY_WORDS, this.sharedNow());
    }
  }

  /** True when the flow is blocked here, or (with `shared`) by any worker. */
  isBlocked(slot: number): boolean {
    if ((this.flags[slot] & FLAG_BLOCKED) !== 0) {
      if (this.shared !== null) this.touchShared(slot);
      return true;
    }
    const shared = this.shared;
    if (shared === null) return false;
    const generation = shared.generation;
    const checked = this.sharedChecked as Int32Array;
    if (checked[slot] === generation) return false;
    checked[slot] = generation;
    const found = shared.find(this.keys, slot * KEY_WORDS, this.sharedNow());
    if (found < 0) return false;
    (this.sharedSlot as Int32Array)[slot] = found;
    this.flags[slot] |= FLAG_BLOCKED;
    return true;
  }

  packetCount(slot: number): number {
    return this.packets[slot];
  }

  byteCount(slot: number): number {
    return this.bytes[slot];
  }

  lastSeenAt(slot: number): number {
    return this.lastSeen[slot];
  }

  /**
   * Removes flows idle at `now`, at most `limit` of them (oldest first in each list), and returns
   * how many were removed: fewer than `limit` means none idle is left. A caller on the packet
   * thread sweeps in slices (see Agent), so a mass expiry (say a million flows that went idle
   * together) never holds the packet loop for more than a slice.
   */
  sweep(now: number, limit: number = Infinity): number {
    let removed = 0;
    for (let l = 0; l < 2; l++) {
      for (let slot = this.tails[l]; removed < limit && slot !== 0 && this.isExpired(slot, now); slot = this.tails[l]) {
        this.remove(slot);
        removed++;
      }
    }
    this.expirations += removed;
    return removed;
  }

  /** Removes all flows. */
  clear(): void {
    this.buckets.fill(0);
    this.heads.fill(0);
    this.tails.fill(0);
    this.freeHead = 0;
    this.nextUnused = 1;
    this.size = 0;
  }

  private sharedNow(): number {
    return Math.floor(this.lastNow / SHARED_TICK_MS);
  }

  private resetShared(slot: number): void {
    if (this.sharedChecked === null) return;
    this.sharedChecked[slot] = 0;
    (this.sharedSlot as Int32Array)[slot] = -1;
  }

  /** A blocked packet keeps the shared block alive (and restores it if the shared table lost it). */
  private touchShared(slot: number): void {
    const shared = this.shared as SharedBlockTable;
    const slots = this.sharedSlot as Int32Array;
    const base = slot * KEY_WORDS;
    const now = this.sharedNow();
    const hint = slots[slot];
    if (hint >= 0 && shared.touch(hint, this.keys, base, now)) return;
    slots[slot] = shared.block(this.keys, base, now);
  }

  private isExpired(slot: number, now: number): boolean {
    const idle = this.list[slot] === LIST_TCP ? this.tcpIdleMs : this.otherIdleMs;
    return now - this.lastSeen[slot] >= idle;
  }

  /** Writes the canonical key (lower endpoint first) to the scratch register. */
  private stageKey(cookie: number, version: number, protocol: number, src: Uint32Array, dst: Uint32Array,
    srcPort: number, dstPort: number): void {
    const k = this.scratch;
    let swap = false;
    let w = 0;
    while (w < 4 && src[w] === dst[w]) w++;
    if (w < 4) swap = src[w] > dst[w];
    else swap = srcPort > dstPort;
    const a = swap ? dst : src;
    const b = swap ? src : dst;
    k[K_COOKIE] = cookie;
    k[K_META] = (version << 8) | protocol;
    k[K_PORTS] = swap ? ((dstPort << 16) | srcPort) : ((srcPort << 16) | dstPort);
    for (let i = 0; i < 4; i++) {
      k[K_ADDR_A + i] = a[i];
      k[K_ADDR_B + i] = b[i];
    }
  }

  private hashScratch(): number {
    const k = this.scratch;
    let h = this.seed;
    for (let i = 0; i < KEY_WORDS; i++) {
      h = Math.imul(h ^ k[i], 0x9e3779b1);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  private hashSlot(slot: number): number {
    const base = slot * KEY_WORDS;
    for (let i = 0; i < KEY_WORDS; i++) this.scratch[i] = this.keys[base + i];
    return this.hashScratch();
  }

  private findInBucket(bucket: number): number {
    const keys = this.keys;
    const k = this.scratch;
    for (let slot = this.buckets[bucket]; slot !== 0; slot = this.chain[slot]) {
      const base = slot * KEY_WORDS;
      let i = 0;
      while (i < KEY_WORDS && keys[base + i] === k[i]) i++;
      if (i === KEY_WORDS) return slot;
    }
    return 0;
  }

  /** A free slot: from the free list, never used, or by evicting the least recently used flow. */
  private allocate(now: number): number {
    if (this.freeHead !== 0) {
      const slot = this.freeHead;
      this.freeHead = this.chain[slot];
      return slot;
    }
    if (this.nextUnused <= this.capacity) return this.nextUnused++;
    const t0 = this.tails[LIST_OTHER];
    const t1 = this.tails[LIST_TCP];
    const victim = t0 === 0 ? t1 : t1 === 0 ? t0 : this.lastSeen[t1] < this.lastSeen[t0] ? t1 : t0;
    if (this.isExpired(victim, now)) this.expirations++;
    else this.evictions++;
    // remove() re-hashes the victim with the scratch register; save the key being looked up.
    const saved = this.savedKey;
    saved.set(this.scratch);
    this.remove(victim);
    this.scratch.set(saved);
    this.freeHead = this.chain[victim];
    return victim;
  }

  /** Unlinks `slot` from its bucket and list and puts it on the free list. */
  private remove(slot: number): void {
    const bucket = this.hashSlot(slot) & this.bucketMask;
    if (this.buckets[bucket] === slot) {
      this.buckets[bucket] = this.chain[slot];
    } else {
      let p = this.buckets[bucket];
      while (this.chain[p] !== slot) p = this.chain[p];
      this.chain[p] = this.chain[slot];
    }
    this.unlink(slot);
    this.chain[slot] = this.freeHead;
    this.freeHead = slot;
    this.size--;
  }

  private pushFront(slot: number): void {
    const l = this.list[slot];
    const head = this.heads[l];
    this.prev[slot] = 0;
    this.next[slot] = head;
    if (head !== 0) this.prev[head] = slot;
    else this.tails[l] = slot;
    this.heads[l] = slot;
  }

  private unlink(slot: number): void {
    const l = this.list[slot];
    const p = this.prev[slot];
    const n = this.next[slot];
    if (p !== 0) this.next[p] = n;
    else this.heads[l] = n;
    if (n !== 0) this.prev[n] = p;
    else this.tails[l] = p;
  }

  private moveToFront(slot: number): void {
    if (this.heads[this.list[slot]] === slot) return;
    this.unlink(slot);
    this.pushFront(slot);
  }
}
