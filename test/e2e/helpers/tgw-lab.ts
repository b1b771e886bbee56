/**
 * The centralized (Transit Gateway) lab of scripts/tgw-lab.sh: two spoke namespaces, an
 * "internet" namespace and a hub namespace (Transit Gateway + inspection VPC) whose only path
 * between them is gwlb-sim and real agents. Namespace names start with a prefix unique to the
 * test run; down() kills what this lab started and removes its namespaces.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildArtifacts, ExecResult, LabProcess, REPO, run, SimStatus, waitFor } from './lab';

const SCRIPT = path.join(REPO, 'scripts', 'tgw-lab.sh');
export const TGW_ADDR = {
  spokeA: '10.78.1.2',
  spokeB: '10.78.2.2',
  internet: '198.51.100.10',
  sim: '10.78.3.1',
  agent: (i: number): string => `10.78.3.${10 + i}`,
};
const STATUS_PORT = 9090;
const HEALTH_PORT = 8080;

export type TgwNamespace = 'spokea' | 'spokeb' | 'inet' | 'hub' | `agent${number}`;

export class TgwLab {
  readonly prefix = `gwtgw-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly dir = path.join(os.tmpdir(), this.prefix);
  readonly procs: LabProcess[] = [];
  artifacts!: { sim: string; agent: string; addon: string };
  private created = false;

  ns(name: TgwNamespace): string {
    return `${this.prefix}-${name}`;
  }

  async up(agents: number): Promise<void> {
    this.artifacts = buildArtifacts(path.join(this.dir, 'bin'));
    if (process.getuid?.() !== 0) {
      throw new Error(`cannot create network namespaces: the e2e tests must run as root (uid is ${process.getuid?.()})`);
    }
    this.created = true;
    const r = await run('bash', [SCRIPT, 'up', this.prefix, String(agents)]);
    if (r.code !== 0) {
      throw new Error(`cannot create the TGW lab (tgw-lab.sh up exited ${r.code}): ${r.stderr}`);
    }
  }

  start(name: string, ns: TgwNamespace, argv: readonly string[], env: NodeJS.ProcessEnv = {}): LabProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns(ns), ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const p = new LabProcess(name, child);
    this.procs.push(p);
    return p;
  }

  async startServer(ns: TgwNamespace): Promise<LabProcess> {
    const p = this.start(`server-${ns}`, ns, [process.execPath, path.join(REPO, 'scripts', 'demo-server.cjs'), '--listen', '0.0.0.0', '--http', '8000', '--udp', '9000']);
    await p.waitForOutput(/server ready/);
    return p;
  }

  async startAgent(i: number, policy: object): Promise<LabProcess> {
    const file = path.join(this.dir, `policy-agent${i}.json`);
    fs.writeFileSync(file, JSON.stringify(policy));
    const p = this.start(`agent${i}`, `agent${i}`, [process.execPath, this.artifacts.agent,
      '--listen', '0.0.0.0', '--port', '6081', '--health-port', String(HEALTH_PORT), '--policy', file]);
    await p.waitForOutput(/gwlb-agent started/);
    return p;
  }

  async startSim(agents: readonly number[]): Promise<LabProcess> {
    const p = this.start('sim', 'hub', [process.execPath, this.artifacts.sim, '--local', TGW_ADDR.sim, '--status-port', String(STATUS_PORT),
      '--health-interval', '0.5', '--healthy-threshold', '2', '--unhealthy-threshold', '2', '--health-port', String(HEALTH_PORT),
      ...agents.flatMap((i) => ['--target', TGW_ADDR.agent(i)])], { GWLB_SIM_TUN_ADDON: this.artifacts.addon });
    await p.waitForOutput(/"msg":"ready"/);
    await waitFor(async () => (await this.simStatus()).targets.every((t) => t.health === 'healthy'), 10000, 'all sim targets healthy');
    return p;
  }

  exec(ns: TgwNamespace, argv: readonly string[], timeoutMs = 30000): Promise<ExecResult> {
    return run('ip', ['netns', 'exec', this.ns(ns), ...argv], timeoutMs);
  }

  async simStatus(): Promise<SimStatus> {
    const r = await this.exec('hub', ['curl', '-sf', '--max-time', '3', `http://127.0.0.1:${STATUS_PORT}/status`]);
    if (r.code !== 0) throw new Error(`sim /status failed (curl exit ${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout.toString()) as SimStatus;
  }

  /** HTTP GET with curl from namespace `from` to `host:8000`. */
  async fetch(from: TgwNamespace, host: string, urlPath: string, maxTimeS = 10): Promise<ExecResult & { headers: string; body: Buffer }> {
    const headerFile = path.join(this.dir, `headers-${randomBytes(4).toString('hex')}`);
    const r = await this.exec(from, ['curl', '-s', '--max-time', String(maxTimeS), '-D', headerFile, '-o', '-', `http://${host}:8000${urlPath}`], (maxTimeS + 5) * 1000);
    const headers = fs.existsSync(headerFile) ? fs.readFileSync(headerFile, 'utf8') : '';
    fs.rmSync(headerFile, { force: true });
    return { ...r, headers, body: r.stdout };
  }

  async down(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop()));
    if (this.created) {
      const r = spawnSync('bash', [SCRIPT, 'down', this.prefix], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`tgw-lab.sh down ${this.prefix} failed: ${r.stderr}`);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(this.prefix));
    if (left.length > 0) throw new Error(`namespaces left behind: ${left.join(', ')}`);
  }

  logs(): string {
    return this.procs.map((p) => `--- ${p.name} (exit ${p.exitCode ?? 'running'})\n${p.output.slice(-4000)}`).join('\n');
  }
}
