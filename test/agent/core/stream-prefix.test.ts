import { StreamPrefix } from '../../../lib/agent/stream-prefix';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('StreamPrefix', () => {
  test('in-order pieces grow the contiguous prefix', () => {
    const sp = new StreamPrefix(64, 8, 4);
    expect(sp.add(0, bytes('hello '), 0, 6)).toBe(true);
    expect(sp.add(6, bytes('world'), 0, 5)).toBe(true);
    expect(sp.data.toString('latin1', 0, sp.contiguous)).toBe('hello world');
  });

  test('out-of-order pieces are held until the gap fills', () => {
    const sp = new StreamPrefix(64, 8);
    expect(sp.add(6, bytes('world'), 0, 5)).toBe(false);
    expect(sp.contiguous).toBe(0);
    expect(sp.heldBytes).toBe(5);
    expect(sp.add(0, bytes('hello '), 0, 6)).toBe(true);
    expect(sp.data.toString('latin1', 0, sp.contiguous)).toBe('hello world');
  });

  test('a retransmission with other bytes does not change what arrived first, and is flagged', () => {
    const sp = new StreamPrefix(64, 8);
    sp.add(0, bytes('good.example'), 0, 12);
    expect(sp.add(0, bytes('good.example'), 0, 12)).toBe(false); // an honest retransmission
    expect(sp.conflict).toBe(false);
    expect(sp.add(0, bytes('evil.example!'), 0, 13)).toBe(true); // only the new 13th byte is taken
    expect(sp.data.toString('latin1', 0, sp.contiguous)).toBe('good.example!');
    expect(sp.conflict).toBe(true);
  });

  test('an out-of-order piece overlapping a held one with other bytes is flagged too', () => {
    const sp = new StreamPrefix(64, 8);
    sp.add(10, bytes('abcd'), 0, 4);
    sp.add(8, bytes('xxabcdyy'), 0, 8);
    expect(sp.conflict).toBe(false);
    sp.add(12, bytes('ZZ'), 0, 2);
    expect(sp.conflict).toBe(true);
  });

  test('overlaps on both sides of a held range copy only the gaps', () => {
    const sp = new StreamPrefix(64, 8);
    sp.add(4, bytes('XXXX'), 0, 4); // offsets 4..7
    sp.add(2, bytes('ccXXXXdd'), 0, 8); // offsets 2..9: 4..7 already held
    sp.add(0, bytes('ab'), 0, 2);
    expect(sp.data.toString('latin1', 0, sp.contiguous)).toBe('abccXXXXdd');
  });

  test('reads from an offset inside a larger buffer', () => {
    const sp = new StreamPrefix(64, 8);
    const frame = bytes('....payload....');
    sp.add(0, frame, 4, 7);
    expect(sp.data.toString('latin1', 0, sp.contiguous)).toBe('payload');
  });

  test('bytes past maxBytes are ignored and flagged; data before the start is clipped', () => {
    const sp = new StreamPrefix(8, 8);
    sp.add(-3, bytes('xxxabcdefghijk'), 0, 14);
    expect(sp.data.toString('latin1', 0, sp.contiguous)).toBe('abcdefgh');
    expect(sp.overflowed).toBe(true);
  });

  test('fails to take more separate ranges than maxPieces', () => {
    const sp = new StreamPrefix(100, 2);
    sp.add(10, bytes('a'), 0, 1);
    sp.add(20, bytes('b'), 0, 1);
    expect(sp.add(30, bytes('c'), 0, 1)).toBe(false);
    expect(sp.tooFragmented).toBe(true);
    sp.add(11, bytes('z'), 0, 1); // adjacent to a held range: fine
    expect(sp.heldBytes).toBe(3);
  });
});
