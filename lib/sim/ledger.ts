/**
 * Remembers digests of the packets sent to targets so that a returned packet can be checked
 * against what was sent: inner bytes (and the flow cookie) must match a packet still in flight.
 * Bounded: the oldest entries are forgotten once `capacity` packets are outstanding.
 */
import { fmix32, hashBytes } from './flow-hash';

export class SentLedger {
  private readonly counts = new Map<number, number>();
  private readonly ring: Float64Array;
  private head = 0;
  private filled = 0;

  constructor(capacity = 65536) {
    this.ring = new Float64Array(capacity);
  }

  /** Digest of `buf[start, end)` for the flow `cookie`: 32-bit hash and 16-bit length. */
  static digest(cookie: number, buf: Buffer, start: number, end: number): number {
    // The cookie is mixed before it seeds the hash, so it cannot cancel out against the first byte.
    return hashBytes(buf, start, end, (fmix32(cookie ^ 0x9e3779b9) ^ 0x811c9dc5) >>> 0) * 65536 + ((end - start) & 0xffff);
  }

  add(digest: number): void {
    if (this.filled === this.ring.length) this.release(this.ring[this.head]);
    else this.filled++;
    this.ring[this.head] = digest;
    this.head = (this.head + 1) % this.ring.length;
    this.counts.set(digest, (this.counts.get(digest) ?? 0) + 1);
  }

  /** True (and consumes one) when a packet with this digest is outstanding. */
  take(digest: number): boolean {
    const n = this.counts.get(digest);
    if (!n) return false;
    this.release(digest);
    return true;
  }

  get outstanding(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  private release(digest: number): void {
    const n = this.counts.get(digest) ?? 0;
    if (n <= 1) this.counts.delete(digest);
    else this.counts.set(digest, n - 1);
  }
}
