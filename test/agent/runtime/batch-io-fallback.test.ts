/**
 * The agent process without a usable native addon (GWLB_AGENT_BATCHIO points elsewhere): --io auto
 * falls back to node's dgram by itself and says so (warning, log field, gwlb_agent_io); --io native
 * refuses to start and says why; with one worker (node 20 here) and with several (node 24).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AGENT_ADDRESS, AgentProcess, FakeGwlb, freeTcpPort, freeUdpPort, httpGet, metricValue, node24 } from './harness';
import { geneve, ipv4Udp } from './packets';

let dir: string;
let junk: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwlb-agent-fallback-'));
  junk = path.join(dir, 'batchio.node');
  fs.writeFileSync(junk, 'not a shared object');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const runtimes: Array<[string, () => string, string[]]> = [
  ['one agent (node without reusePort)', () => process.execPath, []],
  ['two workers (node 24)', node24, ['--workers', '2']],
];

describe.each(runtimes)('%s', (_name, node, workerArgs) => {
  test('--io auto with an unloadable addon: node dgram, a warning with the reason, gwlb_agent_io{mode="js"}, traffic flows', async () => {
    const port = await freeUdpPort();
    const healthPort = await freeTcpPort();
    const agent = AgentProcess.spawn(['--listen', AGENT_ADDRESS, '--port', String(port), '--health-port', String(healthPort),
      ...workerArgs], node(), { ...process.env, GWLB_AGENT_BATCHIO: junk });
    const gwlb = await FakeGwlb.create(port);
    try {
      await agent.waitForLog('gwlb-agent started', 20000);
      const warned = await agent.waitForLog('native batch I/O unavailable: datagrams go through node dgram (slower per packet)');
      expect(String(warned.reason)).toMatch(new RegExp(`^cannot load ${junk}: `));
      const text = (await httpGet(healthPort, '/metrics')).body;
      expect(metricValue(text, 'gwlb_agent_io', { mode: 'js' })).toBe(workerArgs.length > 0 ? 2 : 1);
      expect(metricValue(text, 'gwlb_agent_io', { mode: 'native' })).toBe(0);
      const packet = geneve(ipv4Udp(), 0x42);
      await gwlb.send(packet);
      const reply = await gwlb.replies.next();
      expect(reply.msg.equals(packet)).toBe(true);
      expect(reply.rinfo.port).toBe(gwlb.sourcePort);
    } finally {
      await gwlb.close();
      await agent.stop();
    }
  });

  test('--io native without the addon: exit 1, naming the flag and the reason', async () => {
    const agent = AgentProcess.spawn(['--listen', AGENT_ADDRESS, '--port', String(await freeUdpPort()),
      '--health-port', String(await freeTcpPort()), '--io', 'native', ...workerArgs], node(), { ...process.env, GWLB_AGENT_BATCHIO: 'none' });
    expect((await agent.exited).code).toBe(1);
    expect(agent.stderr).toContain('--io native: the native batch I/O addon is unavailable: disabled by GWLB_AGENT_BATCHIO=none');
  });
});

test('--io js never loads the addon and says so', async () => {
  const port = await freeUdpPort();
  const agent = AgentProcess.spawn(['--listen', AGENT_ADDRESS, '--port', String(port), '--health-port', String(await freeTcpPort()),
    '--io', 'js'], process.execPath, { ...process.env, GWLB_AGENT_BATCHIO: junk });
  try {
    const started = await agent.waitForLog('gwlb-agent started', 20000);
    expect(started).toMatchObject({ io: 'js', ioReason: '--io js' });
    expect(agent.countLogs('native batch I/O unavailable: datagrams go through node dgram (slower per packet)')).toBe(0);
  } finally {
    await agent.stop();
  }
});
