/**
 * QUIC client Initial packets (RFC 9000 section 17.2.2, RFC 9001 section 5): removes the
 * header and packet protection, whose keys come from public values, and hands the CRYPTO
 * frames (the TLS ClientHello, at stream offsets) to the caller.
 *
 * ```
 * Initial   1 1 00(type) RR PP | version(4) | dcid_len(1) dcid | scid_len(1) scid
 *           | token_len(varint) token | length(varint) | packet number(1..4, protected) | payload
 * keys      initial_secret = HKDF-Extract(salt(version), client's first DCID)
 *           client secret  = HKDF-Expand-Label(initial_secret, "client in", "", 32)
 *           key/iv/hp      = HKDF-Expand-Label(secret, "quic key"/"quic iv"/"quic hp", "", 16/12/16)
 * header    mask = AES-128-ECB(hp, 16 bytes at pn_offset + 4); byte0 ^= mask[0] & 0x0f; pn ^= mask[1..]
 * payload   AES-128-GCM(key, iv XOR pn), AAD = the unprotected header
 * ```
 * QUIC v1 (RFC 9001) and v2 (RFC 9369: other salt, labels "quicv2 ...", Initial type 0b01).
 * Every length is checked; a packet that does not decrypt is reported, never thrown.
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { u32 } from './bytes';

export const QUIC_V1 = 0x00000001;
export const QUIC_V2 = 0x6b3343cf;
const SALT_V1 = Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex');
const SALT_V2 = Buffer.from('0dede3def700a6db819381be6e269dcbf9bd2ed9', 'hex');
const LONG_HEADER = 0x80;
const FIXED_BIT = 0x40;
const MAX_CID = 20;
const SAMPLE = 16;
const TAG = 16;

const FRAME_PADDING = 0x00;
const FRAME_PING = 0x01;
const FRAME_ACK = 0x02;
const FRAME_ACK_ECN = 0x03;
const FRAME_CRYPTO = 0x06;
const FRAME_CONNECTION_CLOSE = 0x1c;

/** The client's Initial keys. */
export interface InitialKeys {
  readonly version: number;
  readonly key: Buffer;
  readonly iv: Buffer;
  readonly hp: Buffer;
}

/** HKDF-Expand-Label (RFC 8446 section 7.1) for outputs up to 32 bytes (one HMAC-SHA256 block). */
export function hkdfExpandLabel(secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.alloc(2 + 1 + full.length + 1 + 1);
  info.writeUInt16BE(length, 0);
  info[2] = full.length;
  full.copy(info, 3);
  info[3 + full.length] = 0; // empty context
  info[4 + full.length] = 1; // HKDF-Expand counter T(1)
  return createHmac('sha256', secret).update(info).digest().subarray(0, length);
}

/** True for the versions whose Initial keys this module knows. */
export function isKnownQuicVersion(version: number): boolean {
  return version === QUIC_V1 || version === QUIC_V2;
}

/** The client Initial keys for `dcid` (the Destination Connection ID of the client's first Initial). */
export function clientInitialKeys(version: number, dcid: Buffer): InitialKeys {
  const v2 = version === QUIC_V2;
  const initial = createHmac('sha256', v2 ? SALT_V2 : SALT_V1).update(dcid).digest();
  const secret = hkdfExpandLabel(initial, 'client in', 32);
  const prefix = v2 ? 'quicv2 ' : 'quic ';
  return {
    version,
    key: hkdfExpandLabel(secret, `${prefix}key`, 16),
    iv: hkdfExpandLabel(secret, `${prefix}iv`, 12),
    hp: hkdfExpandLabel(secret, `${prefix}hp`, 16),
  };
}

/** Reads a QUIC variable-length integer at `at`; returns -1 when it does not fit before `end`. Sets `varintLength`. */
let varintLength = 0;
function varint(buf: Buffer, at: number, end: number): number {
  if (at >= end) return -1;
  const len = 1 << (buf[at] >> 6);
  if (end - at < len) return -1;
  varintLength = len;
  let v = buf[at] & 0x3f;
  for (let i = 1; i < len; i++) v = v * 256 + buf[at + i];
  return v;
}

function isInitialType(version: number, firstByte: number): boolean {
  const type = (firstByte >> 4) & 0x03;
  return version === QUIC_V2 ? type === 1 : type === 0;
}

/** What one datagram held. */
export enum InitialStatus {
  /** One or more Initial packets were opened (CRYPTO frames were passed on). */
  OK = 0,
  /** Not a QUIC long-header Initial of a known version (short header, other version, other type). */
  NOT_INITIAL = 1,
  /** A long header that does not fit, or decrypted frames that break the format. */
  MALFORMED = 2,
  /** The packet did not authenticate with these keys (spoofed, corrupted, or other keys). */
  UNDECRYPTABLE = 3,
}

/** The DCID of a client Initial at the start of `buf[at, end)`, or null when it is not one. */
export function initialDestinationCid(buf: Buffer, at: number, end: number): { version: number; dcid: Buffer } | null {
  if (end - at < 7 || (buf[at] & (LONG_HEADER | FIXED_BIT)) !== (LONG_HEADER | FIXED_BIT)) return null;
  const version = u32(buf, at + 1);
  if (!isKnownQuicVersion(version) || !isInitialType(version, buf[at])) return null;
  const dcidLength = buf[at + 5];
  if (dcidLength > MAX_CID || end - at < 6 + dcidLength) return null;
  return { version, dcid: Buffer.from(buf.subarray(at + 6, at + 6 + dcidLength)) };
}

/**
 * Opens every client Initial packet coalesced in the datagram `buf[at, end)` with `keys` and
 * calls `onCrypto(offset, data, start, length)` for each CRYPTO frame. Stops at the first packet
 * that is not an Initial (coalesced 0-RTT/Handshake packets follow Initials).
 */
