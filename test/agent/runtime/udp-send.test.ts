/**
 * Reply send paths (udp-send.ts) through the SendTracker: both paths deliver the bytes and count
 * packets, bytes and errors the same way; the native path is chosen on this node after its
 * self-test; queued sends (node's fallback when the socket buffer is full) complete and count.
 */
import { spawnSync } from 'node:child_process';
import { Socket } from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AgentMetrics } from '../../../lib/agent/metrics';
import { SendTracker } from '../../../lib/agent/reply-common';
import {
  DGRAM_SEND_PATH, MAX_NATIVE_NODE_MAJOR, MIN_NATIVE_NODE_MAJOR, SendPath, selectSendPath,
} from '../../../lib/agent/udp-send';
import { AGENT_ADDRESS, bindUdp, closeUdp, eventually, GWLB_ADDRESS, Inbox, ROOT } from './harness';

const major = Number(process.versions.node.split('.')[0]);
const nativeExpected = major >= MIN_NATIVE_NODE_MAJOR && major <= MAX_NATIVE_NODE_MAJOR;

function connect(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve) => socket.connect(port, address, () => resolve()));
}

describe('selectSendPath', () => {
  test('picks the native path on the node majors it is verified on, once its self-test passes', async () => {
    const choice = await selectSendPath();
    if (nativeExpected) {
      expect(choice.reason).toBe('');
      expect(choice.path.name).toBe('native');
    } else {
      expect(choice.path).toBe(DGRAM_SEND_PATH);
      expect(choice.reason).toContain('outside the verified majors');
    }
  });

  test('uses the dgram API when asked to', async () => {
    expect(await selectSendPath('dgram')).toEqual({ path: DGRAM_SEND_PATH, reason: 'dgram requested' });
  });
});

describe.each(['native', 'dgram'] as const)('SendTracker over the %s path', (name) => {
  let sendPath: SendPath;
  const sockets: Socket[] = [];
  let gwlb: Inbox;
  let agent: Socket;

  beforeAll(async () => {
    sendPath = name === 'native' ? (await selectSendPath('native')).path : DGRAM_SEND_PATH;
  });

  beforeEach(async () => {
    gwlb = new Inbox(await bindUdp(GWLB_ADDRESS, 0));
    agent = await bindUdp(AGENT_ADDRESS, 0);
    sockets.push(gwlb.socket, agent);
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) await closeUdp(s);
  });

  function tracker(): { t: SendTracker; m: AgentMetrics } {
    const m = new AgentMetrics();
    const t = new SendTracker(m);
    t.sendPath = sendPath;
    return { t, m };
  }

  test('a connected send arrives intact from the bound port and counts packets and bytes', async () => {
    if (name === 'native' && !nativeExpected) return;
    const { t, m } = tracker();
    await connect(agent, gwlb.socket.address().port, GWLB_ADDRESS);
    const msgs = [Buffer.from('first datagram'), Buffer.alloc(1400, 7), Buffer.from('third')];
    for (const msg of msgs) t.sendConnected(agent, msg);
    for (const msg of msgs) {
      const d = await gwlb.next();
      expect(d.msg.equals(msg)).toBe(true);
      expect(d.rinfo).toMatchObject({ address: AGENT_ADDRESS, port: agent.address().port });
    }
    await eventually(() => m.packetsOut === 3);
    expect(m).toMatchObject({ packetsOut: 3, bytesOut: 14 + 1400 + 5, sendErrors: 0 });
    expect(t.lastError).toBeNull();
  });

  test('a send to an address and port from an unconnected socket arrives and counts', async () => {
    if (name === 'native' && !nativeExpected) return;
    const { t, m } = tracker();
    const msg = Buffer.from('to 127.0.0.2');
    t.sendTo(agent, msg, gwlb.socket.address().port, GWLB_ADDRESS);
    expect((await gwlb.next()).msg.equals(msg)).toBe(true);
    await eventually(() => m.packetsOut === 1);
    expect(m).toMatchObject({ packetsOut: 1, bytesOut: msg.length, sendErrors: 0 });
  });

  test('an oversized datagram is a counted send error (EMSGSIZE), not an exception', async () => {
    if (name === 'native' && !nativeExpected) return;
    const { t, m } = tracker();
    await connect(agent, gwlb.socket.address().port, GWLB_ADDRESS);
    expect(() => t.sendConnected(agent, Buffer.alloc(70_000))).not.toThrow();
    expect(() => t.sendTo(gwlb.socket, Buffer.alloc(70_000), agent.address().port, AGENT_ADDRESS)).not.toThrow();
    await eventually(() => m.sendErrors === 2);
    expect(m.packetsOut).toBe(0);
    expect((t.lastError as NodeJS.ErrnoException).code).toBe('EMSGSIZE');
    expect(t.lastError?.message).toContain('EMSGSIZE');
    // the socket still works
    t.sendConnected(agent, Buffer.from('after'));
    expect((await gwlb.next()).msg.toString()).toBe('after');
  });

  test('a send on a closed socket is a counted send error', async () => {
    if (name === 'native' && !nativeExpected) return;
    const { t, m } = tracker();
    await connect(agent, gwlb.socket.address().port, GWLB_ADDRESS);
    await closeUdp(agent);
    t.sendConnected(agent, Buffer.from('late'));
    t.sendTo(agent, Buffer.from('late'), gwlb.socket.address().port, GWLB_ADDRESS);
    expect(m).toMatchObject({ sendErrors: 2, packetsOut: 0 });
    expect(t.lastError).toBeInstanceOf(Error);
    expect(await gwlb.silentFor(100)).toBe(true);
  });
});

