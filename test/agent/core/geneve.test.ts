import { DropReason } from '../../../lib/agent/drop-reasons';
import {
  AWS_OPTION_CLASS, awsOptions, decode, decodeInto, encode, encodingLength, ETHERTYPE_IPV4, ETHERTYPE_IPV6,
  GeneveDecodeError, GeneveView, GWLB_GENEVE_HEADER_LENGTH,
} from '../../../lib/agent/geneve';
import { GOLDEN_AWS, GOLDEN_HEADER_HEX, ipv4, tcp } from './builders';

const golden = (): Buffer => Buffer.from(GOLDEN_HEADER_HEX, 'hex');
const hexBuf = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');
// The three AWS options as hex, for hand-built vectors.
const ENI = '010801022b8ee1d4db0c51c4';
const ATT = '010802020123456789abcdef';
const COOKIE = '01080301deadbeef';

describe('GENEVE golden vector', () => {
  test('decodes the golden header to the documented fields', () => {
    const d = decode(golden());
    expect(d).toMatchObject({ version: 0, oam: false, critical: false, protocolType: ETHERTYPE_IPV4, vni: 0, headerLength: 40 });
    expect(d.aws).toEqual(GOLDEN_AWS);
    expect(d.options.map(o => [o.optionClass, o.type, o.data.toString('hex')])).toEqual([
      [0x0108, 1, '2b8ee1d4db0c51c4'], [0x0108, 2, '0123456789abcdef'], [0x0108, 3, 'deadbeef'],
    ]);
    expect(d.payload.length).toBe(0);
    expect(decode.bytes).toBe(40);
  });

  test('encodes awsOptions() to the golden bytes exactly', () => {
    const out = encode({ protocolType: ETHERTYPE_IPV4, options: awsOptions(GOLDEN_AWS) });
    expect(out.toString('hex')).toBe(GOLDEN_HEADER_HEX);
    expect(encode.bytes).toBe(GWLB_GENEVE_HEADER_LENGTH);
  });

  test('round-trips decode -> encode byte-exact, with an inner packet', () => {
    const wire = Buffer.concat([golden(), ipv4(tcp({ payload: 'hello' }))]);
    const d = decode(wire);
    expect(encode(d).equals(wire)).toBe(true);
    expect(encodingLength(d)).toBe(wire.length);
  });

  test('encodes at an offset into a larger buffer, leaving the rest untouched', () => {
    const big = Buffer.alloc(130, 0xaa);
    const inner = ipv4(tcp());
    const ret = encode({ protocolType: ETHERTYPE_IPV4, options: awsOptions(GOLDEN_AWS), payload: inner }, big, 30);
    expect(ret).toBe(big);
    expect(encode.bytes).toBe(40 + inner.length);
    expect(big.subarray(30, 70).toString('hex')).toBe(GOLDEN_HEADER_HEX);
    expect(big.subarray(70, 70 + inner.length).equals(inner)).toBe(true);
    expect(big.subarray(0, 30).every(b => b === 0xaa)).toBe(true);
    expect(big.subarray(70 + inner.length).every(b => b === 0xaa)).toBe(true);
    const d = decode(big, 30, 70 + inner.length);
    expect(d.aws.flowCookie).toBe(0xdeadbeef);
    expect(d.payload.equals(inner)).toBe(true);
  });

  test('decodeInto at an offset fills the reusable view, u64 ids as u32 halves', () => {
    const buf = Buffer.concat([Buffer.alloc(5), golden(), ipv4(tcp())]);
    const v = new GeneveView();
    expect(decodeInto(buf, 5, buf.length - 5, v)).toBe(DropReason.NONE);
    expect([v.eniIdHigh, v.eniIdLow, v.attachmentIdHigh, v.attachmentIdLow, v.flowCookie])
      .toEqual([0x2b8ee1d4, 0xdb0c51c4, 0x01234567, 0x89abcdef, 0xdeadbeef]);
    expect([v.headerLength, v.payloadOffset, v.payloadLength]).toEqual([40, 45, buf.length - 45]);
  });

  test('encode fails on an option whose data is not a multiple of 4, naming it', () => {
    expect(() => encode({ protocolType: 0x0800, options: [{ optionClass: 1, type: 1, data: Buffer.alloc(5) }] }))
      .toThrow('options[0].data: length 5 is not a multiple of 4 up to 124');
  });

  test('encode fails on more options than Opt Len can express, and on a bad vni / buffer too small', () => {
    const opt = { optionClass: 1, type: 1, data: Buffer.alloc(124) };
    expect(() => encodingLength({ protocolType: 0x0800, options: [opt, opt] })).toThrow('options: 256 bytes exceed the GENEVE maximum of 252');
    expect(() => encodingLength({ protocolType: 0x0800, vni: 0x1000000 })).toThrow('vni: 16777216 is not an integer 0-16777215');
    expect(() => encode({ protocolType: 0x0800 }, Buffer.alloc(10), 4)).toThrow('offset: 4 + 8 bytes does not fit a 10-byte buffer');
  });
});

