/**
 * Big-endian integer reads for the packet path. Buffer#readUInt16BE and friends validate their
 * offset argument through a wrapper on every call, which shows in profiles at a million reads a
 * second; these read the bytes directly. They do NOT bounds-check: callers check the lengths
 * first, as every parser in this package does before it reads a field.
 */

export function u16(buf: Uint8Array, at: number): number {
  return (buf[at] << 8) | buf[at + 1];
}

export function u24(buf: Uint8Array, at: number): number {
  return (buf[at] << 16) | (buf[at + 1] << 8) | buf[at + 2];
}

export function u32(buf: Uint8Array, at: number): number {
  return ((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]) >>> 0;
}
