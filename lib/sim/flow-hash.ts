/**
 * Flow keys and hashes. Both directions of a connection give the same key (endpoints are put
 * in a canonical order), so replies go to the same target with the same cookie, like GWLB.
 */
import { Stickiness } from './config';
import { InnerTuple } from './inner';

/** 32-bit FNV-1a of a string, finished with murmur3's fmix32 for better low bits. */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** 32-bit FNV-1a of bytes, finished with fmix32. */
export function hashBytes(buf: Buffer, start: number, end: number, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = start; i < end; i++) {
    h ^= buf[i];
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Direction-independent 5-tuple key: one flow, one cookie, one source port. */
export function flowKey(t: InnerTuple): string {
  const a = `${t.src}.${t.srcPort}`;
  const b = `${t.dst}.${t.dstPort}`;
  return a < b ? `${t.protocol}/${a}/${b}` : `${t.protocol}/${b}/${a}`;
}

/** Direction-independent key of the fields the stickiness mode hashes to pick a target. */
export function stickinessKey(t: InnerTuple, mode: Stickiness): string {
  switch (mode) {
    case Stickiness.FIVE_TUPLE:
      return flowKey(t);
    case Stickiness.THREE_TUPLE:
      return t.src < t.dst ? `${t.protocol}/${t.src}/${t.dst}` : `${t.protocol}/${t.dst}/${t.src}`;
    case Stickiness.TWO_TUPLE:
      return t.src < t.dst ? `${t.src}/${t.dst}` : `${t.dst}/${t.src}`;
  }
}

/**
 * Rendezvous (highest random weight) choice among `candidates` (indexes into the target list):
 * stable when a target leaves or returns, so only that target's share of new flows moves.
 */
export function rendezvous(hash: number, candidates: readonly number[], targetSeeds: readonly number[]): number {
  let best = -1;
  let bestScore = -1;
  for (const i of candidates) {
    const score = fmix32((hash ^ targetSeeds[i]) >>> 0);
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}

/** Outer UDP source port of a flow, derived from its key like GWLB's per-flow source ports. */
export function sourcePortFor(key: string, min: number, max: number): number {
  return min + (hashString(key, 0x9747b28c) % (max - min + 1));
}
