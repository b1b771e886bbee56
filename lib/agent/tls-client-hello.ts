/**
 * TLS ClientHello reader: the server name (SNI, RFC 6066) from the first bytes of a client's
 * TCP stream (record layer, RFC 8446 section 5.1) or from a QUIC CRYPTO stream (handshake
 * messages without records, RFC 9001 section 4).
 *
 * ```
 * record     type(1)=22 handshake | legacy_version(2) 0x03xx | length(2) 1..2^14 | fragment
 * handshake  msg_type(1)=1 client_hello | length(3) | body   (may span several records)
 * body       legacy_version(2) | random(32) | session_id<0..32> | cipher_suites<2..2^16-2>
 *            | compression_methods<1..2^8-1> | extensions<0..2^16-1> (absent in old clients)
 * extension  type(2) | length(2) | data           server_name = 0, encrypted_client_hello = 0xfe0d
 * SNI data   server_name_list<1..2^16-1>: name_type(1)=0 host_name | HostName<1..2^16-1>
 * ```
 * Every length is checked against the bytes that hold it; a field that does not fit, a duplicate
 * extension, two host names, a host name that is not a DNS name (after lower-casing, one
 * trailing dot dropped) all give MALFORMED with a reason. A ClientHello larger than the caller's
 * byte bound gives OVERSIZE as soon as its length field says so.
 *
 * With Encrypted Client Hello (ECH) the real name is inside the encrypted extension: the name
 * returned is the outer, public one (`ech` is set).
 */
import { u16, u24 } from './bytes';
import { normalizeName } from './domain-set';

/** Outcome of a parse attempt over the bytes gathered so far. */
export enum HelloStatus {
  /** More bytes are needed; `needed` says how many in total when known. */
  NEED_MORE = 0,
  /** The stream does not start with a TLS handshake record (or QUIC CRYPTO data is not a ClientHello). */
  NOT_TLS = 1,
  /** A TLS handshake that breaks the format (`reason` says where). */
  MALFORMED = 2,
  /** The ClientHello is larger than the byte bound. */
  OVERSIZE = 3,
  /** A complete ClientHello; `serverName` is its host name or null without SNI. */
  OK = 4,
}

const RECORD_HEADER = 5;
const RECORD_HANDSHAKE = 22;
const MAX_RECORD = 16384;
const HANDSHAKE_HEADER = 4;
const HS_CLIENT_HELLO = 1;
const RANDOM = 32;
const EXT_SERVER_NAME = 0;
const EXT_ECH = 0xfe0d;
const NAME_TYPE_HOST = 0;
/** The handshake header as it is gathered over records (single-threaded use). */
const HEADER_SCRATCH = Buffer.alloc(HANDSHAKE_HEADER);

/** Reusable result. */
export class ClientHelloInfo {
  status = HelloStatus.NEED_MORE;
  serverName: string | null = null;
  /** True when the ClientHello carries encrypted_client_hello: `serverName` is the outer name. */
  ech = false;
  /** Bytes of stream needed to finish (0 when unknown). */
  needed = 0;
  /** Why the handshake is MALFORMED / NOT_TLS / OVERSIZE. */
  reason = '';

  reset(): void {
    this.status = HelloStatus.NEED_MORE;
    this.serverName = null;
    this.ech = false;
    this.needed = 0;
    this.reason = '';
  }
}

function fail(out: ClientHelloInfo, status: HelloStatus, reason: string): HelloStatus {
  out.status = status;
  out.reason = reason;
  return status;
}

/** True when `b` can start a TLS record carrying a handshake (used to tell TLS from HTTP). */
export function looksLikeTlsRecord(b: number): boolean {
  return b === RECORD_HANDSHAKE;
}

/**
 * Reads a ClientHello from the start of a TCP stream: `buf[0, length)` are its first bytes.
 * `maxBytes` bounds the handshake message (header included).
 */
