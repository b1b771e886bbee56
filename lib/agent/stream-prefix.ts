/**
 * The first bytes of one byte stream (a TCP client stream, a QUIC CRYPTO stream), gathered from
 * pieces that may arrive out of order, twice, or overlapping.
 *
 * - Bytes at offsets >= `maxBytes` are ignored (and `overflowed` is set): the reader needs only
 *   the stream's start.
 * - Overlaps: the bytes that arrived first are kept, and a later copy of the same offsets with
 *   OTHER bytes sets `conflict`: receivers disagree on which copy wins (Linux keeps the first copy
 *   of in-order data but lets a longer out-of-order segment replace a shorter one), so an
 *   inspector that picked one could be shown another name than the server reads. Honest
 *   retransmissions repeat the same bytes.
 * - At most `maxPieces` separate (non-adjacent) ranges are held; a piece that would make more
 *   sets `tooFragmented` and is ignored.
 * The buffer grows on demand up to `maxBytes`; `contiguous` bytes from offset 0 are readable in
 * `data`.
 */
export class StreamPrefix {
  /** Bytes readable from offset 0: data[0, contiguous). */
  contiguous = 0;
  /** A piece reached past maxBytes. */
  overflowed = false;
  /** A piece was ignored because it would have needed more than maxPieces ranges. */
  tooFragmented = false;
  /** Two copies of the same stream offsets carried different bytes. */
  conflict = false;
  data: Buffer;
  /** Sorted, disjoint, non-adjacent filled ranges as flat [start, end, start, end, ...]. */
  private ranges: number[] = [];

  constructor(readonly maxBytes: number, readonly maxPieces: number, initialBytes = 2048) {
    this.data = Buffer.alloc(Math.min(initialBytes, maxBytes));
  }

  /** Bytes held (in order or not). */
  get heldBytes(): number {
    let n = 0;
    for (let i = 0; i < this.ranges.length; i += 2) n += this.ranges[i + 1] - this.ranges[i];
    return n;
  }

  /**
   * Adds `src[start, start + length)` as stream bytes from `offset`. Returns true when
   * `contiguous` grew.
   */
  add(offset: number, src: Uint8Array, start: number, length: number): boolean {
    if (length <= 0) return false;
    let from = offset;
    let to = offset + length;
    if (from < 0) from = 0;
    if (to > this.maxBytes) { this.overflowed = true; to = this.maxBytes; }
    if (from >= to) return false;
    const r = this.ranges;
    // Would this piece be a new separate range beyond the bound?
    let touches = false;
    for (let i = 0; i < r.length; i += 2) if (to >= r[i] && from <= r[i + 1]) { touches = true; break; }
    if (!touches && r.length / 2 >= this.maxPieces) {
      this.tooFragmented = true;
      return false;
    }
    this.ensure(to);
    // Copy only the gaps (first copy wins).
    let cursor = from;
    for (let i = 0; i <= r.length && cursor < to; i += 2) {
      const gapEnd = i < r.length ? Math.min(r[i], to) : to;
      if (gapEnd > cursor) this.data.set(src.subarray(start + (cursor - offset), start + (gapEnd - offset)), cursor);
      if (i < r.length) {
        // Bytes already held in [max(cursor, r[i]), min(to, r[i + 1])) must be the same.
        const heldEnd = Math.min(to, r[i + 1]);
        for (let x = Math.max(cursor, r[i]); x < heldEnd; x++) {
          if (this.data[x] !== src[start + (x - offset)]) { this.conflict = true; break; }
        }
        cursor = Math.max(cursor, r[i + 1]);
      }
    }
    this.insert(from, to);
    const before = this.contiguous;
    const merged = this.ranges;
    this.contiguous = merged.length > 0 && merged[0] === 0 ? merged[1] : 0;
    return this.contiguous > before;
  }

  private ensure(end: number): void {
    if (end <= this.data.length) return;
    let size = this.data.length;
    while (size < end) size *= 2;
    const grown = Buffer.alloc(Math.min(size, this.maxBytes));
    this.data.copy(grown);
    this.data = grown;
  }

  /** Merges [from, to) into the ranges. */
  private insert(from: number, to: number): void {
    const r = this.ranges;
    const out: number[] = [];
    let s = from;
    let e = to;
    let placed = false;
    for (let i = 0; i < r.length; i += 2) {
      if (r[i + 1] < s) out.push(r[i], r[i + 1]);
      else if (r[i] > e) {
        if (!placed) { out.push(s, e); placed = true; }
        out.push(r[i], r[i + 1]);
      } else {
        s = Math.min(s, r[i]);
        e = Math.max(e, r[i + 1]);
      }
    }
    if (!placed) out.push(s, e);
    this.ranges = out;
  }
}