export function openInitials(buf: Buffer, at: number, end: number, keys: InitialKeys,
  onCrypto: (offset: number, data: Buffer, start: number, length: number) => void): InitialStatus {
  let opened = 0;
  let p = at;
  while (p < end) {
    if (end - p < 7 || (buf[p] & LONG_HEADER) === 0) break;
    const version = u32(buf, p + 1);
    if (version !== keys.version || !isInitialType(version, buf[p])) break;
    let q = p + 5;
    const dcidLength = buf[q++];
    if (dcidLength > MAX_CID || end - q < dcidLength + 1) return InitialStatus.MALFORMED;
    q += dcidLength;
    const scidLength = buf[q++];
    if (scidLength > MAX_CID || end - q < scidLength) return InitialStatus.MALFORMED;
    q += scidLength;
    const tokenLength = varint(buf, q, end);
    if (tokenLength < 0) return InitialStatus.MALFORMED;
    q += varintLength;
    if (end - q < tokenLength) return InitialStatus.MALFORMED;
    q += tokenLength;
    const length = varint(buf, q, end);
    if (length < 0) return InitialStatus.MALFORMED;
    q += varintLength;
    const pnOffset = q;
    const packetEnd = pnOffset + length;
    if (packetEnd > end || length < 4 + SAMPLE) return InitialStatus.MALFORMED;
    const status = openOne(buf, p, pnOffset, packetEnd, keys, onCrypto);
    if (status !== InitialStatus.OK) return opened > 0 && status === InitialStatus.UNDECRYPTABLE ? InitialStatus.OK : status;
    opened++;
    p = packetEnd;
  }
  return opened > 0 ? InitialStatus.OK : InitialStatus.NOT_INITIAL;
}

function openOne(buf: Buffer, start: number, pnOffset: number, packetEnd: number, keys: InitialKeys,
  onCrypto: (offset: number, data: Buffer, start: number, length: number) => void): InitialStatus {
  const ecb = createCipheriv('aes-128-ecb', keys.hp, null);
  const mask = ecb.update(buf.subarray(pnOffset + 4, pnOffset + 4 + SAMPLE));
  const first = buf[start] ^ (mask[0] & 0x0f);
  const pnLength = (first & 0x03) + 1;
  const header = Buffer.from(buf.subarray(start, pnOffset + pnLength));
  header[0] = first;
  let pn = 0;
  for (let i = 0; i < pnLength; i++) {
    header[pnOffset - start + i] ^= mask[1 + i];
    pn = pn * 256 + header[pnOffset - start + i];
  }
  const nonce = Buffer.from(keys.iv);
  for (let i = 0; i < 4; i++) nonce[11 - i] ^= (pn >>> (8 * i)) & 0xff;
  const cipherStart = pnOffset + pnLength;
  const cipherEnd = packetEnd - TAG;
  if (cipherEnd < cipherStart) return InitialStatus.MALFORMED;
  let plain: Buffer;
  try {
    const gcm = createDecipheriv('aes-128-gcm', keys.key, nonce);
    gcm.setAAD(header);
    gcm.setAuthTag(buf.subarray(cipherEnd, packetEnd));
    plain = Buffer.concat([gcm.update(buf.subarray(cipherStart, cipherEnd)), gcm.final()]);
  } catch {
    return InitialStatus.UNDECRYPTABLE;
  }
  return readFrames(plain, onCrypto);
}

/** Walks the frames an Initial packet may carry (RFC 9000 section 17.2.2); anything else is MALFORMED. */
export function readFrames(plain: Buffer, onCrypto: (offset: number, data: Buffer, start: number, length: number) => void): InitialStatus {
  const end = plain.length;
  let p = 0;
  while (p < end) {
    const type = varint(plain, p, end);
    if (type < 0) return InitialStatus.MALFORMED;
    p += varintLength;
    if (type === FRAME_PADDING || type === FRAME_PING) continue;
    if (type === FRAME_CRYPTO) {
      const offset = varint(plain, p, end);
      if (offset < 0) return InitialStatus.MALFORMED;
      p += varintLength;
      const length = varint(plain, p, end);
      if (length < 0) return InitialStatus.MALFORMED;
      p += varintLength;
      if (end - p < length) return InitialStatus.MALFORMED;
      onCrypto(offset, plain, p, length);
      p += length;
    } else if (type === FRAME_ACK || type === FRAME_ACK_ECN) {
      // largest, delay, range count, first range, then count x (gap, range), then 3 ECN counts.
      const fields: number[] = [];
      for (let i = 0; i < 4; i++) {
        const v = varint(plain, p, end);
        if (v < 0) return InitialStatus.MALFORMED;
        fields.push(v);
        p += varintLength;
      }
      const more = fields[2] * 2 + (type === FRAME_ACK_ECN ? 3 : 0);
      if (more > end - p) return InitialStatus.MALFORMED;
      for (let i = 0; i < more; i++) {
        if (varint(plain, p, end) < 0) return InitialStatus.MALFORMED;
        p += varintLength;
      }
    } else if (type === FRAME_CONNECTION_CLOSE) {
      for (let i = 0; i < 2; i++) { // error code, frame type
        if (varint(plain, p, end) < 0) return InitialStatus.MALFORMED;
        p += varintLength;
      }
      const reasonLength = varint(plain, p, end);
      if (reasonLength < 0 || end - p - varintLength < reasonLength) return InitialStatus.MALFORMED;
      p += varintLength + reasonLength;
    } else {
      return InitialStatus.MALFORMED;
    }
  }
  return InitialStatus.OK;
}
