/**
 * TLS / QUIC test builders, written from RFC 8446 / RFC 6066 / RFC 9000-9001 independently of the
 * readers under test, and a capture of the first bytes real TLS clients send.
 */
import { spawn } from 'node:child_process';
import { createCipheriv, createHmac } from 'node:crypto';
import { AddressInfo, createServer } from 'node:net';

const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number): Buffer => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);

export function extension(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), u16(data.length), data]);
}

export function sniExtension(...names: string[]): Buffer {
  const list = Buffer.concat(names.map((n) => Buffer.concat([Buffer.from([0]), u16(Buffer.byteLength(n)), Buffer.from(n, 'latin1')])));
  return extension(0, Buffer.concat([u16(list.length), list]));
}

export interface HelloOpts { sni?: string[]; extensions?: Buffer[]; noExtensions?: boolean; sessionId?: number }
/** A ClientHello handshake message (header included). */
export function clientHello(o: HelloOpts = {}): Buffer {
  const exts = [...(o.sni ? [sniExtension(...o.sni)] : []), ...(o.extensions ?? [extension(43, Buffer.from([2, 3, 4]))])];
  const extBlock = o.noExtensions ? Buffer.alloc(0) : Buffer.concat([u16(exts.reduce((n, e) => n + e.length, 0)), ...exts]);
  const body = Buffer.concat([
    Buffer.from([3, 3]), Buffer.alloc(32, 7), Buffer.from([o.sessionId ?? 32]), Buffer.alloc(o.sessionId ?? 32, 1),
    u16(4), Buffer.from([0x13, 0x01, 0x13, 0x02]), Buffer.from([1, 0]), extBlock,
  ]);
  return Buffer.concat([Buffer.from([1]), u24(body.length), body]);
}

/** Wraps a handshake byte string in handshake records of at most `sizes[i]` bytes each (last size repeats). */
export function records(handshake: Buffer, sizes: number[] = [16384]): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < handshake.length; i++) {
    const n = Math.min(sizes[Math.min(i, sizes.length - 1)], handshake.length - at);
    out.push(Buffer.from([22, 3, 1]), u16(n), handshake.subarray(at, at + n));
    at += n;
  }
  return Buffer.concat(out);
}

/** A padding extension (RFC 7685) of `n` bytes, to make a ClientHello large. */
export const padding = (n: number): Buffer => extension(21, Buffer.alloc(n));

// ---------------------------------------------------------------------------------------------
// QUIC v1 client Initial (RFC 9001 section 5), for building split ClientHellos.

function expandLabel(secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`);
  const info = Buffer.concat([u16(length), Buffer.from([full.length]), full, Buffer.from([0, 1])]);
  return createHmac('sha256', secret).update(info).digest().subarray(0, length);
}

export function quicVarint(n: number): Buffer {
  if (n < 64) return Buffer.from([n]);
  if (n < 16384) return Buffer.from([0x40 | (n >> 8), n & 0xff]);
  return Buffer.from([0x80 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

export function cryptoFrame(offset: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([6]), quicVarint(offset), quicVarint(data.length), data]);
}

/** A protected client Initial carrying `frames` (padded to `padTo` payload bytes), packet number `pn` (2 bytes). */
export function quicInitial(dcid: Buffer, pn: number, frames: Buffer, padTo = 1162): Buffer {
  const salt = Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex');
  const secret = expandLabel(createHmac('sha256', salt).update(dcid).digest(), 'client in', 32);
  const key = expandLabel(secret, 'quic key', 16);
  const iv = expandLabel(secret, 'quic iv', 12);
  const hp = expandLabel(secret, 'quic hp', 16);
  const payload = Buffer.concat([frames, Buffer.alloc(Math.max(0, padTo - frames.length))]);
  const length = 2 + payload.length + 16;
  const header = Buffer.concat([Buffer.from([0xc1, 0, 0, 0, 1, dcid.length]), dcid, Buffer.from([0]), Buffer.from([0]),
    Buffer.from([0x40 | (length >> 8), length & 0xff]), u16(pn)]);
  const nonce = Buffer.from(iv);
  nonce[10] ^= pn >> 8;
  nonce[11] ^= pn & 0xff;
  const gcm = createCipheriv('aes-128-gcm', key, nonce);
  gcm.setAAD(header);
  const sealed = Buffer.concat([gcm.update(payload), gcm.final(), gcm.getAuthTag()]);
  const pnOffset = header.length - 2;
  const sample = sealed.subarray(2, 18); // pn_offset + 4 - (pn_offset + 2)
  const mask = createCipheriv('aes-128-ecb', hp, null).update(sample);
  const out = Buffer.concat([header, sealed]);
  out[0] ^= mask[0] & 0x0f;
  out[pnOffset] ^= mask[1];
  out[pnOffset + 1] ^= mask[2];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Real clients.

/**
 * Listens on 127.0.0.1, runs `start(port)` (which makes a TLS client connect), and resolves with
 * the first bytes the client sent once `complete(bytes)` says they suffice (or after 5 s).
 */
export function captureFirstBytes(start: (port: number) => () => void, complete: (b: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let stop: () => void = () => undefined;
    const server = createServer((socket) => {
      let got = Buffer.alloc(0);
      socket.on('data', (d) => {
        got = Buffer.concat([got, d]);
        if (complete(got)) finish(got, socket);
      });
      socket.on('error', () => undefined);
    });
    const timer = setTimeout(() => { stop(); server.close(); reject(new Error('no complete ClientHello within 5 s')); }, 5000);
    const finish = (b: Buffer, socket: import('node:net').Socket): void => {
      clearTimeout(timer);
      socket.destroy();
      stop();
      server.close();
      resolve(b);
    };
    server.listen(0, '127.0.0.1', () => {
      stop = start((server.address() as AddressInfo).port);
    });
  });
}

/** Starts `cmd args` and returns a function that kills it. */
export function runClient(cmd: string, args: string[]): () => void {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  child.on('error', () => undefined);
  return () => { if (child.exitCode === null) child.kill('SIGKILL'); };
}
