/**
 * Blocked flows shared by every worker thread: a bounded, lock-free open-addressing hash table in a
 * SharedArrayBuffer, keyed like the flow table (flow cookie + canonical inner 5-tuple, 11 words).
 *
 * Why: with several workers (one SO_REUSEPORT socket each) the kernel picks the worker by the outer
 * 4-tuple, and nothing guarantees that every packet of a flow reaches the worker that blocked it
 * (the set of sockets changes when a worker restarts, and GWLB's choice of outer source port is not
 * documented). So a payload drop is published here, and every worker consults this table before it
 * forwards a packet of a flow it has not checked since the last block anywhere (see `generation`).
 *
 * Layout (Int32Array over the buffer):
 *   header  [GENERATION, COUNT, EVICTIONS, FULL_FAILURES, 4 spare]
 *   slot i  [STATE, LAST_SEEN, key 0..10]       (SLOT_WORDS = 13 words, capacity a power of two)
 * STATE = version << 2 | kind, kind EMPTY / WRITING / FULL / TOMBSTONE. Every claim of a slot
 * (EMPTY, TOMBSTONE or an expired FULL -> WRITING, by compareExchange) bumps the version, so a
 * reader that sees the same FULL state word before and after comparing the key read a consistent
 * key (a seqlock; no reader ever waits). LAST_SEEN is in 100 ms ticks of the shared clock
 * (`SharedClock.ticks`), stored with Atomics.
 *
 * Probing is linear and bounded to PROBE_LIMIT slots; a lookup stops at the first EMPTY slot.
 * Tombstones never become EMPTY again (that could cut a probe chain under a concurrent insert), so a
 * miss costs at most PROBE_LIMIT state reads. When the window of a new key has no free or expired
 * slot, the least recently seen entry of the window is replaced (counted in `evictions`): the worker
 * that blocked that flow still blocks it in its own table; only other workers could miss it.
 * Expired entries (idle for the flow's idle timeout: TCP or other, by the key's protocol) count as
 * absent and are reused or swept.
 */

const H_GENERATION = 0;
const H_COUNT = 1;
const H_EVICTIONS = 2;
const HEADER_WORDS = 8;

export const SHARED_KEY_WORDS = 11;
const S_STATE = 0;
const S_LAST_SEEN = 1;
const S_KEY = 2;
const SLOT_WORDS = S_KEY + SHARED_KEY_WORDS;

const EMPTY = 0;
const WRITING = 1;
const FULL = 2;
const TOMBSTONE = 3;
const KIND_MASK = 3;

/** Slots probed per key. */
export const PROBE_LIMIT = 32;
/** Resolution of LAST_SEEN. */
export const SHARED_TICK_MS = 100;
const PROTO_TCP = 6;

export interface SharedBlockTableOptions {
  /** Blocked flows held; rounded up to a power of two. */
  readonly capacity: number;
  readonly tcpIdleMs: number;
  readonly otherIdleMs: number;
  /** Hash seed, the same in every worker. */
  readonly seed: number;
}

/** What a worker needs to attach to the table (structured-clonable: goes through workerData). */
export interface SharedBlockTableInit {
  readonly buffer: SharedArrayBuffer;
  readonly tcpIdleMs: number;
  readonly otherIdleMs: number;
  readonly seed: number;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class SharedBlockTable {
  /** A new table in a new SharedArrayBuffer. */
  static create(opts: SharedBlockTableOptions): SharedBlockTable {
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1 || opts.capacity > 0x4000000) {
      throw new RangeError(`capacity: ${opts.capacity} is not an integer 1-67108864`);
    }
    const slots = Math.max(PROBE_LIMIT, nextPowerOfTwo(opts.capacity * 2)); // load factor <= 0.5
    const buffer = new SharedArrayBuffer((HEADER_WORDS + slots * SLOT_WORDS) * 4);
    return new SharedBlockTable({ buffer, tcpIdleMs: opts.tcpIdleMs, otherIdleMs: opts.otherIdleMs, seed: opts.seed | 0 });
  }

  readonly slots: number;
  private readonly words: Int32Array;
  private readonly mask: number;
  private readonly tcpIdleTicks: number;
  private readonly otherIdleTicks: number;
  private readonly seed: number;

