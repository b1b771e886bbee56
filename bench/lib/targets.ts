/**
 * Benchmark helper (not product code): starts the systems under test on loopback.
 * - the agent (dist/agent/gwlb-agent.js) with a policy that is really evaluated;
 * - the C reference reflector (bench/c/reflector.c);
 * - a trivial Node reflector (bench/node-reflector.ts), a stand-in while the agent is unfinished.
 */
import { execFileSync } from 'child_process';
import { existsSync, writeFileSync } from 'fs';
import * as path from 'path';
import { freeTcpPort, httpGet, Proc, sleep, startProcess, stopProcess } from './proc';

export interface Target {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** True when replies arrive at the GWLB address on the GENEVE port (ports kept). */
  readonly keepsPorts: boolean;
  metrics(): Promise<string | undefined>;
  stop(): Promise<void>;
}

/**
 * Several rules that do not match the bench traffic (inner 10.16.0.0/12 -> 172.16.0.10,
 * TCP 80 and UDP 5000) plus a payload rule with no other condition, so that every packet's
 * payload is searched. Default allow: every packet must come back.
 */
export const BENCH_POLICY = {
  defaultAction: 'allow',
  rules: [
    { name: 'drop-test-net-1', action: 'drop', destination: '192.0.2.0/24' },
    { name: 'drop-admin-ports', action: 'drop', protocol: 'tcp', destinationPorts: [22, 23, 3389, '6000-6100'] },
    { name: 'drop-snmp-ssdp', action: 'drop', protocol: 'udp', destinationPorts: [161, 1900] },
    { name: 'drop-doc-sources', action: 'drop', source: ['198.51.100.0/24', '203.0.113.0/24'] },
    { name: 'drop-icmp', action: 'drop', protocol: 'icmp' },
    { name: 'drop-gre', action: 'drop', protocol: 47 },
    { name: 'drop-ipv6-doc', action: 'drop', source: '2001:db8::/32' },
    { name: 'drop-signature', action: 'drop', payloadContains: 'X-BENCH-MALWARE-SIGNATURE' },
  ],
};

/** Runs `node scripts/bundle-agent.js` when it exists; keeps an existing bundle if that fails. */
export function bundleAgent(root: string, agentScript: string): void {
  const bundler = path.join(root, 'scripts', 'bundle-agent.js');
  if (!existsSync(bundler)) return;
  console.log('Bundling the agent (node scripts/bundle-agent.js) ...');
  try {
    execFileSync(process.execPath, [bundler], { cwd: root, stdio: 'pipe' });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    if (!existsSync(agentScript)) throw new Error(`bundling the agent failed:\n${err.stderr?.toString() ?? err.message}`);
    console.log(`  WARNING: bundling failed, using the existing ${path.relative(root, agentScript)}`);
  }
}

export function writeBenchPolicy(outDir: string): string {
  const file = path.join(outDir, 'policy.json');
  writeFileSync(file, JSON.stringify(BENCH_POLICY, null, 2));
  return file;
}

async function waitHealthy(proc: Proc, healthPort: number, name: string): Promise<void> {
  const deadline = Date.now() + 15000;
  let lastStatus = 0;
  let firstAnswer = 0;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(`${name} exited during start:\n${proc.stderrTail()}`);
    }
    try {
      const r = await httpGet('127.0.0.1', healthPort, '/healthz', 1000);
      lastStatus = r.status;
      if (r.status === 200) return;
      if (!firstAnswer) firstAnswer = Date.now();
      if (Date.now() - firstAnswer > 3000) {
        console.log(`  note: ${name} /healthz answers ${r.status} ${r.body.trim()}; continuing`);
        return;
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${name} not healthy after 15 s (last /healthz status ${lastStatus}):\n${proc.stderrTail()}`);
}

function healthTarget(name: string, proc: Proc, port: number, healthPort: number, keepsPorts: boolean): Target {
  return {
    name,
    pid: proc.pid,
    port,
    keepsPorts,
    metrics: async () => {
      try {
        return (await httpGet('127.0.0.1', healthPort, '/metrics', 2000)).body;
      } catch {
        return undefined;
      }
    },
    stop: () => stopProcess(proc),
  };
}

export interface AgentStartOptions {
  readonly script: string;
  readonly listen: string;
  readonly port: number;
  readonly policyFile: string;
  readonly nodeArgs?: string[];
  readonly replyMode?: 'bound-port' | 'dgram';
  readonly extraArgs?: string[];
  /** The node executable. @default process.execPath */
  readonly node?: string;
  /** --workers. @default - not passed (the agent's default) */
  readonly workers?: number;
  /** Appended to the target's name (e.g. "-js" for the agent with --io js). @default '' */
  readonly nameSuffix?: string;
}

export async function startAgent(o: AgentStartOptions): Promise<Target> {
  if (!existsSync(o.script)) throw new Error(`${o.script} does not exist: run node scripts/bundle-agent.js (or use --target node-reflector)`);
  const healthPort = await freeTcpPort('127.0.0.1');
  const replyMode = o.replyMode ?? 'bound-port';
  const workers = o.workers === undefined ? [] : ['--workers', String(o.workers)];
  const proc = startProcess(o.node ?? process.execPath, [...(o.nodeArgs ?? []), o.script, '--listen', o.listen,
    '--port', String(o.port), '--health-port', String(healthPort), '--policy', o.policyFile,
    '--reply-mode', replyMode, ...workers, ...(o.extraArgs ?? [])]);
  const name = (o.workers === undefined || o.workers === 1 ? 'agent' : `agent-${o.workers}w`) + (o.nameSuffix ?? '');
  await waitHealthy(proc, healthPort, name);
  return healthTarget(name, proc, o.port, healthPort, replyMode === 'bound-port');
}

/** The trivial Node reflector: same CLI and reply semantics as the agent, no inspection. */
export async function startNodeReflector(benchDir: string, listen: string, port: number, nodeArgs: string[] = []): Promise<Target> {
  const healthPort = await freeTcpPort('127.0.0.1');
  const proc = startProcess(process.execPath, [...nodeArgs, '-r', 'ts-node/register/transpile-only',
    path.join(benchDir, 'node-reflector.ts'), '--listen', listen, '--port', String(port),
    '--health-port', String(healthPort), '--reply-mode', 'bound-port'], { cwd: path.dirname(benchDir) });
  await waitHealthy(proc, healthPort, 'node-reflector');
  return healthTarget('node-reflector', proc, port, healthPort, true);
}

/** The C reference reflector; `reply` raw keeps both ports (like the agent), listen does not. */
export async function startReflector(bin: string, listen: string, port: number, reply: 'raw' | 'listen'): Promise<Target> {
  // same receive buffer request as the agent (8 MiB, capped by the kernel at net.core.rmem_max)
  const proc = startProcess(bin, ['--listen', listen, '--port', String(port), '--reply', reply, '--rcvbuf', String(8 << 20)]);
  await proc.waitForLine((l) => l.includes('"ready"'), 5000);
  return {
    name: reply === 'raw' ? 'reference' : 'reference-listen',
    pid: proc.pid,
    port,
    keepsPorts: reply === 'raw',
    metrics: async () => undefined,
    stop: () => stopProcess(proc),
  };
}