export function readClientHelloFromRecords(buf: Buffer, length: number, maxBytes: number, out: ClientHelloInfo): HelloStatus {
  out.reset();
  if (length < 1) return HelloStatus.NEED_MORE;
  if (buf[0] !== RECORD_HANDSHAKE) return fail(out, HelloStatus.NOT_TLS, `first byte 0x${buf[0].toString(16)} is not a TLS handshake record`);
  // Walk records, counting the handshake bytes they carry, until the ClientHello is complete.
  let at = 0;
  let gathered = 0;
  let messageLength = -1;
  let firstFragment = 0;
  let firstFragmentLength = 0;
  const header = HEADER_SCRATCH;
  for (;;) {
    if (length - at < RECORD_HEADER) return need(out, at + RECORD_HEADER);
    if (buf[at] !== RECORD_HANDSHAKE) return fail(out, HelloStatus.MALFORMED, `record at byte ${at} has type ${buf[at]}, not handshake (22), before the ClientHello ended`);
    if (buf[at + 1] !== 3) return fail(out, HelloStatus.MALFORMED, `record at byte ${at} has version 0x${u16(buf, at + 1).toString(16)}`);
    const recordLength = u16(buf, at + 3);
    if (recordLength === 0 || recordLength > MAX_RECORD) {
      return fail(out, HelloStatus.MALFORMED, `record at byte ${at} has length ${recordLength} (1..${MAX_RECORD})`);
    }
    const body = at + RECORD_HEADER;
    if (gathered === 0) { firstFragment = body; firstFragmentLength = recordLength; }
    const available = Math.min(recordLength, length - body);
    // Copy the bytes of the handshake header as they arrive (it may be split over records).
    for (let i = 0; i < available && gathered + i < HANDSHAKE_HEADER; i++) header[gathered + i] = buf[body + i];
    const before = gathered;
    gathered += available;
    if (messageLength < 0 && gathered >= HANDSHAKE_HEADER) {
      if (header[0] !== HS_CLIENT_HELLO) return fail(out, HelloStatus.NOT_TLS, `first handshake message has type ${header[0]}, not client_hello (1)`);
      messageLength = HANDSHAKE_HEADER + u24(header, 1);
      if (messageLength > maxBytes) {
        return fail(out, HelloStatus.OVERSIZE, `ClientHello of ${messageLength} bytes exceeds the ${maxBytes}-byte bound`);
      }
    }
    if (messageLength >= 0 && gathered >= messageLength) {
      if (before === 0) return readClientHello(buf, firstFragment, Math.min(firstFragmentLength, messageLength), out);
      return readClientHello(gatherFragments(buf, messageLength), 0, messageLength, out);
    }
    if (available < recordLength) return need(out, messageLength < 0 ? 0 : body + recordLength);
    at = body + recordLength;
  }
}

function need(out: ClientHelloInfo, needed: number): HelloStatus {
  out.status = HelloStatus.NEED_MORE;
  out.needed = needed;
  return HelloStatus.NEED_MORE;
}

/** Concatenates the handshake bytes of the records at the start of `buf` (already checked). */
function gatherFragments(buf: Buffer, total: number): Buffer {
  const joined = Buffer.alloc(total);
  let at = 0;
  let done = 0;
  while (done < total) {
    const recordLength = u16(buf, at + 3);
    const take = Math.min(recordLength, total - done);
    buf.copy(joined, done, at + RECORD_HEADER, at + RECORD_HEADER + take);
    done += take;
    at += RECORD_HEADER + recordLength;
  }
  return joined;
}

/**
 * Reads a ClientHello handshake message from a handshake stream (QUIC CRYPTO data):
 * `buf[0, length)` are its first bytes.
 */
export function readClientHelloFromHandshake(buf: Buffer, length: number, maxBytes: number, out: ClientHelloInfo): HelloStatus {
  out.reset();
  if (length < HANDSHAKE_HEADER) return need(out, HANDSHAKE_HEADER);
  if (buf[0] !== HS_CLIENT_HELLO) return fail(out, HelloStatus.NOT_TLS, `first handshake message has type ${buf[0]}, not client_hello (1)`);
  const messageLength = HANDSHAKE_HEADER + u24(buf, 1);
  if (messageLength > maxBytes) return fail(out, HelloStatus.OVERSIZE, `ClientHello of ${messageLength} bytes exceeds the ${maxBytes}-byte bound`);
  if (length < messageLength) return need(out, messageLength);
  return readClientHello(buf, 0, messageLength, out);
}