  constructor(readonly init: SharedBlockTableInit) {
    this.words = new Int32Array(init.buffer);
    this.slots = (this.words.length - HEADER_WORDS) / SLOT_WORDS;
    if (!Number.isInteger(this.slots) || this.slots < 1 || (this.slots & (this.slots - 1)) !== 0) {
      throw new RangeError(`buffer: ${init.buffer.byteLength} bytes is not a shared block table`);
    }
    this.mask = this.slots - 1;
    this.tcpIdleTicks = Math.ceil(init.tcpIdleMs / SHARED_TICK_MS);
    this.otherIdleTicks = Math.ceil(init.otherIdleMs / SHARED_TICK_MS);
    this.seed = init.seed | 0;
  }

  /** Changes with every block added anywhere; never 0, so 0 can mean "not checked yet". */
  get generation(): number {
    return Atomics.load(this.words, H_GENERATION);
  }

  /** Blocked flows held (including expired ones not yet swept). */
  get count(): number {
    return Atomics.load(this.words, H_COUNT);
  }

  /** Live blocked flows replaced because their probe window was full. */
  get evictions(): number {
    return Atomics.load(this.words, H_EVICTIONS);
  }

  /**
   * Publishes the block of flow `key` (words [offset, offset + 11)) seen at tick `now`, or refreshes
   * its last-seen time. Returns the slot (>= 0).
   */
  block(key: Uint32Array, offset: number, now: number): number {
    const h = this.hash(key, offset);
    for (let attempt = 0; attempt < 4; attempt++) {
      let candidate = -1;
      let candidateState = 0;
      let oldest = -1;
      let oldestState = 0;
      let oldestSeen = Infinity;
      for (let i = 0; i < PROBE_LIMIT; i++) {
        const slot = (h + i) & this.mask;
        const base = HEADER_WORDS + slot * SLOT_WORDS;
        const state = Atomics.load(this.words, base + S_STATE);
        const kind = state & KIND_MASK;
        if (kind === FULL) {
          if (this.keyAt(base, key, offset) && Atomics.load(this.words, base + S_STATE) === state) {
            Atomics.store(this.words, base + S_LAST_SEEN, now);
            return slot;
          }
          const seen = Atomics.load(this.words, base + S_LAST_SEEN);
          if (candidate < 0 && this.expiredAt(base, now)) {
            candidate = slot;
            candidateState = state;
          } else if (seen < oldestSeen) {
            oldest = slot;
            oldestState = state;
            oldestSeen = seen;
          }
        } else if (kind === TOMBSTONE || kind === EMPTY) {
          if (candidate < 0) {
            candidate = slot;
            candidateState = state;
          }
          if (kind === EMPTY) break; // the key is not further along
        }
      }
      let evict = false;
      if (candidate < 0) {
        if (oldest < 0) continue; // every slot of the window is being written: try again
        candidate = oldest;
        candidateState = oldestState;
        evict = true;
      }
      if (this.claim(candidate, candidateState, key, offset, now)) {
        if (evict) Atomics.add(this.words, H_EVICTIONS, 1);
        if ((candidateState & KIND_MASK) !== FULL) Atomics.add(this.words, H_COUNT, 1);
        this.bumpGeneration();
        return candidate;
      }
    }
    // Four lost races in a row on one window: overwrite the home slot unconditionally.
    const slot = h & this.mask;
    const base = HEADER_WORDS + slot * SLOT_WORDS;
    const state = Atomics.load(this.words, base + S_STATE);
    this.write(base, state, key, offset, now);
    this.bumpGeneration();
    return slot;
  }

  /**
   * The slot of live blocked flow `key` at tick `now`, or -1. `hint`: a slot returned earlier for
   * this key, checked first.
   */
  find(key: Uint32Array, offset: number, now: number, hint = -1): number {
    if (hint >= 0 && hint < this.slots && this.liveAt(hint, key, offset, now)) return hint;
    const h = this.hash(key, offset);
    for (let i = 0; i < PROBE_LIMIT; i++) {
      const slot = (h + i) & this.mask;
      const base = HEADER_WORDS + slot * SLOT_WORDS;
      const kind = Atomics.load(this.words, base + S_STATE) & KIND_MASK;
      if (kind === EMPTY) return -1;
      if (kind === FULL && this.liveAt(slot, key, offset, now)) return slot;
    }
    return -1;
  }

