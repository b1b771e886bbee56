/**
 * Linux tun device (IFF_TUN | IFF_NO_PI) through the native/tun N-API addon: the addon only opens
 * the device (ioctl TUNSETIFF) and sets MTU/up; packets move through the file descriptor with
 * fs.read (one read at a time on the libuv threadpool, so the event loop never blocks) and
 * fs.writeSync (a tun write never blocks: the kernel takes the packet or fails at once).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

interface TunAddon {
  open(name: string): { fd: number; name: string };
  setUp(name: string, mtu: number): void;
  close(fd: number): void;
}

/** Where the addon is looked for: $GWLB_SIM_TUN_ADDON, then native/tun/build/Release/tun.node of this package. */
export function tunAddonCandidates(): string[] {
  // lib/sim/*.ts and the bundle dist/sim/gwlb-sim.js are both two levels below the package root.
  const built = path.resolve(__dirname, '..', '..', 'native', 'tun', 'build', 'Release', 'tun.node');
  return process.env.GWLB_SIM_TUN_ADDON ? [process.env.GWLB_SIM_TUN_ADDON, built] : [built];
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

export class TunDevice {
  readonly name: string;
  private readonly fd: number;
  private readonly addon: TunAddon;
  private readonly readBuf = Buffer.allocUnsafe(READ_BUFFER);
  private closed = false;

  /** Opens (creating if needed) `name`; with `mtu` > 0 sets the MTU and brings the link up. */
  constructor(name: string, mtu: number) {
    this.addon = loadAddon();
    const opened = this.addon.open(name);
    this.fd = opened.fd;
    this.name = opened.name;
    if (mtu > 0) this.addon.setUp(this.name, mtu);
  }

  /**
   * Reads packets until close(). `onPacket(buf, length)` must use or copy the bytes before it
   * returns: the buffer is reused. `onError` gets read errors (reading goes on after 100 ms).
   */
  startReading(onPacket: (buf: Buffer, length: number) => void, onError: (err: Error) => void): void {
    const next = (): void => {
      if (this.closed) return;
      fs.read(this.fd, this.readBuf, 0, READ_BUFFER, null, (err, n) => {
        if (this.closed) return;
        if (err) {
          onError(err);
          setTimeout(next, 100);
          return;
        }
        if (n > 0) onPacket(this.readBuf, n);
        next();
      });
    };
    next();
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