/** Parses the complete handshake message `buf[at, at + length)` (header included). */
export function readClientHello(buf: Buffer, at: number, length: number, out: ClientHelloInfo): HelloStatus {
  const end = at + length;
  let p = at + HANDSHAKE_HEADER;
  const malformed = (why: string): HelloStatus => fail(out, HelloStatus.MALFORMED, `ClientHello ${why}`);
  if (end - p < 2 + RANDOM + 1) return malformed('ends before its session id');
  p += 2 + RANDOM;
  const sessionIdLength = buf[p++];
  if (sessionIdLength > 32) return malformed(`session id length ${sessionIdLength} exceeds 32`);
  if (end - p < sessionIdLength + 2) return malformed('ends in its session id');
  p += sessionIdLength;
  const suites = u16(buf, p);
  p += 2;
  if (suites < 2 || suites % 2 !== 0) return malformed(`cipher_suites length ${suites} is not even and >= 2`);
  if (end - p < suites + 1) return malformed('ends in its cipher suites');
  p += suites;
  const compressions = buf[p++];
  if (compressions < 1) return malformed('has no compression method');
  if (end - p < compressions) return malformed('ends in its compression methods');
  p += compressions;
  out.status = HelloStatus.OK;
  if (p === end) return HelloStatus.OK; // no extensions: no SNI
  if (end - p < 2) return malformed('ends in its extensions length');
  const extensionsLength = u16(buf, p);
  p += 2;
  if (extensionsLength !== end - p) return malformed(`extensions length ${extensionsLength} does not match the ${end - p} bytes left`);
  const seen = new Set<number>();
  while (p < end) {
    if (end - p < 4) return malformed('ends in an extension header');
    const type = u16(buf, p);
    const extLength = u16(buf, p + 2);
    p += 4;
    if (extLength > end - p) return malformed(`extension ${type} of ${extLength} bytes overruns the message`);
    if (seen.has(type)) return malformed(`repeats extension ${type}`);
    seen.add(type);
    if (type === EXT_SERVER_NAME) {
      const r = readServerName(buf, p, extLength, out);
      if (r !== HelloStatus.OK) return r;
    } else if (type === EXT_ECH) {
      out.ech = true;
    }
    p += extLength;
  }
  out.status = HelloStatus.OK;
  return HelloStatus.OK;
}

function readServerName(buf: Buffer, at: number, length: number, out: ClientHelloInfo): HelloStatus {
  const malformed = (why: string): HelloStatus => fail(out, HelloStatus.MALFORMED, `server_name extension ${why}`);
  if (length < 2) return malformed('is shorter than its list length');
  const listLength = u16(buf, at);
  if (listLength !== length - 2 || listLength === 0) return malformed(`list length ${listLength} does not match the extension (${length - 2})`);
  const end = at + length;
  let p = at + 2;
  while (p < end) {
    if (end - p < 3) return malformed('ends in an entry header');
    const nameType = buf[p];
    const nameLength = u16(buf, p + 1);
    p += 3;
    if (nameLength === 0 || nameLength > end - p) return malformed(`entry of ${nameLength} bytes does not fit`);
    if (nameType === NAME_TYPE_HOST) {
      if (out.serverName !== null) return malformed('has two host names');
      const name = asciiName(buf, p, nameLength);
      if (name === null) return malformed(`host name ${JSON.stringify(buf.toString('latin1', p, p + Math.min(nameLength, 64)))} is not a DNS name`);
      out.serverName = name;
    }
    p += nameLength;
  }
  return HelloStatus.OK;
}

/** The normalised host name in `buf[at, at + length)`, or null when it is not a printable-ASCII DNS name. */
export function asciiName(buf: Buffer, at: number, length: number): string | null {
  for (let i = at; i < at + length; i++) if (buf[i] <= 0x20 || buf[i] >= 0x7f) return null;
  return normalizeName(buf.toString('latin1', at, at + length));
}