  /** Marks the entry in `slot` (found for `key`) seen at `now`, if it still holds that key. */
  touch(slot: number, key: Uint32Array, offset: number, now: number): boolean {
    const base = HEADER_WORDS + slot * SLOT_WORDS;
    const state = Atomics.load(this.words, base + S_STATE);
    if ((state & KIND_MASK) !== FULL || !this.keyAt(base, key, offset)) return false;
    Atomics.store(this.words, base + S_LAST_SEEN, now);
    return Atomics.load(this.words, base + S_STATE) === state;
  }

  /** Turns every expired entry into a tombstone; returns how many. O(slots); run it from a timer. */
  sweep(now: number): number {
    let removed = 0;
    for (let slot = 0; slot < this.slots; slot++) {
      const base = HEADER_WORDS + slot * SLOT_WORDS;
      const state = Atomics.load(this.words, base + S_STATE);
      if ((state & KIND_MASK) !== FULL || !this.expiredAt(base, now)) continue;
      const next = ((state >>> 2) + 1) << 2 | TOMBSTONE;
      if (Atomics.compareExchange(this.words, base + S_STATE, state, next) === state) {
        Atomics.sub(this.words, H_COUNT, 1);
        removed++;
      }
    }
    return removed;
  }

  private liveAt(slot: number, key: Uint32Array, offset: number, now: number): boolean {
    const base = HEADER_WORDS + slot * SLOT_WORDS;
    const state = Atomics.load(this.words, base + S_STATE);
    if ((state & KIND_MASK) !== FULL) return false;
    if (!this.keyAt(base, key, offset) || this.expiredAt(base, now)) return false;
    return Atomics.load(this.words, base + S_STATE) === state;
  }

  private expiredAt(base: number, now: number): boolean {
    const protocol = Atomics.load(this.words, base + S_KEY + 1) & 0xff;
    const idle = protocol === PROTO_TCP ? this.tcpIdleTicks : this.otherIdleTicks;
    return now - Atomics.load(this.words, base + S_LAST_SEEN) >= idle;
  }

  private keyAt(base: number, key: Uint32Array, offset: number): boolean {
    const w = this.words;
    for (let i = 0; i < SHARED_KEY_WORDS; i++) {
      if ((Atomics.load(w, base + S_KEY + i) >>> 0) !== key[offset + i]) return false;
    }
    return true;
  }

  private claim(slot: number, state: number, key: Uint32Array, offset: number, now: number): boolean {
    const base = HEADER_WORDS + slot * SLOT_WORDS;
    const writing = ((state >>> 2) + 1) << 2 | WRITING;
    if (Atomics.compareExchange(this.words, base + S_STATE, state, writing) !== state) return false;
    this.finishWrite(base, writing, key, offset, now);
    return true;
  }

  private write(base: number, state: number, key: Uint32Array, offset: number, now: number): void {
    const writing = ((state >>> 2) + 1) << 2 | WRITING;
    Atomics.store(this.words, base + S_STATE, writing);
    if ((state & KIND_MASK) !== FULL) Atomics.add(this.words, H_COUNT, 1);
    this.finishWrite(base, writing, key, offset, now);
  }

  private finishWrite(base: number, writing: number, key: Uint32Array, offset: number, now: number): void {
    const w = this.words;
    for (let i = 0; i < SHARED_KEY_WORDS; i++) Atomics.store(w, base + S_KEY + i, key[offset + i] | 0);
    Atomics.store(w, base + S_LAST_SEEN, now);
    Atomics.store(w, base + S_STATE, ((writing >>> 2) + 1) << 2 | FULL);
  }

  private bumpGeneration(): void {
    if (Atomics.add(this.words, H_GENERATION, 1) === -1) Atomics.add(this.words, H_GENERATION, 1); // skip 0
  }

  private hash(key: Uint32Array, offset: number): number {
    let h = this.seed;
    for (let i = 0; i < SHARED_KEY_WORDS; i++) {
      h = Math.imul(h ^ key[offset + i], 0x9e3779b1);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }
}
