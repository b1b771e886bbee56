/**
 * The other appliance architecture's native addon (arm64 on an x86_64 machine, x64 on arm64), run
 * for real: the agent bundle under that architecture's Node 24 (npm node-linux-<arch>, installed by
 * `npm run node24` into .cache/node24-<arch>) in qemu user-mode emulation (Debian qemu-user-static,
 * with the cross C library as its root: libc6-<arch>-cross). The agent must extract and load the
 * addon embedded for that architecture and reflect GENEVE on loopback with --io native.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AGENT_ADDRESS, AgentProcess, ensureBundle, FakeGwlb, freeTcpPort, freeUdpPort, httpGet, metricValue, ROOT } from './harness';
import { geneve, ipv4Tcp, ipv4Udp } from './packets';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { node24Path, otherArch } = require(path.join(ROOT, 'scripts', 'node24.js'));
const ARCH: string = otherArch();
const QEMU = ARCH === 'arm64' ? { bin: 'qemu-aarch64-static', root: '/usr/aarch64-linux-gnu', apt: 'qemu-user-static libc6-arm64-cross' }
  : { bin: 'qemu-x86_64-static', root: '/usr/x86_64-linux-gnu', apt: 'qemu-user-static libc6-amd64-cross' };

function findQemu(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const f = path.join(dir, QEMU.bin);
    if (fs.existsSync(f)) return f;
  }
  throw new Error(`${QEMU.bin} not found: apt-get install ${QEMU.apt} (.ci/run does)`);
}

describe(`the ${ARCH} addon under qemu-user`, () => {
  let agent: AgentProcess;
  let gwlb: FakeGwlb;
  let healthPort: number;
  let dir: string;

  beforeAll(async () => {
    const node = node24Path(ARCH) as string | null;
    if (node === null) throw new Error(`node 24 for ${ARCH} is not installed: run npm run node24 (npm test's pretest does)`);
    if (!fs.existsSync(QEMU.root)) throw new Error(`${QEMU.root} is missing: apt-get install ${QEMU.apt}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwlb-agent-qemu-'));
    const policyFile = path.join(dir, 'policy.json');
    fs.writeFileSync(policyFile, JSON.stringify({
      defaultAction: 'allow', rules: [{ name: 'block-udp-9999', action: 'drop', protocol: 'udp', destinationPorts: [9999] }],
    }));
    const port = await freeUdpPort();
    healthPort = await freeTcpPort();
    agent = new AgentProcess(spawn(findQemu(), ['-L', QEMU.root, node, ensureBundle(),
      '--listen', AGENT_ADDRESS, '--port', String(port), '--health-port', String(healthPort), '--io', 'native', '--workers', '1',
      '--policy', policyFile], { stdio: ['ignore', 'pipe', 'pipe'] }));
    await agent.waitForLog('gwlb-agent started', 90_000);
    gwlb = await FakeGwlb.create(port);
  }, 120_000);

  afterAll(async () => {
    await gwlb?.close();
    await agent?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test(`loads the embedded ${ARCH} addon and says so`, async () => {
    const started = await agent.waitForLog('worker started');
    expect(started).toMatchObject({ io: 'native', ioAddon: `bundle (batchio-linux-${ARCH}.node)` });
    const text = (await httpGet(healthPort, '/metrics')).body;
    expect(metricValue(text, 'gwlb_agent_io', { mode: 'native' })).toBe(1);
  });

  test('reflects GENEVE byte for byte with both ports kept, and sends nothing for a dropped packet', async () => {
    const allowed = [geneve(ipv4Udp({ dstPort: 53 }), 0x1001), geneve(ipv4Tcp({ srcPort: 40000 }), 0x1002)];
    for (const p of allowed) {
      await gwlb.send(p);
      const reply = await gwlb.replies.next(10_000);
      expect(reply.msg.equals(p)).toBe(true);
      expect(reply.rinfo).toMatchObject({ address: AGENT_ADDRESS, port: gwlb.sourcePort });
    }
    await gwlb.send(geneve(ipv4Udp({ dstPort: 9999 }), 0x1003)); // the policy drops it
    await gwlb.send(Buffer.from([1, 2, 3])); // malformed
    expect(await gwlb.replies.silentFor(1500)).toBe(true);
    const text = (await httpGet(healthPort, '/metrics')).body;
    expect(metricValue(text, 'gwlb_agent_packets_forwarded_total')).toBe(2);
    expect(metricValue(text, 'gwlb_agent_packets_dropped_total', { reason: 'policy' })).toBe(1);
    expect(metricValue(text, 'gwlb_agent_packets_dropped_total', { reason: 'truncated' })).toBe(1);
  });
});
