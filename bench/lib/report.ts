/**
 * Benchmark helper (not product code): machine description, the results document written to
 * bench/out/results.json and the markdown summary printed at the end.
 */
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import * as os from 'os';
import { fmtPps, RunResult } from './loadgen';
import { LatencyPanel } from './svg';
import type { NameRuleFigure } from './name-rules';

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
  /** The agent's --io (bench --agent-io). @default - not passed */
  readonly agentIo?: string;
  /** The other agent variants of the same run (e.g. agent-js: --io js), against the same reference. */
  others?: AgentVariantRun[];
}

export interface AgentVariantRun {
  readonly name: string;
  readonly io?: string;
  readonly run: RunResult;
  /** pps / reference pps */
  readonly ratio: number;
}

export interface LatencyRow {
  readonly innerSize: number;
  /** Offered load as a percentage of the agent's measured capacity. */
  readonly loadPct: number;
  readonly targetPps: number;
  readonly agent: RunResult;
  readonly reference?: RunResult;
  /** Which agent variant (bench --agent-io): its name and --io. @default - the agent */
  readonly agentName?: string;
  readonly agentIo?: string;
}

/** The agent with N workers against 1 worker, closed-loop capacity. */
export interface WorkersRow {
  readonly innerSize: number;
  readonly workers: number;
  readonly one: RunResult;
  readonly many: RunResult;
  /** many pps / one pps */
  readonly speedup: number;
}

