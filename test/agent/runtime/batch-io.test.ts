/**
 * The native batch I/O addon (native/batchio/batchio.c) through its wrapper (lib/agent/batch-io.ts),
 * on loopback: batches in, verdicts, replies out exactly as the JavaScript reply modes send them,
 * counters, a throwing callback, bad options; and how the loader finds it or says why not.
 */
import { Socket } from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BatchIoAddon, BatchSocket, BatchView, ipv4ToU32, loadBatchIo, resolveBatchIo, u32ToIpv4, VERDICT_DROP, VERDICT_PROBE_REPLY,
  VERDICT_REPLY,
} from '../../../lib/agent/batch-io';
import { Dataplane } from '../../../lib/agent/dataplane';
import { Inspector } from '../../../lib/agent/inspector';
import { AgentMetrics } from '../../../lib/agent/metrics';
import { allowAllPolicy } from '../../../lib/agent/policy';
import { AGENT_ADDRESS, bindUdp, closeUdp, eventually, FakeGwlb, freeUdpPort, GWLB_ADDRESS, Inbox, ROOT } from './harness';
import { geneve, ipv4Udp } from './packets';

const DIST = path.join(ROOT, 'dist', 'agent', 'native');

function addon(): BatchIoAddon {
  const l = loadBatchIo();
  if (l.addon === null) throw new Error(`the addon does not load: ${l.reason}`);
  return l.addon;
}

interface Seen {
  address: string;
  port: number;
  bytes: Buffer;
}

/** A listening socket read by the addon; the GWLB stand-in sends from `gwlb` and receives on `replies`. */
class Rig {
  readonly seen: Seen[] = [];
  readonly batchSizes: number[] = [];
  verdict: (bytes: Buffer, index: number) => number = () => VERDICT_REPLY;
  throwOnce = false;
  io!: BatchSocket;

  private constructor(readonly listening: Socket, readonly gwlb: Socket, readonly replies: Inbox) {}

  static async start(boundPort: boolean, maxSockets = 64): Promise<Rig> {
    const listening = await bindUdp(AGENT_ADDRESS, await freeUdpPort());
    const port = listening.address().port;
    const rig = new Rig(listening, await bindUdp(GWLB_ADDRESS, 0), new Inbox(await bindUdp(GWLB_ADDRESS, port)));
    rig.io = new BatchSocket(addon(), {
      receive: listening, listening, listenAddress: AGENT_ADDRESS, listenPort: port, boundPort, reusePort: false, maxSockets,
      onBatch: (view, count) => rig.onBatch(view, count),
    });
    return rig;
  }

  get port(): number {
    return this.listening.address().port;
  }

  private onBatch(view: BatchView, count: number): void {
    this.batchSizes.push(count);
    if (this.throwOnce) {
      this.throwOnce = false;
      view.verdicts.fill(VERDICT_REPLY); // what it wrote before throwing must not be sent either
      throw new Error('callback bug');
    }
    for (let i = 0; i < count; i++) {
      const at = i * view.metaFields;
      const bytes = Buffer.from(view.data.subarray(i * view.slot, i * view.slot + view.meta[at + 2]));
      this.seen.push({ address: u32ToIpv4(view.meta[at]), port: view.meta[at + 1], bytes });
      view.verdicts[i] = this.verdict(bytes, this.seen.length - 1);
    }
  }

  send(msg: Buffer, from: Socket = this.gwlb): void {
    from.send(msg, this.port, AGENT_ADDRESS);
  }

  async close(...more: Socket[]): Promise<void> {
    this.io.close();
    for (const s of [this.listening, this.gwlb, this.replies.socket, ...more]) await closeUdp(s);
  }
}

/** Distinct payloads: the index in the first two bytes, then a pattern. */
function payload(i: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let k = 0; k < length; k++) b[k] = (i * 31 + k * 7) & 255;
  if (length >= 2) b.writeUInt16BE(i, 0);
  return b;
}

