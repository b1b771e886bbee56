/**
 * Test packet builders: independent of the code under test except for GENEVE `encode`, whose output
 * is itself checked byte-for-byte against the golden vector in geneve.test.ts.
 */
import { awsOptions, encode, ETHERTYPE_IPV4, ETHERTYPE_IPV6, GeneveOption } from '../../../lib/agent/geneve';

export const GOLDEN_HEADER_HEX =
  '0800080000000000' + '010801022b8ee1d4db0c51c4' + '010802020123456789abcdef' + '01080301deadbeef';
export const GOLDEN_AWS = { eniId: 0x2b8ee1d4db0c51c4n, attachmentId: 0x0123456789abcdefn, flowCookie: 0xdeadbeef };

export function v4(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

/** Expands IPv6 text (with at most one ::) to 16 bytes; test-only, trusted input. */
export function v6(text: string): Buffer {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), 2 * i));
  return b;
}

export interface TcpOpts { sport?: number; dport?: number; payload?: Buffer | string; dataOffsetWords?: number; optionBytes?: number }
export function tcp(o: TcpOpts = {}): Buffer {
  const optionBytes = o.optionBytes ?? 0;
  const h = Buffer.alloc(20 + optionBytes);
  h.writeUInt16BE(o.sport ?? 40000, 0);
  h.writeUInt16BE(o.dport ?? 80, 2);
  h.writeUInt32BE(1, 4);
  h[12] = (o.dataOffsetWords ?? (20 + optionBytes) / 4) << 4;
  h[13] = 0x18;
  h.writeUInt16BE(65535, 14);
  return Buffer.concat([h, Buffer.from(o.payload ?? '')]);
}

export interface UdpOpts { sport?: number; dport?: number; payload?: Buffer | string; length?: number }
export function udp(o: UdpOpts = {}): Buffer {
  const payload = Buffer.from(o.payload ?? '');
  const h = Buffer.alloc(8);
  h.writeUInt16BE(o.sport ?? 5353, 0);
  h.writeUInt16BE(o.dport ?? 53, 2);
  h.writeUInt16BE(o.length ?? 8 + payload.length, 4);
  return Buffer.concat([h, payload]);
}

export function icmp(type = 8, code = 0, payload: Buffer | string = 'ping'): Buffer {
  const h = Buffer.alloc(8);
  h[0] = type;
  h[1] = code;
  h.writeUInt16BE(0x1234, 4);
  return Buffer.concat([h, Buffer.from(payload)]);
}

export interface Ipv4Opts {
  src?: string; dst?: string; protocol?: number; options?: Buffer;
  mf?: boolean; fragmentOffset8?: number; totalLength?: number; ihl?: number; version?: number;
}
export function ipv4(l4: Buffer, o: Ipv4Opts = {}): Buffer {
  const options = o.options ?? Buffer.alloc(0);
  const h = Buffer.alloc(20 + options.length);
  h[0] = ((o.version ?? 4) << 4) | (o.ihl ?? (20 + options.length) / 4);
  h.writeUInt16BE(o.totalLength ?? h.length + l4.length, 2);
  h.writeUInt16BE(0xbeef, 4);
  h.writeUInt16BE((o.mf ? 0x2000 : 0) | (o.fragmentOffset8 ?? 0), 6);
  h[8] = 64;
  h[9] = o.protocol ?? 6;
  v4(o.src ?? '198.51.100.10').copy(h, 12);
  v4(o.dst ?? '10.0.1.20').copy(h, 16);
  options.copy(h, 20);
  return Buffer.concat([h, l4]);
}

/** An IPv6 extension header of `type` with `size` total bytes (next header filled in by ipv6()). */
export interface Ext6 { type: number; size?: number; fragment?: { offset8: number; more: boolean } }

export interface Ipv6Opts { src?: string; dst?: string; protocol?: number; extensions?: Ext6[]; payloadLength?: number; version?: number }
export function ipv6(l4: Buffer, o: Ipv6Opts = {}): Buffer {
  const exts = o.extensions ?? [];
  const chain = [...exts.map(e => e.type), o.protocol ?? 6];
  const parts = exts.map((e, i) => {
    const next = chain[i + 1];
    if (e.type === 44) {
      const b = Buffer.alloc(8);
      b[0] = next;
      b.writeUInt16BE(((e.fragment?.offset8 ?? 0) << 3) | (e.fragment?.more ? 1 : 0), 2);
      b.writeUInt32BE(0x11223344, 4);
      return b;
    }
    const size = e.size ?? 8;
    const b = Buffer.alloc(size);
    b[0] = next;
    b[1] = e.type === 51 ? size / 4 - 2 : size / 8 - 1;
    if (e.type !== 51) { b[2] = 1; b[3] = size - 4; } // PadN filling the header
    return b;
  });
  const body = Buffer.concat([...parts, l4]);
  const h = Buffer.alloc(40);
  h.writeUInt32BE(((o.version ?? 6) << 28) >>> 0, 0);
  h.writeUInt16BE(o.payloadLength ?? body.length, 4);
  h[6] = chain[0];
  h[7] = 64;
  v6(o.src ?? '2001:db8:1::10').copy(h, 8);
  v6(o.dst ?? '2001:db8:2::20').copy(h, 24);
  return Buffer.concat([h, body]);
}

export interface GeneveOpts { cookie?: number; options?: GeneveOption[]; protocolType?: number; vni?: number }
/** The GENEVE UDP payload GWLB would send for `inner`. */
export function geneve(inner: Buffer, o: GeneveOpts = {}): Buffer {
  const protocolType = o.protocolType ?? ((inner[0] >> 4) === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4);
  return encode({
    protocolType,
    vni: o.vni ?? 0,
    options: o.options ?? awsOptions({ ...GOLDEN_AWS, flowCookie: o.cookie ?? GOLDEN_AWS.flowCookie }),
    payload: inner,
  });
}

/** Deterministic PRNG (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
