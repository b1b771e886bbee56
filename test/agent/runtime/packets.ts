/**
 * Test packet builders: inner IPv4 UDP/TCP packets (valid header checksum) wrapped in
 * GENEVE with the AWS options, using the core's encoder.
 */
import { awsOptions, encode, ETHERTYPE_IPV4 } from '../../../lib/agent/geneve';

export interface InnerOptions {
  readonly src?: string;
  readonly dst?: string;
  readonly srcPort?: number;
  readonly dstPort?: number;
  /** L4 payload bytes (filled with a pattern). @default 172 (a 200-byte UDP packet) */
  readonly payloadLength?: number;
}

function ipv4Bytes(text: string): number[] {
  return text.split('.').map((p) => Number(p));
}

function checksum(buf: Buffer, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i += 2) sum += buf.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4Header(buf: Buffer, protocol: number, o: InnerOptions): void {
  buf[0] = 0x45;
  buf.writeUInt16BE(buf.length, 2);
  buf.writeUInt16BE(0x1234, 4);
  buf[8] = 64;
  buf[9] = protocol;
  Buffer.from(ipv4Bytes(o.src ?? '198.51.100.7')).copy(buf, 12);
  Buffer.from(ipv4Bytes(o.dst ?? '10.0.1.20')).copy(buf, 16);
  buf.writeUInt16BE(checksum(buf, 0, 20), 10);
}

function fillPattern(buf: Buffer, from: number): void {
  for (let i = from; i < buf.length; i++) buf[i] = (i * 7 + 3) & 0xff;
}

/** IPv4 + UDP; total length 28 + payloadLength. */
export function ipv4Udp(o: InnerOptions = {}): Buffer {
  const buf = Buffer.alloc(28 + (o.payloadLength ?? 172));
  ipv4Header(buf, 17, o);
  buf.writeUInt16BE(o.srcPort ?? 40000, 20);
  buf.writeUInt16BE(o.dstPort ?? 53, 22);
  buf.writeUInt16BE(buf.length - 20, 24);
  fillPattern(buf, 28);
  return buf;
}

/** IPv4 + TCP (20-byte header, ACK); total length 40 + payloadLength. */
export function ipv4Tcp(o: InnerOptions = {}): Buffer {
  const buf = Buffer.alloc(40 + (o.payloadLength ?? 160));
  ipv4Header(buf, 6, o);
  buf.writeUInt16BE(o.srcPort ?? 40000, 20);
  buf.writeUInt16BE(o.dstPort ?? 443, 22);
  buf.writeUInt32BE(1, 24);
  buf.writeUInt32BE(1, 28);
  buf[32] = 0x50;
  buf[33] = 0x10;
  buf.writeUInt16BE(65535, 34);
  fillPattern(buf, 40);
  return buf;
}

/** GENEVE as GWLB sends it: the three AWS options around `inner`. */
export function geneve(inner: Buffer, flowCookie = 0xdeadbeef): Buffer {
  return encode({
    protocolType: ETHERTYPE_IPV4,
    options: awsOptions({ eniId: 0x2b8ee1d4db0c51c4n, attachmentId: 0x0123456789abcdefn, flowCookie }),
    payload: inner,
  });
}