describe('native batch I/O addon', () => {
  test('receives a burst in batches of up to BATCH, with each datagram\'s source, length and bytes', async () => {
    const rig = await Rig.start(true);
    rig.verdict = () => VERDICT_DROP;
    try {
      const sent = Array.from({ length: 100 }, (_, i) => payload(i, 2 + ((i * 37) % 300)));
      sent.forEach((p) => rig.send(p)); // queued in the kernel before the event loop polls again
      await eventually(() => rig.seen.length === sent.length);
      expect(Math.max(...rig.batchSizes)).toBeGreaterThan(1);
      expect(Math.max(...rig.batchSizes)).toBeLessThanOrEqual(addon().BATCH);
      rig.seen.forEach((s, i) => {
        expect(s).toMatchObject({ address: GWLB_ADDRESS, port: rig.gwlb.address().port });
        expect(s.bytes.equals(sent[i])).toBe(true);
      });
      expect(rig.io.counter('packetsIn')).toBe(100);
      expect(rig.io.counter('batches')).toBe(rig.batchSizes.length);
    } finally {
      await rig.close();
    }
  });

  test('bound-port: replies unchanged from (listen address, GWLB source port) to (GWLB address, listening port); drops are not sent', async () => {
    const rig = await Rig.start(true);
    const second = await bindUdp(GWLB_ADDRESS, 0);
    rig.verdict = (bytes) => (bytes[1] % 2 === 0 ? VERDICT_REPLY : VERDICT_DROP);
    try {
      const sizes = [0, 1, 2, 60, 1400, 8540, 65507]; // empty up to the largest UDP payload over IPv4
      const sent = sizes.map((n, i) => payload(i, n));
      for (const [i, p] of sent.entries()) rig.send(p, i % 3 === 0 ? second : rig.gwlb);
      const expected = sent.map((p, i) => ({ p, from: i % 3 === 0 ? second : rig.gwlb })).filter(({ p }) => p.length < 2 || p[1] % 2 === 0);
      // Sizes 0 and 1 carry no index: their second byte is undefined, so they are dropped. Only indexed even ones reply.
      const replied = expected.filter(({ p }) => p.length >= 2);
      for (const { p, from } of replied) {
        const r = await rig.replies.next();
        expect(r.msg.equals(p)).toBe(true);
        expect(r.rinfo).toMatchObject({ address: AGENT_ADDRESS, port: from.address().port });
      }
      expect(await rig.replies.silentFor(200)).toBe(true);
      expect(rig.io.counter('packetsOut')).toBe(replied.length);
      expect(rig.io.counter('bytesOut')).toBe(replied.reduce((n, { p }) => n + p.length, 0));
      expect(rig.io.counter('portsNotKept')).toBe(0);
      expect(rig.io.openSockets).toBe(2); // one per GWLB source port
    } finally {
      await rig.close(second);
    }
  });

  test('dgram mode: replies from the listening socket to the GWLB listening port, counted as ports not kept', async () => {
    const rig = await Rig.start(false);
    try {
      const p = payload(7, 200);
      rig.send(p);
      const r = await rig.replies.next();
      expect(r.msg.equals(p)).toBe(true);
      expect(r.rinfo).toMatchObject({ address: AGENT_ADDRESS, port: rig.port });
      expect(rig.io.counter('portsNotKept')).toBe(1);
      expect(rig.io.openSockets).toBe(0);
    } finally {
      await rig.close();
    }
  });

  test('verdict 2 replies too and counts in the probe counters only', async () => {
    const rig = await Rig.start(true);
    rig.verdict = () => VERDICT_PROBE_REPLY;
    try {
      rig.send(payload(1, 100));
      await rig.replies.next();
      expect(rig.io.counter('probePacketsOut')).toBe(1);
      expect(rig.io.counter('probeBytesOut')).toBe(100);
      expect(rig.io.counter('packetsOut')).toBe(0);
    } finally {
      await rig.close();
    }
  });

  test('a callback that throws sends nothing of its batch, is counted, and the socket keeps working', async () => {
    const rig = await Rig.start(true);
    rig.throwOnce = true;
    try {
      rig.send(payload(1, 50));
      await eventually(() => rig.io.counter('callbackErrors') === 1);
      expect(await rig.replies.silentFor(200)).toBe(true);
      const p = payload(2, 50);
      rig.send(p);
      expect((await rig.replies.next()).msg.equals(p)).toBe(true);
    } finally {
      await rig.close();
    }
  });

  test('counts bind failures and replies from the listening port when the GWLB source port is taken', async () => {
    const rig = await Rig.start(true);
    const from = await bindUdp(GWLB_ADDRESS, 0);
    const squatter = await bindUdp(AGENT_ADDRESS, from.address().port);
    try {
      const p = payload(3, 80);
      rig.send(p, from);
      const r = await rig.replies.next();
      expect(r.msg.equals(p)).toBe(true);
      expect(r.rinfo.port).toBe(rig.port);
      expect(rig.io.counter('replyBindFailures')).toBe(1);
      expect(rig.io.counter('portsNotKept')).toBe(1);
      expect(u32ToIpv4(rig.io.counter('lastBindAddress'))).toBe(GWLB_ADDRESS);
      expect(rig.io.counter('lastBindPort')).toBe(from.address().port);
      expect(rig.io.counter('lastBindErrno')).toBe(os.constants.errno.EADDRINUSE);
      await closeUdp(squatter);
      expect(rig.io.sweepFailed(0)).toBe(1);
      rig.send(p, from);
      expect((await rig.replies.next()).rinfo.port).toBe(from.address().port);
    } finally {
      await rig.close(from);
    }
  });

  test('evicts the least recently used reply socket beyond maxSockets', async () => {
    const rig = await Rig.start(true, 2);
    const senders = [rig.gwlb, await bindUdp(GWLB_ADDRESS, 0), await bindUdp(GWLB_ADDRESS, 0)];
    try {
      for (const s of senders) {
        rig.send(payload(1, 40), s);
        expect((await rig.replies.next()).rinfo.port).toBe(s.address().port);
      }
      expect(rig.io.openSockets).toBe(2);
      expect(rig.io.counter('replySocketEvictions')).toBe(1);
    } finally {
      await rig.close(senders[1], senders[2]);
    }
  });

  test('open() names what is wrong with bad options; close() is idempotent and stops reading', async () => {
    const a = addon();
    expect(() => a.open({} as never)).toThrow(/recvFd, sendFd, listenAddress, listenPort \(1-65535\)/);
    const rig = await Rig.start(true);
    rig.io.close();
    rig.io.close();
    rig.send(payload(1, 10));
    expect(await rig.replies.silentFor(200)).toBe(true);
    expect(rig.seen).toEqual([]);
    await rig.close();
  });
});