describe('queued sends', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwlb-agent-send-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // `node --test-udp-no-try-send` skips node's immediate send attempt, so every send takes the
  // path used when a socket buffer is full: queued, reported later through req.oncomplete.
  test('complete later and keep packets, bytes and errors exact on the native path', () => {
    const entry = path.join(dir, 'queued.ts');
    fs.writeFileSync(entry, QUEUED_SCRIPT);
    const out = path.join(dir, 'queued.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('esbuild').buildSync({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', logLevel: 'error' });
    const r = spawnSync(process.execPath, ['--test-udp-no-try-send', out], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout);
    expect(result).toEqual({
      path: nativeExpected ? 'native' : 'dgram',
      packetsOutRightAfterSending: 0, // nothing completed synchronously
      packetsOut: 50, bytesOut: 50 * 100 + (49 * 50) / 2, sendErrors: 1, lastErrorCode: 'EMSGSIZE',
      received: 50, receivedBytes: 50 * 100 + (49 * 50) / 2,
    });
  });
});

const QUEUED_SCRIPT = `
import { createSocket, Socket } from 'node:dgram';
import { AgentMetrics } from ${JSON.stringify(path.join(ROOT, 'lib/agent/metrics'))};
import { SendTracker } from ${JSON.stringify(path.join(ROOT, 'lib/agent/reply-common'))};
import { selectSendPath } from ${JSON.stringify(path.join(ROOT, 'lib/agent/udp-send'))};

const bind = (s: Socket) => new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
(async () => {
  const choice = await selectSendPath('native');
  const rx = createSocket('udp4');
  await bind(rx);
  let received = 0;
  let receivedBytes = 0;
  rx.on('message', (m) => { received++; receivedBytes += m.length; });
  const tx = createSocket('udp4');
  await bind(tx);
  await new Promise<void>((resolve) => tx.connect(rx.address().port, '127.0.0.1', () => resolve()));
  const m = new AgentMetrics();
  const t = new SendTracker(m);
  t.sendPath = choice.path;
  for (let i = 0; i < 50; i++) t.sendConnected(tx, Buffer.alloc(100 + i, i));
  t.sendConnected(tx, Buffer.alloc(70000));
  const packetsOutRightAfterSending = m.packetsOut;
  const deadline = Date.now() + 5000;
  while ((m.packetsOut + m.sendErrors < 51 || received < 50) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  process.stdout.write(JSON.stringify({
    path: choice.path.name, packetsOutRightAfterSending, packetsOut: m.packetsOut, bytesOut: m.bytesOut,
    sendErrors: m.sendErrors, lastErrorCode: (t.lastError as NodeJS.ErrnoException | null)?.code, received, receivedBytes,
  }));
  rx.close();
  tx.close();
})();
`;
