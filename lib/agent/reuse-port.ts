/**
 * SO_REUSEPORT for dgram sockets (`reusePort`, node 22.12+ / 23.1+ on Linux): several sockets bind
 * one address and port and the kernel spreads datagrams over them by a hash of the 4-tuple. Older
 * node ignores the option silently, so support is detected by trying it.
 */
import { createSocket, Socket, SocketOptions } from 'node:dgram';

/** A udp4 socket, with SO_REUSEPORT when `reusePort`. */
export function createUdp4Socket(reusePort = false): Socket {
  return reusePort ? createSocket({ type: 'udp4', reusePort: true } as SocketOptions) : createSocket({ type: 'udp4' });
}

/** True when two reusePort sockets can bind the same loopback port (the option works). Never rejects. */
export async function reusePortSupported(): Promise<boolean> {
  const a = createUdp4Socket(true);
  const b = createUdp4Socket(true);
  try {
    const port = await bind(a, 0);
    await bind(b, port);
    return true;
  } catch {
    return false;
  } finally {
    for (const s of [a, b]) {
      try { s.close(); } catch { /* never bound */ }
    }
  }
}

function bind(s: Socket, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind({ port, address: '127.0.0.1', exclusive: true }, () => {
      s.off('error', reject);
      resolve(s.address().port);
    });
  });
}

/**
 * Rejects with `cannot bind UDP address:port: CODE` unless a plain (not SO_REUSEPORT) socket can
 * bind it now. Workers bind with SO_REUSEPORT, which would silently share the port with any
 * process of the same user that holds it with SO_REUSEPORT too (e.g. a second agent): this check
 * keeps the port the agent's alone, as an exclusive bind does.
 */
export async function assertUdpPortFree(address: string, port: number): Promise<void> {
  const s = createUdp4Socket(false);
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind({ port, address, exclusive: true }, () => resolve());
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`cannot bind UDP ${address}:${port}: ${e.code ?? e.message}`);
  } finally {
    await new Promise<void>((resolve) => {
      try { s.close(() => resolve()); } catch { resolve(); }
    });
  }
}