describe('finding the addon', () => {
  const base = { platform: 'linux', arch: 'x64', distDir: DIST };
  const x64 = (): string => fs.readFileSync(path.join(DIST, 'batchio-linux-x64.node')).toString('base64');

  test.each([
    [{ ...base, platform: 'darwin' }, 'platform darwin is not linux'],
    [{ ...base, arch: 'ia32' }, 'no prebuilt addon for ia32'],
    [{ ...base, override: 'none' }, 'disabled by GWLB_AGENT_BATCHIO=none'],
    [{ ...base, embedded: {} }, 'the bundle has no addon for x64'],
    [{ ...base, distDir: '/nonexistent' }, '/nonexistent/batchio-linux-x64.node does not exist (npm run build:batchio)'],
  ])('%j: unavailable because %s', (lookup, reason) => {
    expect(resolveBatchIo(lookup)).toEqual({ addon: null, reason });
  });

  test('a file that is not a loadable addon: unavailable, with the loader\'s error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batchio-'));
    const junk = path.join(dir, 'junk.node');
    fs.writeFileSync(junk, 'not an ELF file');
    try {
      const l = resolveBatchIo({ ...base, override: junk });
      expect(l.addon).toBeNull();
      expect((l as { reason: string }).reason).toMatch(new RegExp(`^cannot load ${junk}: `));
      const embedded = resolveBatchIo({ ...base, embedded: { x64: Buffer.from('junk').toString('base64') } });
      expect((embedded as { reason: string }).reason).toMatch(/^cannot load bundle \(batchio-linux-x64\.node\): /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the wrong architecture\'s addon does not load', () => {
    const arm = resolveBatchIo({ ...base, embedded: { x64: fs.readFileSync(path.join(DIST, 'batchio-linux-arm64.node')).toString('base64') } });
    expect(arm.addon).toBeNull();
    expect((arm as { reason: string }).reason).toMatch(/cannot load bundle/);
  });

  test('the embedded addon is written to a private directory, loaded and deleted', () => {
    const before = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('gwlb-agent-batchio-'));
    const l = resolveBatchIo({ ...base, embedded: { x64: x64() } });
    expect(l).toMatchObject({ source: 'bundle (batchio-linux-x64.node)' });
    expect(typeof l.addon?.open).toBe('function');
    expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('gwlb-agent-batchio-'))).toEqual(before);
  });

  test('addresses convert both ways', () => {
    expect(ipv4ToU32('127.0.0.2')).toBe(0x7f000002);
    expect(ipv4ToU32('255.1.2.3')).toBe(0xff010203);
    expect(u32ToIpv4(0xff010203)).toBe('255.1.2.3');
  });
});

describe('the data plane on native batch I/O', () => {
  test('malformed and random datagrams never crash it: all dropped and counted, a good packet after them is returned', async () => {
    const port = await freeUdpPort();
    const metrics = new AgentMetrics();
    const inspector = new Inspector(allowAllPolicy());
    const dp = new Dataplane({ listen: AGENT_ADDRESS, port, replyMode: 'bound-port', warn: () => undefined, io: 'native' },
      inspector, metrics);
    await dp.start();
    const gwlb = await FakeGwlb.create(port);
    try {
      expect(dp.io?.mode).toBe('native');
      let seed = 12345;
      const rnd = (n: number): number => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed % n;
      };
      const good = geneve(ipv4Udp(), 0x77);
      const junk: Buffer[] = [];
      for (let i = 0; i < 300; i++) {
        const b = i % 2 === 0 ? Buffer.alloc(rnd(200)) : Buffer.from(good.subarray(0, rnd(good.length))); // random, or cut short
        if (i % 2 === 0) for (let k = 0; k < b.length; k++) b[k] = rnd(256);
        junk.push(b);
      }
      for (const b of junk) await gwlb.send(b);
      await gwlb.send(good);
      const reply = await gwlb.replies.next();
      expect(reply.msg.equals(good)).toBe(true);
      dp.syncCounters();
      expect(metrics.packetsIn).toBe(301);
      expect(metrics.packetsOut).toBe(1);
      expect(metrics.internalErrors).toBe(0);
      expect(Array.from(inspector.dropCounts).slice(1).reduce((a, b) => a + b, 0)).toBe(300); // [0] counts the passed
      expect(await gwlb.replies.silentFor(200)).toBe(true);
    } finally {
      await gwlb.close();
      await dp.close();
    }
  });
});