export interface MemoryResult {
  readonly flows: number;
  readonly rssIdleKb: number;
  readonly rssAfterKb: number;
  /** VmHWM: the largest RSS the process ever had. */
  readonly rssPeakKb: number;
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
  readonly workers: WorkersRow[];
  memory?: MemoryResult;
  /** Server-name rules: inspector cost per packet (bench/lib/name-rules.ts). */
  nameRules?: NameRuleFigure[];
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

/** "CPU % of the run / ms waiting for a CPU" of the target's busiest thread. */
function threadCell(r?: RunResult): string {
  const t = r?.target_thread;
  if (t === undefined || t.wallMs <= 0) return 'n/a';
  return `${((100 * t.cpuMs) / t.wallMs).toFixed(0)} % / ${t.waitMs.toFixed(0)} ms`;
}

function lagCell(r: RunResult): string {
  return r.target_event_loop_lag_ms === undefined ? 'n/a' : us(r.target_event_loop_lag_ms * 1000);
}

function mb(kb: number): string {
  return `${(kb / 1024).toFixed(0)} MiB`;
}

export function markdownReport(r: BenchResults, agentName: string): string {
  const m = r.machine;
  const L: string[] = [];
  const agentNode = r.config.agentNodeVersion ? ` (agent on Node ${String(r.config.agentNodeVersion).replace(/^v/, '')})` : '';
  L.push(`**Machine:** \`${m.arch}\`, ${m.cpuModel}, ${m.cores} cores, Node ${m.node}${agentNode}, ${m.kernel}`
    + ` (load average at start ${m.loadAvgAtStart.join(' ')}). Loopback, ${r.config.flows} flows,`
    + ' outer source port per flow, GWLB GENEVE (40-byte header, 3 AWS options).');
  L.push('');
  const withNode = r.capacity.some((c) => c.nodeReflector);
  const nodeHead = withNode ? ' Node dgram reflector (no inspection) |' : '';
  const nodeCpuHead = withNode ? ' Node reflector CPU per packet |' : '';
  const others = r.capacity[0]?.others?.map((o) => o.name) ?? [];
  const otherHead = others.map((n) => ` ${n} | ${n} / reference | ${n} CPU per packet |`).join('');
  L.push(`| Inner packet | ${agentName} |${nodeHead} Reference (C, recvmmsg/sendmmsg) | ${agentName} / reference `
    + `| ${agentName} CPU per packet |${nodeCpuHead} Reference CPU per packet |${otherHead}`);
  L.push(`|---|---|---|---|---|---|${withNode ? '---|---|' : ''}${'---|---|---|'.repeat(others.length)}`);
  const cpu = (x: RunResult | undefined): string => (x ? `${(x.target_ns_per_packet / 1000).toFixed(2)} µs` : 'n/a');
  for (const c of r.capacity) {
    const nodeCol = withNode ? ` ${c.nodeReflector ? fmtPps(c.nodeReflector.pps) : 'n/a'} |` : '';
    const nodeCpu = withNode ? ` ${cpu(c.nodeReflector)} |` : '';
    const otherCols = (c.others ?? []).map((o) => ` ${fmtPps(o.run.pps)} | ${o.ratio.toFixed(2)} | ${cpu(o.run)} |`).join('');
    L.push(`| ${c.innerSize} B | ${fmtPps(c.agent.pps)} |${nodeCol} ${fmtPps(c.reference.pps)} | ${c.ratio.toFixed(2)} `
      + `| ${cpu(c.agent)} |${nodeCpu} ${cpu(c.reference)} |${otherCols}`);
  }
  if (r.capacity.length) {
    // Per core: packets per second of CPU (1e9 / ns per packet), independent of how much CPU each got.
    const perCore = (x: RunResult): number => (x.target_ns_per_packet > 0 ? 1e9 / x.target_ns_per_packet : 0);
    L.push('');
    const otherPerCore = others.map((n) => ` ${n} per core | ${n} / reference per core |`).join('');
    L.push(`| Inner packet | ${agentName} per core (1 worker) | Reference per core | ${agentName} / reference per core |${otherPerCore}`);
    L.push(`|---|---|---|---|${'---|---|'.repeat(others.length)}`);
    for (const c of r.capacity) {
      const a = perCore(c.agent);
      const ref = perCore(c.reference);
      const otherCols = (c.others ?? []).map((o) => {
        const x = perCore(o.run);
        return ` ${fmtPps(x)} | ${ref ? (x / ref).toFixed(2) : 'n/a'} |`;
      }).join('');
      L.push(`| ${c.innerSize} B | ${fmtPps(a)} | ${fmtPps(ref)} | ${ref ? (a / ref).toFixed(2) : 'n/a'} |${otherCols}`);
    }
  }
  if (r.workers.length) {
    L.push('');
    L.push(`| Inner packet | 1 worker | ${r.workers[0].workers} workers | Speed-up | CPU 1 / ${r.workers[0].workers} workers | CPU per packet 1 / ${r.workers[0].workers} workers |`);
    L.push('|---|---|---|---|---|---|');
    for (const w of r.workers) {
      L.push(`| ${w.innerSize} B | ${fmtPps(w.one.pps)} | ${fmtPps(w.many.pps)} | ${w.speedup.toFixed(2)} `
        + `| ${w.one.target_cpu_pct.toFixed(0)} % / ${w.many.target_cpu_pct.toFixed(0)} % | ${cpu(w.one)} / ${cpu(w.many)} |`);
    }
  }
  if (r.latency.length) {
    L.push('');
    L.push(`| Target | Inner packet | Load (of its capacity) | Offered | p50 / p99 / p99.9 | Loss | Reference p50 / p99 / p99.9 (same offered load) `
      + `| Packet thread: CPU / waited for a CPU | Event loop lag | Reference: CPU / waited | Machine busy (target / reference run) |`);
    L.push('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const l of r.latency) {
      const busy = (x?: RunResult): string => (x?.machine_busy_pct === undefined ? 'n/a' : `${x.machine_busy_pct.toFixed(0)} %`);
      L.push(`| ${l.agentName ?? agentName} | ${l.innerSize} B | ${l.loadPct} % | ${fmtPps(l.agent.offered_pps)} | ${lat(l.agent)} `
        + `| ${l.agent.loss_pct.toFixed(2)} % | ${l.reference ? lat(l.reference) : 'n/a'} | ${threadCell(l.agent)} | ${lagCell(l.agent)} `
        + `| ${threadCell(l.reference)} | ${busy(l.agent)} / ${busy(l.reference)} |`);
    }
  }
  if (r.memory) {
    const mem = r.memory;
    L.push('');
    L.push(`| Tracked flows | ${agentName} RSS idle | ${agentName} RSS after the flows | Peak RSS (VmHWM) | Per flow |`);
    L.push('|---|---|---|---|---|');
    const tracked = mem.reportedActiveFlows !== undefined ? `${mem.flows.toLocaleString('en-US')} driven, ${mem.reportedActiveFlows.toLocaleString('en-US')} reported`
      : `${mem.flows.toLocaleString('en-US')} driven`;
    L.push(`| ${tracked} | ${mb(mem.rssIdleKb)} | ${mb(mem.rssAfterKb)} | ${mb(mem.rssPeakKb)} | ${mem.bytesPerFlow.toFixed(0)} B |`);
  }
  if (r.notes.length) {
    L.push('');
    for (const n of r.notes) L.push(`- ${n}`);
  }
  return L.join('\n');
}

/** Observations derived from the figures, printed under the tables. */
export function benchNotes(r: BenchResults, name: string, raw: boolean): string[] {
  const notes: string[] = [];
  notes.push('Capacity: closed loop (a fixed number of packets in flight), packets/s returned; CPU per packet ='
    + ' (utime+stime of the target process) / packets returned, kernel loopback work included.');
  if (raw) {
    notes.push('Reference: C recvmmsg/sendmmsg reflector; its replies keep both ports like the agent\'s bound-port mode'
      + ' (IP_HDRINCL raw socket, as gwlbtun does), so both arrive at the GWLB address on the GENEVE port.');
  } else {
    notes.push('Run without raw sockets (not root): the load generator sent with one sendto per packet and the'
      + ' reference replied from its listening socket (ports swapped); figures are not comparable with raw runs.');
  }
  for (const c of r.capacity) {
    if (!c.nodeReflector) continue;
    // Compare Node's dgram I/O with the agent that uses it (--io js), not with the native batch I/O one.
    const js = c.agentIo === 'native' ? c.others?.find((o) => o.io === 'js') : { name, run: c.agent };
    if (js === undefined) continue;
    const io = c.nodeReflector.target_ns_per_packet / 1000;
    const all = js.run.target_ns_per_packet / 1000;
    notes.push(`${c.innerSize} B: a Node dgram reflector with no inspection costs ${io.toFixed(2)} µs of CPU per packet,`
      + ` the ${js.name} ${all.toFixed(2)} µs: Node datagram I/O is ${((100 * io) / Math.max(all, 1e-9)).toFixed(0)} % of the ${js.name}'s cost`
      + (c.agentIo === 'native' ? `; with native batch I/O the ${name} costs ${(c.agent.target_ns_per_packet / 1000).toFixed(2)} µs.` : '.'));
  }
  const listenRows = r.capacity.filter((c) => c.referenceListen);
  if (listenRows.length) {
    notes.push('Reference replying from its listening socket (ports swapped, not kept): '
      + listenRows.map((c) => `${c.innerSize} B ${Math.round(c.referenceListen!.pps)} pps`).join(', ') + '.');
  }
  notes.push('Latency: open loop at a fixed rate; round trip GWLB stand-in -> target -> GWLB stand-in, measured from a'
    + ' timestamp carried in the inner payload (includes the load generator and the kernel on both sides).');
  if (r.latency.some((l) => l.agent.target_thread)) {
    notes.push('Latency runs, packet thread: the target\'s busiest thread (the agent\'s worker, the reflector\'s only thread)'
      + ' over warm-up and measurement (/proc schedstat): CPU time as % of the run, and how long it was runnable but'
      + ' waiting for a CPU (the scheduler\'s share of the tail). Event loop lag: the agent\'s largest'
      + ' (gwlb_agent_event_loop_lag_seconds, a 250 ms timer in every worker) in the last 5 s of the run: how long its'
      + ' packet loop stood still, for whatever reason. Machine busy: all cores, every process.');
  }
  for (const c of r.capacity) {
    if (c.agent.target_cpu_pct < 85) {
      notes.push(`${name} used ${c.agent.target_cpu_pct.toFixed(0)} % CPU during the ${c.innerSize} B capacity run:`
        + ' it was not the only bottleneck (shared or busy machine, or the load generator).');
    }
  }
  for (const c of r.capacity) {
    if (c.reference.loadgen_cpu_pct > 85) {
      notes.push(`The load generator used ${c.reference.loadgen_cpu_pct.toFixed(0)} % of a core in the ${c.innerSize} B reference`
        + ' run: the reference figure is a lower bound (load generator limited) and the ratio an upper bound.');
    }
  }
  // RcvbufErrors is system-wide: only a run in which the target lost packets is named.
  const lost = r.latency.filter((l) => l.agent.kernel_udp_rcvbuf_errors > 0 && l.agent.loss_pct > 0);
  if (lost.length) {
    notes.push(`Open-loop loss in the latency runs came from full socket receive buffers (kernel RcvbufErrors) in `
      + lost.map((l) => `${l.innerSize} B @${l.loadPct} %`).join(', ') + ': the target could not keep up at that rate.');
  }
  const bad = [...r.capacity.map((c) => c.agent), ...r.latency.map((l) => l.agent)].some((x) => x.bad || x.cookie_mismatch || x.bad_size);
  if (bad) notes.push(`Some replies from ${name} were malformed or changed: see results.json (bad, bad_size, cookie_mismatch).`);
  if (r.workers.length && r.machine.cores <= r.workers[0].workers) {
    notes.push(`Workers: ${r.workers[0].workers} workers on ${r.machine.cores} cores share them with the load generator and`
      + ' the kernel\'s loopback work, so this compares the overhead of several workers, not their scaling. To measure'
      + ' scaling, run on an instance with more cores than workers + 1 (for example a c7g.4xlarge:'
      + ' `npm run bench -- --workers 4 --skip-rss --skip-latency`), or drive the appliance from other instances.');
  }
  const load = r.machine.loadAvgAtStart[0];
  if (load > 0.5) notes.push(`The machine was not idle at start (load average ${load}): figures are indicative only.`);
  return notes;
}

export function latencyPanels(r: BenchResults, name: string): LatencyPanel[] {
  const sizes = [...new Set(r.latency.map((l) => l.innerSize))];
  const pt = (x: RunResult): { offeredPps: number; p50: number; p99: number; p999: number } =>
    ({ offeredPps: x.offered_pps, p50: x.lat_us.p50, p99: x.lat_us.p99, p999: x.lat_us.p999 });
  const agents = [...new Set(r.latency.map((l) => l.agentName ?? name))];
  return sizes.map((size) => {
    const rows: LatencyRow[] = r.latency.filter((l) => l.innerSize === size);
    // The first agent and the reference at its offered loads; the other variants are in the table.
    const first = rows.filter((l) => (l.agentName ?? name) === agents[0]);
    return {
      title: `${size} B inner packets, ${r.config.flows} flows`,
      series: [
        { name: agents[0] ?? name, dashed: false, points: first.map((l) => pt(l.agent)) },
        { name: 'reference (C)', dashed: true, points: first.filter((l) => l.reference).map((l) => pt(l.reference!)) },
      ],
    };
  });
}

/** Renders the SVG to PNG with rsvg-convert or ImageMagick when present; returns the tool used. */
export function renderPng(svg: string, png: string): string | undefined {
  for (const [cmd, args] of [['rsvg-convert', ['-o', png, svg]], ['convert', [svg, png]]] as const) {
    try {
      execFileSync(cmd, [...args], { stdio: 'pipe' });
      return cmd;
    } catch {
      // try the next converter
    }
  }
  return undefined;
}
