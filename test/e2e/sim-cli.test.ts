/**
 * gwlb-sim's command line, run as the bundled program: --help, and a clear error naming the flag
 * and the value for every kind of bad input. Needs no root and creates no namespace.
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseSimCli } from '../../lib/sim/cli';
import { Stickiness } from '../../lib/sim/config';
import { buildArtifacts, REPO } from './helpers/lab';

const outfile = path.join(os.tmpdir(), `gwlb-sim-cli-${process.pid}.js`);

beforeAll(() => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(path.join(REPO, 'scripts', 'bundle-sim.js')).bundleSim(outfile);
});

afterAll(() => {
  require('node:fs').rmSync(outfile, { force: true });
});

const runSim = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [outfile, ...args], { encoding: 'utf8', timeout: 10000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

const BASE = ['--local', '10.0.0.1', '--target', '10.0.0.2'];

describe('gwlb-sim command line', () => {
  test('--help prints the usage and exits 0', () => {
    const r = runSim(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: gwlb-sim');
    for (const flag of ['--local', '--target', '--tun', '--stickiness', '--rebalance', '--health-interval', '--strict']) {
      expect(r.stdout).toContain(flag);
    }
  });

  test.each([
    [[], '--local: is required'],
    [['--local', '10.0.0.1'], '--target: at least one is required'],
    [['--local', '10.0.0.300', '--target', '10.0.0.2'], '--local: "10.0.0.300" is not an IPv4 address'],
    [[...BASE, '--target', '10.0.0.2:99999'], '--target: "10.0.0.2:99999" is not ADDR[:PORT]'],
    [[...BASE, '--target', '10.0.0.2'], '--target: "10.0.0.2" is given twice'],
    [[...BASE, '--stickiness', '4-tuple'], '--stickiness: "4-tuple" is not one of'],
    [[...BASE, '--health-interval', '0'], '--health-interval: "0" is not a number of seconds 0.1-300'],
    [[...BASE, '--health-interval', '1', '--health-timeout', '2'], '--health-timeout: 2 must not exceed --health-interval 1'],
    [[...BASE, '--healthy-threshold', '11'], '--healthy-threshold: "11" is not an integer 2-10'],
    [[...BASE, '--source-ports', '6000-7000'], '--source-ports: "6000-7000" contains the GENEVE port 6081'],
    [[...BASE, '--source-ports', '900-1000'], '--source-ports: "900-1000" is not a range'],
    [[...BASE, '--eni-id', '0x10000000000000000'], '--eni-id: "0x10000000000000000" is not a u64'],
    [[...BASE, '--tun', 'a-very-long-interface-name'], '--tun: "a-very-long-interface-name" is not an interface name'],
    [[...BASE, '--tun-mtu', '40'], '--tun-mtu: "40" is not an integer 68-65535'],
    [[...BASE, '--health-path', 'healthz'], '--health-path: "healthz" is not a path'],
    [[...BASE, '--log-level', 'loud'], '--log-level: "loud" is not one of'],
    [[...BASE, '--status-port', '1', '--status-port', '2'], '--status-port: given more than once'],
    [[...BASE, '--bogus'], "Unknown option '--bogus'"],
  ])('fails on %j with a message naming the flag', (args, message) => {
    const r = runSim(args as string[]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`gwlb-sim: ${message}`);
  });

  test('parses defaults and AWS stickiness names', () => {
    const r = parseSimCli([...BASE, '--stickiness', 'source_ip_dest_ip', '--eni-id', '0x2b8ee1d4db0c51c4', '--health-interval', '0.5']);
    if (r.kind !== 'run') throw new Error('expected a run config');
    expect(r.config).toMatchObject({
      tunName: 'gwlbsim0', genevePort: 6081, stickiness: Stickiness.TWO_TUPLE, eniId: 0x2b8ee1d4db0c51c4n,
      healthIntervalMs: 500, healthTimeoutMs: 500, healthyThreshold: 3, unhealthyThreshold: 3,
      sourcePortMin: 40000, sourcePortMax: 40999, targets: [{ address: '10.0.0.2', port: 6081 }], strict: false, rebalance: false,
    });
  });
});

describe('gwlb-sim start-up failures (in a namespace of its own)', () => {
  const ns = `gwe2e-cli-${process.pid}`;
  let artifacts: ReturnType<typeof buildArtifacts>;

  beforeAll(() => {
    artifacts = buildArtifacts(path.join(os.tmpdir(), `${ns}-bin`));
    const r = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cannot create network namespace ${ns} (run the e2e tests as root): ${r.stderr}`);
    // With lo up the namespace has a local routing table, so binding a foreign address fails.
    spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  });

  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
    require('node:fs').rmSync(path.join(os.tmpdir(), `${ns}-bin`), { recursive: true, force: true });
  });

  test('fails with exit 1 naming the address when --local is not an address of the host', () => {
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, artifacts.sim, ...BASE, '--status-port', '0'],
      { encoding: 'utf8', timeout: 10000, env: { ...process.env, GWLB_SIM_TUN_ADDON: artifacts.addon } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('gwlb-sim: cannot bind UDP 10.0.0.1:6081');
  });

  test('fails with exit 1 naming --tun when the device exists but is not a tun device', () => {
    expect(spawnSync('ip', ['-n', ns, 'tuntap', 'add', 'dev', 'simtap0', 'mode', 'tap']).status).toBe(0);
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, artifacts.sim, ...BASE, '--tun', 'simtap0', '--status-port', '0'],
      { encoding: 'utf8', timeout: 10000, env: { ...process.env, GWLB_SIM_TUN_ADDON: artifacts.addon } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('gwlb-sim: --tun: cannot open simtap0: ioctl(TUNSETIFF) simtap0: Invalid argument');
    expect(r.stderr).toContain('ip tuntap add dev simtap0 mode tun');
  });

  test('fails with exit 1 naming the flag when the status port is taken', () => {
    const script = `require('net').createServer().listen(9123,'127.0.0.1',()=>{` +
      `const r=require('child_process').spawnSync(process.execPath,[${JSON.stringify(artifacts.sim)},'--local','127.0.0.1','--target','127.0.0.2',` +
      `'--status-port','9123'],{encoding:'utf8'});process.stdout.write(JSON.stringify(r));process.exit(0)})`;
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', script],
      { encoding: 'utf8', timeout: 15000, env: { ...process.env, GWLB_SIM_TUN_ADDON: artifacts.addon } });
    const inner = JSON.parse(r.stdout);
    expect(inner.status).toBe(1);
    expect(inner.stderr).toContain('gwlb-sim: --status-port: cannot listen on 127.0.0.1:9123');
  });
});
