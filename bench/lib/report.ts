/**
 * Benchmark helper (not product code): machine description, the results document written to
 * bench/out/results.json and the markdown summary printed at the end.
 */
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import * as os from 'os';
import { fmtPps, RunResult } from './loadgen';

export interface MachineInfo {
  readonly arch: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  readonly kernel: string;
  readonly memTotalMb: number;
  readonly loadAvgAtStart: number[];
}

export interface CapacityRow {
  readonly innerSize: number;
  readonly agent: RunResult;
  readonly reference: RunResult;
  readonly referenceListen?: RunResult;
  /** The trivial Node dgram reflector (bench/node-reflector.ts): Node I/O without inspection. */
  readonly nodeReflector?: RunResult;
  /** agent pps / reference pps */
  readonly ratio: number;
}

export interface LatencyRow {
  readonly innerSize: number;
  /** Offered load as a percentage of the agent's measured capacity. */
  readonly loadPct: number;
  readonly targetPps: number;
  readonly agent: RunResult;
  readonly reference?: RunResult;
}

export interface MemoryResult {
  readonly flows: number;
  readonly rssIdleKb: number;
  readonly rssAfterKb: number;
  readonly bytesPerFlow: number;
  /** The agent's own active-flow gauge from /metrics, when found. */
  readonly reportedActiveFlows?: number;
  readonly drive: RunResult;
}

export interface BenchResults {
  readonly schema: 'cdk-gwlb-inspection-bench/1';
  readonly date: string;
  readonly machine: MachineInfo;
  readonly config: Record<string, unknown>;
  readonly capacity: CapacityRow[];
  readonly latency: LatencyRow[];
  memory?: MemoryResult;
  readonly notes: string[];
}

export function machineInfo(): MachineInfo {
  let arch = os.arch();
  try {
    arch = execFileSync('uname', ['-m']).toString().trim();
  } catch {
    // keep os.arch()
  }
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const ci = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^(?:model name|Model|cpu model|Hardware)\s*:\s*(.+)$/m.exec(ci);
    if (m) cpuModel = m[1].trim();
  } catch {
    // keep os.cpus()
  }
  return {
    arch,
    cpuModel,
    cores: os.cpus().length,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    memTotalMb: Math.round(os.totalmem() / 1048576),
    loadAvgAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

function us(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(0)} µs`;
}

function lat(r: RunResult): string {
  return `${us(r.lat_us.p50)} / ${us(r.lat_us.p99)} / ${us(r.lat_us.p999)}`;
}

function mb(kb: number): string {
  return `${(kb / 1024).toFixed(0)} MiB`;
}

export function markdownReport(r: BenchResults, agentName: string): string {
  const m = r.machine;
  const L: string[] = [];
  L.push(`**Machine:** \`${m.arch}\`, ${m.cpuModel}, ${m.cores} cores, Node ${m.node}, ${m.kernel}`
    + ` (load average at start ${m.loadAvgAtStart.join(' ')}). Loopback, ${r.config.flows} flows,`
    + ' outer source port per flow, GWLB GENEVE (40-byte header, 3 AWS options).');
  L.push('');
  const withNode = r.capacity.some((c) => c.nodeReflector);
  const nodeHead = withNode ? ' Node dgram reflector (no inspection) |' : '';
  const nodeCpuHead = withNode ? ' Node reflector CPU per packet |' : '';
  L.push(`| Inner packet | ${agentName} |${nodeHead} Reference (C, recvmmsg/sendmmsg) | ${agentName} / reference `
    + `| ${agentName} CPU per packet |${nodeCpuHead} Reference CPU per packet |`);
  L.push(`|---|---|---|---|---|---|${withNode ? '---|---|' : ''}`);
  const cpu = (x: RunResult | undefined): string => (x ? `${(x.target_ns_per_packet / 1000).toFixed(2)} µs` : 'n/a');
  for (const c of r.capacity) {
    const nodeCol = withNode ? ` ${c.nodeReflector ? fmtPps(c.nodeReflector.pps) : 'n/a'} |` : '';
    const nodeCpu = withNode ? ` ${cpu(c.nodeReflector)} |` : '';
    L.push(`| ${c.innerSize} B | ${fmtPps(c.agent.pps)} |${nodeCol} ${fmtPps(c.reference.pps)} | ${c.ratio.toFixed(2)} `
      + `| ${cpu(c.agent)} |${nodeCpu} ${cpu(c.reference)} |`);
  }
  if (r.latency.length) {
    L.push('');
    L.push(`| Inner packet | Load (of ${agentName} capacity) | Offered | ${agentName} p50 / p99 / p99.9 | ${agentName} loss | Reference p50 / p99 / p99.9 |`);
    L.push('|---|---|---|---|---|---|');
    for (const l of r.latency) {
      L.push(`| ${l.innerSize} B | ${l.loadPct} % | ${fmtPps(l.agent.offered_pps)} | ${lat(l.agent)} | ${l.agent.loss_pct.toFixed(2)} % `
        + `| ${l.reference ? lat(l.reference) : 'n/a'} |`);
    }
  }
  if (r.memory) {
    const mem = r.memory;
    L.push('');
    L.push(`| Tracked flows | ${agentName} RSS idle | ${agentName} RSS after the flows | Per flow |`);
    L.push('|---|---|---|---|');
    const tracked = mem.reportedActiveFlows !== undefined ? `${mem.flows.toLocaleString('en-US')} driven, ${mem.reportedActiveFlows.toLocaleString('en-US')} reported`
      : `${mem.flows.toLocaleString('en-US')} driven`;
    L.push(`| ${tracked} | ${mb(mem.rssIdleKb)} | ${mb(mem.rssAfterKb)} | ${mem.bytesPerFlow.toFixed(0)} B |`);
  }
  if (r.notes.length) {
    L.push('');
    for (const n of r.notes) L.push(`- ${n}`);
  }
  return L.join('\n');
}
