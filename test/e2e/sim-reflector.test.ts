/**
 * gwlb-sim against a reflector written independently of lib/agent (fixtures/reflector.cjs):
 * wire format of what the sim sends, per-flow cookies and ports, the checks on what comes back,
 * and the stickiness modes. Runs as root in network namespaces it creates and removes.
 */
import { Stickiness } from '../../lib/sim/config';
import { clientTuple, expectedTarget as expectedAmong } from './helpers/expected';
import { ADDR, AGENT_HEALTH_PORT, Lab, LabProcess, SimStatus } from './helpers/lab';

const ENI = '2b8ee1d4db0c51c4';
const ATTACHMENT = '0123456789abcdef';
const lab = new Lab();
let sim: LabProcess | undefined;
let reflectors: LabProcess[] = [];

async function restartSim(targets: number[], extra: string[] = []): Promise<void> {
  await sim?.stop();
  sim = await lab.startSim(targets, ['--eni-id', `0x${ENI}`, '--attachment-id', `0x${ATTACHMENT}`, ...extra]);
}

async function restartReflector(i: number, mode: string): Promise<void> {
  await reflectors[i - 1]?.stop();
  reflectors[i - 1] = await lab.startReflector(i, mode);
}

async function reflectorStats(i: number): Promise<{ received: number; sourcePorts: Record<string, number>; headers: Record<string, number> }> {
  const r = await lab.exec('sim', ['curl', '-sf', `http://${ADDR.agent(i)}:${AGENT_HEALTH_PORT}/stats`]);
  return JSON.parse(r.stdout.toString());
}

const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  await lab.up(2);
  await lab.startServer();
  reflectors = [await lab.startReflector(1), await lab.startReflector(2)];
}, 60000);

afterAll(async () => {
  if (process.env.E2E_LOGS) process.stderr.write(lab.logs() + '\n');
  await lab.down();
}, 30000);


describe('gwlb-sim with a reflector', () => {
  test('carries HTTP and UDP in GENEVE with the three AWS options, from a per-flow source port', async () => {
    await restartReflector(1, 'good');
    await restartSim([1], ['--strict']);
    const res = await lab.fetch('/hello');
    expect(res.code).toBe(0);
    expect(res.body.toString()).toBe('hello from server 8000\n');
    expect(await lab.udp('ping-1')).toBe('echo:ping-1');

    const status = await lab.simStatus();
    const stats = await reflectorStats(1);
    const cookies = status.flows.map((f) => f.cookie.slice(2));
    expect(cookies).toHaveLength(2);
    // Every header the reflector saw: base header (Opt Len 8, IPv4) + ENI, attachment, cookie options.
    const headers = Object.keys(stats.headers);
    expect(headers.length).toBe(2);
    for (const h of headers) {
      expect(h).toMatch(new RegExp(`^0800080000000000 01080102${ENI} 01080202${ATTACHMENT} 01080301[0-9a-f]{8}$`.replace(/ /g, '')));
      expect(cookies).toContain(h.slice(-8));
    }
    expect(sum(stats.headers)).toBe(status.counters.encapSent);
    // Source ports: one per flow, the ones the sim reports, inside the default range.
    expect(Object.keys(stats.sourcePorts).map(Number).sort()).toEqual([...new Set(status.flows.map((f) => f.sourcePort))].sort());
    for (const f of status.flows) expect(f.sourcePort).toBeGreaterThanOrEqual(40000);
    expect(status.counters.delivered).toBe(status.counters.encapSent);
    expect(sum(status.violations)).toBe(0);
  });

  test('carries IPv6 inner packets over IPv4 GENEVE with protocol type 0x86DD', async () => {
    await restartReflector(1, 'good');
    await restartSim([1], ['--strict']);
    expect((await lab.fetch('/hello', { ipv6: true })).body.toString()).toBe('hello from server 8000\n');
    expect(await lab.udp('ping-6', 3000, 0, true)).toBe('echo:ping-6');
    const status = await lab.simStatus();
    const flows = status.flows.map((f) => f.flow);
    expect(flows).toHaveLength(2);
    expect(flows).toContainEqual(expect.stringMatching(/^6 \[2001:2:0:1::2\]:\d+ > \[2001:2:0:2::2\]:8000$/));
    expect(flows).toContainEqual(expect.stringMatching(/^17 \[2001:2:0:1::2\]:\d+ > \[2001:2:0:2::2\]:9000$/));
    const headers = Object.keys((await reflectorStats(1)).headers);
    expect(headers).toHaveLength(2);
    for (const h of headers) expect(h.startsWith('080086dd00000000')).toBe(true);
    expect(status.counters.delivered).toBe(status.counters.encapSent);
    expect(sum(status.violations)).toBe(0);
  });

  test('gives every new 5-tuple its own flow cookie and keeps it for the whole flow', async () => {
    await restartReflector(1, 'good');
    await restartSim([1], ['--strict']);
    const ports = [42101, 42102, 42103];
    for (const p of ports) expect((await lab.fetch('/hello', { localPort: p })).code).toBe(0);
    const status = await lab.simStatus();
    const flows = ports.map((p) => status.flows.find((f) => f.clientPort === p));
    expect(flows.every((f) => f !== undefined)).toBe(true);
    expect(new Set(flows.map((f) => f!.cookie)).size).toBe(3);
    const stats = await reflectorStats(1);
    // One header per flow: every packet of a flow (both directions) carried the same cookie.
    expect(Object.keys(stats.headers)).toHaveLength(3);
    for (const f of flows) {
      expect(f!.packetsSent).toBeGreaterThanOrEqual(6); // handshake, request, response, teardown, both ways
      expect(f!.packetsReturned).toBe(f!.packetsSent);
    }
  });

  test.each([
    ['dgram', 'wrong_source_port'],
    ['to-source-port', 'wrong_destination_port'],
    ['corrupt-inner', 'inner_mismatch'],
    ['corrupt-header', 'header_mismatch'],
  ])('with --strict, counts a reflector in mode %s as %s and does not deliver', async (mode, violation) => {
    await restartReflector(1, mode);
    await restartSim([1], ['--strict']);
    const res = await lab.fetch('/hello', { maxTimeS: 2 });
    expect(res.code).not.toBe(0);
    const status = await lab.simStatus();
    expect(status.violations[violation]).toBeGreaterThan(0);
    expect(status.counters.delivered).toBe(0);
    expect(status.counters.returnDropped).toBe(status.counters.returned);
    await restartReflector(1, 'good');
  });

  test('without --strict, counts a reply from the wrong source port but still delivers it', async () => {
    await restartReflector(1, 'dgram');
    await restartSim([1]);
    const res = await lab.fetch('/hello', { maxTimeS: 3 });
    expect(res.code).toBe(0);
    const status = await lab.simStatus();
    expect(status.violations.wrong_source_port).toBe(status.counters.returned);
    expect(status.counters.delivered).toBe(status.counters.returned);
    await restartReflector(1, 'good');
  });

  test('counts a return from a flow cookie it never sent as unknown_flow', async () => {
    await restartSim([1], ['--strict']);
    // A datagram to the sim's GENEVE port from agent1's namespace with a made-up cookie.
    const forged = `0800080000000000 01080102${ENI} 01080202${ATTACHMENT} 01080301cafef00d` +
      ' 4500001c00010000401100000a4d01020a4d0202 0035003500080000';
    const send = `const s=require('dgram').createSocket('udp4');` +
      `s.bind(40000,()=>s.send(Buffer.from('${forged.replace(/ /g, '')}','hex'),6081,'${ADDR.sim}',()=>s.close()))`;
    const r = await lab.exec('agent1', [process.execPath, '-e', send]);
    expect(r.code).toBe(0);
    let status: SimStatus | undefined;
    for (let i = 0; i < 20 && !(status?.violations.unknown_flow); i++) {
      await new Promise((res) => setTimeout(res, 100));
      status = await lab.simStatus();
    }
    expect(status!.violations.unknown_flow).toBe(1);
    expect(status!.counters.delivered).toBe(0);
  });
});

