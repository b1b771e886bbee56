/**
 * End-to-end lab: network namespaces built by scripts/demo-lab.sh (client, sim, server, agents),
 * processes started inside them, and small clients (curl, UDP) run from the client namespace.
 * Every namespace name starts with a prefix unique to the test file run; down() kills the
 * processes this lab started and removes its namespaces.
 */
import { ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(REPO, 'test', 'e2e', 'fixtures');
export const ADDR = {
  client: '10.77.1.2',
  server: '10.77.2.2',
  sim: '10.77.3.1',
  agent: (i: number): string => `10.77.3.${10 + i}`,
  client6: '2001:2:0:1::2',
  server6: '2001:2:0:2::2',
};
export const SIM_STATUS_PORT = 9090;
export const AGENT_HEALTH_PORT = 8080;

export interface ExecResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** A process started in a namespace, with its output kept for assertions and failure messages. */
export class LabProcess {
  output = '';
  exitCode: number | null | undefined = undefined;
  readonly exited: Promise<number | null>;

  constructor(readonly name: string, readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => {
      this.exitCode = code ?? (signal ? -1 : null);
      resolve(this.exitCode);
    }));
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  async waitForOutput(pattern: RegExp, timeoutMs = 10000): Promise<void> {
    await waitFor(() => {
      if (pattern.test(this.output)) return true;
      if (!this.running) throw new Error(`${this.name} exited (${this.exitCode}) before printing ${pattern}:\n${this.output}`);
      return false;
    }, timeoutMs, `${this.name} to print ${pattern}; output so far:\n${this.output}`);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running || this.child.pid === undefined) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, pollMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function run(cmd: string, args: readonly string[], timeoutMs = 30000): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : null) : 0;
      resolve({ code, stdout, stderr: stderr.toString() });
    });
  });
}

/** Builds the sim and agent bundles and the tun addon into a private directory for this run. */
export function buildArtifacts(outDir: string): { sim: string; agent: string; addon: string } {
  fs.mkdirSync(outDir, { recursive: true });
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { bundleSim } = require(path.join(REPO, 'scripts', 'bundle-sim.js'));
  const { bundleAgent } = require(path.join(REPO, 'scripts', 'bundle-agent.js'));
  const { buildTun, addonFile } = require(path.join(REPO, 'scripts', 'build-tun.js'));
  /* eslint-enable @typescript-eslint/no-require-imports */
  const sim = bundleSim(path.join(outDir, 'gwlb-sim.js'));
  const agent = bundleAgent(path.join(outDir, 'gwlb-agent.js'));
  const src = path.join(REPO, 'native', 'tun', 'tun.c');
  const stale = !fs.existsSync(addonFile) || fs.statSync(addonFile).mtimeMs < fs.statSync(src).mtimeMs;
  if (stale) buildTun({ quiet: true });
  return { sim, agent, addon: addonFile };
}

/** Removes labs of earlier test runs whose process is gone (e.g. a killed jest worker). */
function sweepStaleLabs(): void {
  const names = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]);
  const stale = new Set<string>();
  for (const name of names) {
    const m = /^(gwe2e-(\d+)-[0-9a-f]{6})-/.exec(name);
    if (m && !fs.existsSync(`/proc/${m[2]}`)) stale.add(m[1]);
  }
  for (const prefix of stale) spawnSync('bash', [path.join(REPO, 'scripts', 'demo-lab.sh'), 'down', prefix]);
}

export interface SimStatus {
  counters: Record<string, number>;
  violations: Record<string, number>;
  eniId: string;
  attachmentId: string;
  targets: Array<{ name: string; address: string; health: string; flows: number; flowsAssigned: number; packetsSent: number; packetsReturned: number }>;
  flows: Array<{ flow: string; protocol: number; clientPort: number; serverPort: number; cookie: string; sourcePort: number; target: string;
    packetsSent: number; packetsReturned: number; returnedFrom: Record<string, number> }>;
}