describe('GENEVE receive rules', () => {
  // One vector per rule; each asserts the exact drop reason and the decode() message.
  const cases: [string, string, number, string][] = [
    ['fewer bytes than the base header', '08000800000000', DropReason.TRUNCATED,
      'GENEVE truncated: 7 bytes available, the base header needs 8'],
    ['Opt Len beyond the datagram', GOLDEN_HEADER_HEX.slice(0, -2), DropReason.TRUNCATED,
      'GENEVE truncated: Opt Len announces a 40-byte header but only 39 bytes are available'],
    ['Ver 1', '48' + GOLDEN_HEADER_HEX.slice(2), DropReason.BAD_VERSION, 'GENEVE version 1 is not supported (must be 0)'],
    ['Ver 3 with the O bit too (version is checked first)', 'c880' + GOLDEN_HEADER_HEX.slice(4), DropReason.BAD_VERSION,
      'GENEVE version 3 is not supported (must be 0)'],
    ['O bit (control packet)', '0880' + GOLDEN_HEADER_HEX.slice(4), DropReason.OAM,
      'GENEVE O bit is set (control packet, flags 0x80); its payload must not be forwarded'],
    ['Opt Len shorter than the options', `07000800 00000000 ${ENI} ${ATT} ${COOKIE}`, DropReason.OPTION_LENGTH_MISMATCH,
      'GENEVE options do not add up to Opt Len: option class 0x0108 at byte 32 has 4 data bytes, overrunning the 36-byte header'],
    ['an option overrunning Opt Len', `09000800 00000000 ${ENI} ${ATT} ${COOKIE} 01230003`, DropReason.OPTION_LENGTH_MISMATCH,
      'GENEVE options do not add up to Opt Len: option class 0x0123 at byte 40 has 12 data bytes, overrunning the 44-byte header'],
    ['unknown critical option', `09400800 00000000 ${ENI} ${ATT} 02008000 ${COOKIE}`, DropReason.UNKNOWN_CRITICAL_OPTION,
      'GENEVE unknown critical option class 0x0200 type 0x80 at byte 32'],
    ['AWS class with a critical type it does not define', `0a000800 00000000 ${ENI} ${ATT} ${COOKIE} 01088101 00000000`,
      DropReason.UNKNOWN_CRITICAL_OPTION, 'GENEVE unknown critical option class 0x0108 type 0x81 at byte 40'],
    ['ENI id option 4 bytes long', `07000800 00000000 01080101 2b8ee1d4 ${ATT} ${COOKIE}`, DropReason.BAD_AWS_OPTION,
      'GENEVE AWS option type 0x01 at byte 8 has 4 data bytes, expected 8'],
    ['flow cookie option 8 bytes long', `09000800 00000000 ${ENI} ${ATT} 01080302 deadbeef 00000000`, DropReason.BAD_AWS_OPTION,
      'GENEVE AWS option type 0x03 at byte 32 has 8 data bytes, expected 4'],
    ['flow cookie twice', `0a000800 00000000 ${ENI} ${ATT} ${COOKIE} ${COOKIE}`, DropReason.BAD_AWS_OPTION,
      'GENEVE AWS option type 0x03 at byte 40 is repeated'],
    ['no options at all', '00000800 00000000', DropReason.MISSING_AWS_OPTIONS,
      'GENEVE AWS options missing: ENI id (type 0x01), attachment id (type 0x02), flow cookie (type 0x03)'],
    ['no flow cookie', `06000800 00000000 ${ENI} ${ATT}`, DropReason.MISSING_AWS_OPTIONS,
      'GENEVE AWS options missing: flow cookie (type 0x03)'],
    ['AWS types under another class', `08000800 00000000 ${ENI} ${ATT} 01090301deadbeef`, DropReason.MISSING_AWS_OPTIONS,
      'GENEVE AWS options missing: flow cookie (type 0x03)'],
    ['Ethernet protocol type', '08006558' + GOLDEN_HEADER_HEX.slice(8), DropReason.UNSUPPORTED_PROTOCOL_TYPE,
      'GENEVE protocol type 0x6558 is not IPv4 (0x0800) or IPv6 (0x86dd)'],
  ];

  test.each(cases)('drops %s', (_name, hex, reason, message) => {
    const buf = hexBuf(hex);
    const v = new GeneveView();
    expect(decodeInto(buf, 0, buf.length, v)).toBe(reason);
    let error: unknown;
    try {
      decode(buf);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GeneveDecodeError);
    expect((error as GeneveDecodeError).message).toBe(message);
    expect((error as GeneveDecodeError).reason).toBe(reason);
  });

  test('the same vectors fail the same way at an offset inside a larger buffer', () => {
    for (const [, hex, reason] of cases) {
      const inner = hexBuf(hex);
      const buf = Buffer.concat([Buffer.alloc(3, 0xff), inner, Buffer.alloc(0)]);
      expect(decodeInto(buf, 3, inner.length, new GeneveView())).toBe(reason);
    }
  });

  test('a length beyond the buffer is TRUNCATED, never a read past the end', () => {
    const buf = golden();
    expect(decodeInto(buf, 0, buf.length + 1, new GeneveView())).toBe(DropReason.TRUNCATED);
    expect(decodeInto(buf, -1, 10, new GeneveView())).toBe(DropReason.TRUNCATED);
    expect(() => decode(buf, 0, 41)).toThrow('offset/end: [0, 41) is not a range within the 40-byte buffer');
  });

  test('skips unknown non-critical options, keeping them in order', () => {
    const buf = hexBuf(`0a000800 00000000 02000501 cafebabe ${ENI} ${ATT} ${COOKIE}`);
    const d = decode(buf);
    expect(d.options.map(o => o.optionClass)).toEqual([0x0200, AWS_OPTION_CLASS, AWS_OPTION_CLASS, AWS_OPTION_CLASS]);
    expect(d.options[0].data.toString('hex')).toBe('cafebabe');
    expect(d.aws).toEqual(GOLDEN_AWS);
    expect(encode(d).equals(buf)).toBe(true);
  });

  test('accepts AWS options in any order', () => {
    expect(decode(hexBuf(`08000800 00000000 ${COOKIE} ${ATT} ${ENI}`)).aws).toEqual(GOLDEN_AWS);
  });

  test('ignores reserved bits on receive and writes them as zero', () => {
    // Flags reserved bits, byte 7 and the option length bytes' 3 reserved bits all set.
    const buf = hexBuf('08 3f 0800 000000 ff 010801e2 2b8ee1d4db0c51c4 010802e2 0123456789abcdef 010803e1 deadbeef');
    const d = decode(buf);
    expect(d.aws).toEqual(GOLDEN_AWS);
    expect(d.critical).toBe(false);
    expect(encode(d).toString('hex')).toBe(GOLDEN_HEADER_HEX);
  });

  test('does not enforce VNI 0, accepts the C bit, and takes IPv6', () => {
    const d = decode(hexBuf('084086dd abcdef00' + GOLDEN_HEADER_HEX.slice(16)));
    expect([d.vni, d.critical, d.protocolType]).toEqual([0xabcdef, true, ETHERTYPE_IPV6]);
  });
});
