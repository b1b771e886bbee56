import { u16, u24, u32 } from '../../../lib/agent/bytes';
import { mulberry32 } from './builders';

describe('big-endian reads', () => {
  test('agree with Buffer#readUIntBE at every offset of random bytes, including the high bit', () => {
    const rnd = mulberry32(7);
    const buf = Buffer.alloc(4096);
    for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(rnd() * 256);
    buf.fill(0xff, 0, 4);
    for (let at = 0; at + 4 <= buf.length; at++) {
      expect(u16(buf, at)).toBe(buf.readUInt16BE(at));
      expect(u24(buf, at)).toBe(buf.readUIntBE(at, 3));
      expect(u32(buf, at)).toBe(buf.readUInt32BE(at));
    }
    expect(u32(buf, 0)).toBe(0xffffffff); // unsigned, not -1
  });

  test('read a view at its own offset (subarray), like Buffer does', () => {
    const buf = Buffer.from([1, 2, 3, 4, 5, 6]);
    const view = buf.subarray(2);
    expect(u16(view, 0)).toBe(0x0304);
    expect(u32(view, 0)).toBe(0x03040506);
  });
});