export class Lab {
  readonly prefix = `gwe2e-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly dir = path.join(os.tmpdir(), this.prefix);
  readonly procs: LabProcess[] = [];
  artifacts!: { sim: string; agent: string; addon: string };
  private created = false;

  ns(name: string): string {
    return `${this.prefix}-${name}`;
  }

  /** Builds artifacts and the namespaces. Fails with a message saying namespaces could not be made. */
  async up(agents: number): Promise<void> {
    this.artifacts = buildArtifacts(path.join(this.dir, 'bin'));
    if (process.getuid?.() !== 0) {
      throw new Error(`cannot create network namespaces: the e2e tests must run as root (uid is ${process.getuid?.()})`);
    }
    sweepStaleLabs();
    this.created = true;
    const r = await run('bash', [path.join(REPO, 'scripts', 'demo-lab.sh'), 'up', this.prefix, String(agents)]);
    if (r.code !== 0) {
      throw new Error(`cannot create network namespaces for the e2e lab (demo-lab.sh up exited ${r.code}): ${r.stderr}`);
    }
  }

  /** Starts `argv` inside namespace `ns` (ip netns exec replaces itself with the command, so pid is the command's). */
  start(name: string, ns: string, argv: readonly string[], env: NodeJS.ProcessEnv = {}): LabProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns(ns), ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const p = new LabProcess(name, child);
    this.procs.push(p);
    return p;
  }

  startNode(name: string, ns: string, script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): LabProcess {
    return this.start(name, ns, [process.execPath, script, ...args], env);
  }

  async startServer(): Promise<LabProcess> {
    const p = this.startNode('server', 'server', path.join(REPO, 'scripts', 'demo-server.cjs'), ['--http', '8000,8081', '--udp', '9000']);
    await p.waitForOutput(/server ready/);
    return p;
  }

  async startReflector(i: number, mode = 'good'): Promise<LabProcess> {
    const p = this.startNode(`reflector${i}`, `agent${i}`, path.join(FIXTURES, 'reflector.cjs'), ['--mode', mode]);
    await p.waitForOutput(/reflector ready/);
    return p;
  }

  /** Starts the real agent; `policy` is written to a file and passed with --policy. */
  async startAgent(i: number, policy?: object, extra: readonly string[] = []): Promise<LabProcess> {
    const args = ['--listen', '0.0.0.0', '--port', '6081', '--health-port', String(AGENT_HEALTH_PORT), ...extra];
    if (policy) {
      const file = path.join(this.dir, `policy-agent${i}.json`);
      fs.writeFileSync(file, JSON.stringify(policy));
      args.push('--policy', file);
    }
    const p = this.startNode(`agent${i}`, `agent${i}`, this.artifacts.agent, args);
    await p.waitForOutput(/gwlb-agent started/);
    return p;
  }

  /** Starts gwlb-sim with the given targets (agent indexes) and waits until every target is healthy. */
  async startSim(agents: readonly number[], extra: readonly string[] = [], waitHealthy = true): Promise<LabProcess> {
    const args = ['--local', ADDR.sim, '--status-port', String(SIM_STATUS_PORT),
      '--health-interval', '0.5', '--healthy-threshold', '2', '--unhealthy-threshold', '2', '--health-port', String(AGENT_HEALTH_PORT),
      ...agents.flatMap((i) => ['--target', ADDR.agent(i)]), ...extra];
    const p = this.startNode('sim', 'sim', this.artifacts.sim, args, { GWLB_SIM_TUN_ADDON: this.artifacts.addon });
    await p.waitForOutput(/"msg":"ready"/);
    if (waitHealthy) {
      await waitFor(async () => (await this.simStatus()).targets.every((t) => t.health === 'healthy'), 10000, 'all sim targets healthy');
    }
    return p;
  }

  exec(ns: string, argv: readonly string[], timeoutMs = 30000): Promise<ExecResult> {
    return run('ip', ['netns', 'exec', this.ns(ns), ...argv], timeoutMs);
  }

  async simStatus(): Promise<SimStatus> {
    const r = await this.exec('sim', ['curl', '-sf', '--max-time', '3', `http://127.0.0.1:${SIM_STATUS_PORT}/status`]);
    if (r.code !== 0) throw new Error(`sim /status failed (curl exit ${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout.toString()) as SimStatus;
  }

  /** Prometheus text of agent `i`, fetched from the sim namespace. */
  async agentMetrics(i: number): Promise<Map<string, number>> {
    const r = await this.exec('sim', ['curl', '-sf', '--max-time', '3', `http://${ADDR.agent(i)}:${AGENT_HEALTH_PORT}/metrics`]);
    if (r.code !== 0) throw new Error(`agent${i} /metrics failed (curl exit ${r.code}): ${r.stderr}`);
    const m = new Map<string, number>();
    for (const line of r.stdout.toString().split('\n')) {
      const match = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
      if (match) m.set(match[1], Number(match[2]));
    }
    return m;
  }

  /** HTTP GET from the client namespace with curl. */
  async fetch(urlPath: string, opts: { port?: number; maxTimeS?: number; localPort?: number; ipv6?: boolean } = {}): Promise<ExecResult & { headers: string; body: Buffer }> {
    const headerFile = path.join(this.dir, `headers-${randomBytes(4).toString('hex')}`);
    const args = ['curl', '-s', '--max-time', String(opts.maxTimeS ?? 10), '-D', headerFile, '-o', '-'];
    if (opts.localPort) args.push('--local-port', String(opts.localPort));
    const host = opts.ipv6 ? `[${ADDR.server6}]` : ADDR.server;
    args.push('-g', `http://${host}:${opts.port ?? 8000}${urlPath}`);
    const r = await this.exec('client', args, ((opts.maxTimeS ?? 10) + 5) * 1000);
    const headers = fs.existsSync(headerFile) ? fs.readFileSync(headerFile, 'utf8') : '';
    fs.rmSync(headerFile, { force: true });
    return { ...r, headers, body: r.stdout };
  }

  /** One UDP request/response from the client namespace; resolves with the reply or null on timeout. */
  async udp(message: string, timeoutMs = 3000, localPort = 0, ipv6 = false): Promise<string | null> {
    const host = ipv6 ? ADDR.server6 : ADDR.server;
    const r = await this.exec('client', [process.execPath, path.join(FIXTURES, 'udp-client.cjs'), host, '9000', message, String(timeoutMs), String(localPort)], timeoutMs + 5000);
    if (r.code === 3) return null;
    if (r.code !== 0) throw new Error(`udp-client failed (exit ${r.code}): ${r.stderr}`);
    return r.stdout.toString();
  }

  /** Kills this lab's processes, removes its namespaces and files; throws if any namespace is left. */
  async down(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop()));
    if (this.created) {
      const r = spawnSync('bash', [path.join(REPO, 'scripts', 'demo-lab.sh'), 'down', this.prefix], { encoding: 'utf8' });
      fs.rmSync(this.dir, { recursive: true, force: true });
      if (r.status !== 0) throw new Error(`demo-lab.sh down ${this.prefix} failed: ${r.stderr}`);
    } else {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(this.prefix));
    if (left.length > 0) throw new Error(`namespaces left behind: ${left.join(', ')}`);
  }

  /** Output of every process, for failure messages. */
  logs(): string {
    return this.procs.map((p) => `--- ${p.name} (exit ${p.exitCode ?? 'running'})\n${p.output.slice(-4000)}`).join('\n');
  }
}
