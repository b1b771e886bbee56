/**
 * Linux tun device (IFF_TUN | IFF_NO_PI) through the native/tun N-API addon: the addon opens the
 * device non-blocking (ioctl TUNSETIFF), sets MTU/up and waits for readability with poll() on a
 * threadpool thread (bounded by a timeout, so no thread is parked forever and the process can
 * exit). Packets move through the file descriptor with fs.readSync until EAGAIN, a batch at a
 * time, and fs.writeSync (a tun write never blocks: the kernel takes the packet or fails at once).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

interface TunAddon {
  open(name: string): { fd: number; name: string };
  setUp(name: string, mtu: number): void;
  pollReadable(fd: number, timeoutMs: number, cb: (err: Error | null, readable?: boolean) => void): void;
  close(fd: number): void;
}

/** Where the addon is looked for: $GWLB_SIM_TUN_ADDON, then native/tun/build/Release/tun.node of this package. */
export function tunAddonCandidates(): string[] {
  // lib/sim/*.ts and the bundle dist/sim/gwlb-sim.js are two levels below the package root,
  // tsc's dist/lib/sim/*.js three.
  const addon = ['native', 'tun', 'build', 'Release', 'tun.node'];
  const built = [path.resolve(__dirname, '..', '..', ...addon), path.resolve(__dirname, '..', '..', '..', ...addon)];
  return process.env.GWLB_SIM_TUN_ADDON ? [process.env.GWLB_SIM_TUN_ADDON, ...built] : built;
}

function loadAddon(): TunAddon {
  const candidates = tunAddonCandidates();
  const file = candidates.find((c) => fs.existsSync(c));
  if (!file) {
    throw new Error(`tun addon not found (looked at ${candidates.join(', ')}); build it with: node scripts/build-tun.js`);
  }
  return createRequire(__filename)(file) as TunAddon;
}

/** Largest packet read from the device. */
const READ_BUFFER = 65536;
/** Packets read per turn of the event loop before letting other work run. */
const READ_BATCH = 64;
/** Longest a poll() waits on a threadpool thread; also the longest exit waits for it. */
const POLL_TIMEOUT_MS = 200;

export class TunDevice {
  readonly name: string;
  private readonly fd: number;
  private readonly addon: TunAddon;
  private readonly readBuf = Buffer.allocUnsafe(READ_BUFFER);
  private closed = false;

  /** Opens (creating if needed) `name`; with `mtu` > 0 sets the MTU and brings the link up. */
  constructor(name: string, mtu: number) {
    this.addon = loadAddon();
    let opened: { fd: number; name: string };
    try {
      opened = this.addon.open(name);
    } catch (err) {
      const hint = /EINVAL|Invalid argument/.test((err as Error).message)
        ? ` (an existing ${name} must be a tun device without packet info, e.g. made by: ip tuntap add dev ${name} mode tun)`
        : /EPERM|Operation not permitted/.test((err as Error).message) ? ' (needs root or CAP_NET_ADMIN)' : '';
      throw new Error(`--tun: cannot open ${name}: ${(err as Error).message}${hint}`);
    }
    this.fd = opened.fd;
    this.name = opened.name;
    if (mtu > 0) this.addon.setUp(this.name, mtu);
  }

  /**
   * Reads packets until close(). `onPacket(buf, length)` must use or copy the bytes before it
   * returns: the buffer is reused. `onError` gets read errors (reading goes on after 100 ms).
   */
  startReading(onPacket: (buf: Buffer, length: number) => void, onError: (err: Error) => void): void {
    const wait = (): void => {
      if (this.closed) return;
      this.addon.pollReadable(this.fd, POLL_TIMEOUT_MS, (err, readable) => {
        if (this.closed) return;
        if (err) {
          onError(err);
          setTimeout(wait, 100);
        } else if (readable) {
          drain();
        } else {
          wait();
        }
      });
    };
    const drain = (): void => {
      for (let i = 0; i < READ_BATCH; i++) {
        if (this.closed) return;
        let n: number;
        try {
          n = fs.readSync(this.fd, this.readBuf, 0, READ_BUFFER, null);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return wait();
          onError(err as Error);
          setTimeout(wait, 100);
          return;
        }
        if (n > 0) onPacket(this.readBuf, n);
      }
      setImmediate(drain);
    };
    wait();
  }

  /** Writes one IP packet; throws on a kernel error (e.g. EINVAL for a malformed packet). */
  write(buf: Buffer, offset: number, length: number): void {
    fs.writeSync(this.fd, buf, offset, length);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.addon.close(this.fd);
  }
}