describe('gwlb-sim stickiness', () => {
  // Each test uses its own client ports: a port just used for the same server is in TIME_WAIT.
  const portsFrom = (base: number): number[] => [1, 2, 3, 4, 5, 6, 7, 8].map((i) => base + i);
  const tcpTuple = (clientPort: number) => clientTuple(6, clientPort, 8000);
  const expectedTarget = (t: ReturnType<typeof tcpTuple>, mode: Stickiness): string => expectedAmong(t, mode, [1, 2]);

  async function flowsByTarget(mode: Stickiness, clientPorts: number[]): Promise<Map<number, string>> {
    await restartSim([1, 2], ['--strict', '--stickiness', mode]);
    for (const p of clientPorts) expect((await lab.fetch('/hello', { localPort: p })).code).toBe(0);
    const status = await lab.simStatus();
    expect(sum(status.violations)).toBe(0);
    const byPort = new Map<number, string>();
    for (const f of status.flows) {
      expect(Object.keys(f.returnedFrom)).toEqual([f.target.split(':')[0]]);
      byPort.set(f.clientPort, f.target);
    }
    return byPort;
  }

  test('5-tuple spreads flows over both targets by the hash of each 5-tuple', async () => {
    const CLIENT_PORTS = portsFrom(43000);
    const byPort = await flowsByTarget(Stickiness.FIVE_TUPLE, CLIENT_PORTS);
    const expected = CLIENT_PORTS.map((p) => expectedTarget(tcpTuple(p), Stickiness.FIVE_TUPLE));
    expect(new Set(expected).size).toBe(2); // these client ports do hash to both targets
    expect(CLIENT_PORTS.map((p) => byPort.get(p))).toEqual(expected);
  });

  test('2-tuple sends every flow between the same two hosts to one target', async () => {
    const CLIENT_PORTS = portsFrom(43100);
    const byPort = await flowsByTarget(Stickiness.TWO_TUPLE, CLIENT_PORTS);
    const targets = new Set(CLIENT_PORTS.map((p) => byPort.get(p)));
    expect([...targets]).toEqual([expectedTarget(tcpTuple(0), Stickiness.TWO_TUPLE)]);
  });

  test('3-tuple keeps all TCP flows of a host pair on one target and hashes UDP separately', async () => {
    const CLIENT_PORTS = portsFrom(43200);
    const byPort = await flowsByTarget(Stickiness.THREE_TUPLE, CLIENT_PORTS);
    expect(new Set(CLIENT_PORTS.map((p) => byPort.get(p))).size).toBe(1);
    expect(byPort.get(CLIENT_PORTS[0])).toBe(expectedTarget(tcpTuple(0), Stickiness.THREE_TUPLE));
    expect(await lab.udp('three', 3000, 43100)).toBe('echo:three');
    const udpFlow = (await lab.simStatus()).flows.find((f) => f.protocol === 17 && f.clientPort === 43100);
    expect(udpFlow?.target).toBe(expectedTarget({ ...tcpTuple(43100), protocol: 17, dstPort: 9000 }, Stickiness.THREE_TUPLE));
  });
});
