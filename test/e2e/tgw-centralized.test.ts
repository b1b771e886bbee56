/**
 * Centralized inspection through a Transit Gateway, with real traffic: two spokes and an
 * internet namespace whose only path between them is gwlb-sim (the GWLB endpoint and load
 * balancer) and two real agents (scripts/tgw-lab.sh). East-west and egress both cross an agent
 * in both directions; a payload rule cuts one flow while another continues; with the stand-in
 * stopped nothing passes (no route around inspection).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { REPO, sleep } from './helpers/lab';
import { TGW_ADDR, TgwLab } from './helpers/tgw-lab';

const MARKER = 'GWLB-E2E-FORBIDDEN';
const POLICY = { defaultAction: 'allow', rules: [{ name: 'forbidden-marker', action: 'drop', payloadContains: MARKER }] };

jest.setTimeout(120000);

describe('centralized inspection lab (two spokes, internet, TGW hub with gwlb-sim and two agents)', () => {
  const lab = new TgwLab();

  beforeAll(async () => {
    await lab.up(2);
    await lab.startServer('spokeb');
    await lab.startServer('inet');
    await lab.startAgent(1, POLICY);
    await lab.startAgent(2, POLICY);
    await lab.startSim([1, 2]);
  });

  afterAll(async () => {
    await lab.down();
  });

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) console.log(lab.logs());
  });

  /** Sim flows whose server port is 8000 and that carry one of the two addresses. */
  async function inspectedFlowsTo(host: string) {
    return (await lab.simStatus()).flows.filter((f) => f.flow.includes(host) && f.serverPort === 8000);
  }

  test('east-west: spoke A reaches spoke B, both directions through an agent', async () => {
    const r = await lab.fetch('spokea', TGW_ADDR.spokeB, '/hello');
    expect(r.code).toBe(0);
    expect(r.body.toString()).toBe('hello from server 8000\n');
    const flows = await inspectedFlowsTo(TGW_ADDR.spokeB);
    expect(flows.length).toBeGreaterThan(0);
    expect(flows.every((f) => f.packetsSent > 0 && f.packetsReturned === f.packetsSent)).toBe(true);
    expect(flows.every((f) => /^10\.78\.3\.1[12]/.test(f.target))).toBe(true);
  });

  test('egress: both spokes reach the internet, replies inspected on the way back', async () => {
    for (const from of ['spokea', 'spokeb'] as const) {
      const r = await lab.fetch(from, TGW_ADDR.internet, '/hello');
      expect(r.code).toBe(0);
      expect(r.body.toString()).toBe('hello from server 8000\n');
    }
    const flows = await inspectedFlowsTo(TGW_ADDR.internet);
    expect(flows.filter((f) => f.flow.includes(TGW_ADDR.spokeA)).length).toBeGreaterThan(0);
    expect(flows.filter((f) => f.flow.includes(TGW_ADDR.spokeB)).length).toBeGreaterThan(0);
    expect(flows.every((f) => f.packetsReturned === f.packetsSent)).toBe(true);
  });

  test('a payload rule cuts an egress flow mid-transfer while an east-west transfer completes', async () => {
    const cut = lab.fetch('spokea', TGW_ADDR.internet, '/cut?before=20000&after=20000', 4);
    await sleep(200);
    const other = await lab.fetch('spokea', TGW_ADDR.spokeB, '/bytes/300000', 10);
    const cutRes = await cut;

    expect(other.code).toBe(0);
    expect(createHash('sha256').update(other.body).digest('hex')).toBe(/x-sha256: ([0-9a-f]{64})/i.exec(other.headers)?.[1]);
    expect(cutRes.code).toBe(28); // stalled after the marker until curl's timeout
    expect(cutRes.body.length).toBeGreaterThanOrEqual(20000);
    expect(cutRes.body.toString()).not.toContain(MARKER);
  });

  test('fails closed: with the stand-in stopped, neither east-west nor egress passes', async () => {
    await lab.procs.find((p) => p.name === 'sim')!.stop();
    expect(spawnSync('ip', ['netns', 'pids', lab.ns('hub')], { encoding: 'utf8' }).stdout.trim()).toBe(''); // nothing runs in the hub
    const eastWest = await lab.fetch('spokea', TGW_ADDR.spokeB, '/hello', 2);
    const egress = await lab.fetch('spokeb', TGW_ADDR.internet, '/hello', 2);
    expect(eastWest.code).not.toBe(0);
    expect(egress.code).not.toBe(0);
    expect(eastWest.body.length + egress.body.length).toBe(0);
  });
});

describe('npm run demo:tgw', () => {
  test('runs every step and leaves no namespace behind', () => {
    const r = spawnSync('bash', [path.join(REPO, 'scripts', 'demo-tgw.sh')], { encoding: 'utf8', timeout: 110000 });
    expect(r.stdout).toContain('through agent 10.78.3.1');
    expect(r.stdout).toContain('neither east-west nor egress passes');
    expect(r.stdout).toContain('Demo finished.');
    expect(r.status).toBe(0);
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toMatch(/^gwtgwdemo-/m);
  });
});
