/**
 * Client -> gwlb-sim -> gwlb-agent (real bundle, with a policy) -> gwlb-sim -> server, in network
 * namespaces this file creates and removes. The sim runs with --strict: a reply that is not the
 * exact datagram it sent (ports kept, same header, same inner bytes) is not delivered.
 */
import { createHash } from 'node:crypto';
import { Lab } from './helpers/lab';

const MARKER = 'GWLB-E2E-FORBIDDEN';
const POLICY = {
  defaultAction: 'allow',
  rules: [
    { name: 'no-8081', action: 'drop', protocol: 'tcp', destinationPorts: [8081] },
    { name: 'forbidden-marker', action: 'drop', payloadContains: MARKER },
  ],
};
const lab = new Lab();

const dropped = async (reason: string): Promise<number> =>
  (await lab.agentMetrics(1)).get(`gwlb_agent_packets_dropped_total{reason="${reason}"}`) ?? 0;

beforeAll(async () => {
  await lab.up(1);
  await lab.startServer();
  await lab.startAgent(1, POLICY);
  await lab.startSim([1], ['--strict']);
}, 60000);

afterAll(async () => {
  if (process.env.E2E_LOGS) process.stderr.write(lab.logs() + '\n');
  await lab.down();
}, 30000);

describe('traffic through gwlb-sim and gwlb-agent', () => {
  test('an HTTP fetch from the client namespace reaches the server and comes back', async () => {
    const res = await lab.fetch('/hello');
    expect(res.code).toBe(0);
    expect(res.body.toString()).toBe('hello from server 8000\n');
    const status = await lab.simStatus();
    const flow = status.flows.find((f) => f.serverPort === 8000);
    expect(flow).toBeDefined();
    expect(flow!.packetsReturned).toBe(flow!.packetsSent);
    expect(Object.values(status.violations).every((v) => v === 0)).toBe(true);
    const metrics = await lab.agentMetrics(1);
    expect(metrics.get('gwlb_agent_packets_forwarded_total')).toBe(status.targets[0].packetsReturned);
  });

  test('a UDP request and its reply pass through', async () => {
    expect(await lab.udp('hello-udp')).toBe('echo:hello-udp');
    const status = await lab.simStatus();
    const flow = status.flows.find((f) => f.protocol === 17);
    expect(flow).toMatchObject({ serverPort: 9000, packetsSent: 2, packetsReturned: 2 });
  });

  test('IPv6 HTTP and UDP pass through too (inner IPv6, outer IPv4), and the port rule applies to IPv6', async () => {
    const res = await lab.fetch('/hello', { ipv6: true });
    expect(res.code).toBe(0);
    expect(res.body.toString()).toBe('hello from server 8000\n');
    expect(await lab.udp('hello-udp6', 3000, 0, true)).toBe('echo:hello-udp6');
    expect((await lab.fetch('/hello', { ipv6: true, port: 8081, maxTimeS: 2 })).code).toBe(28);
    const flows = (await lab.simStatus()).flows.filter((f) => f.flow.includes('[2001:2:0:1::2]'));
    expect(flows.map((f) => f.serverPort).sort()).toEqual([8000, 8081, 9000]);
  });

  test('a 1 MB transfer arrives intact (sha256)', async () => {
    const res = await lab.fetch('/bytes/1048576', { maxTimeS: 30 });
    expect(res.code).toBe(0);
    expect(res.body.length).toBe(1048576);
    const sent = /x-sha256: ([0-9a-f]{64})/i.exec(res.headers)?.[1];
    expect(createHash('sha256').update(res.body).digest('hex')).toBe(sent);
    const status = await lab.simStatus();
    expect(status.counters.tunWriteErrors).toBe(0);
    expect(Object.values(status.violations).every((v) => v === 0)).toBe(true);
  });

  test('a destination-port drop rule makes a fetch to that port time out while other ports work', async () => {
    const before = await dropped('policy');
    const blocked = await lab.fetch('/hello', { port: 8081, maxTimeS: 2 });
    expect(blocked.code).toBe(28); // curl: operation timed out
    expect(blocked.body.length).toBe(0);
    expect(await dropped('policy')).toBeGreaterThan(before);
    const open = await lab.fetch('/hello', { port: 8000 });
    expect(open.code).toBe(0);
  });

  test('a payloadContains rule cuts a flow in the middle of a transfer while another flow still works', async () => {
    const cut = lab.fetch('/cut?before=20000&after=20000', { maxTimeS: 4 });
    await new Promise((r) => setTimeout(r, 200));
    const other = await lab.fetch('/bytes/200000', { maxTimeS: 10 });
    const cutRes = await cut;

    expect(other.code).toBe(0);
    expect(createHash('sha256').update(other.body).digest('hex')).toBe(/x-sha256: ([0-9a-f]{64})/i.exec(other.headers)?.[1]);

    expect(cutRes.code).toBe(28); // stalled after the marker, timed out
    expect(cutRes.body.length).toBeGreaterThanOrEqual(20000); // the part before the marker arrived
    expect(cutRes.body.length).toBeLessThan(20000 + MARKER.length + 2 + 20000);
    expect(cutRes.body.toString()).not.toContain(MARKER);
    expect(await dropped('policy')).toBeGreaterThan(0);
    expect(await dropped('flow_blocked')).toBeGreaterThan(0); // retransmissions of the blocked flow
  });
});
