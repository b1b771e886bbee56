/**
 * Benchmark helper (not product code): runs the C load generator (bench/c/loadgen.c) for one
 * phase, shows its progress and returns its result line.
 */
import { startProcess } from './proc';

export interface LatencyUs {
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** The `result` line of bench/c/loadgen.c (field names as printed). */
export interface LoadgenResult {
  readonly mode: 'rate' | 'window';
  readonly rate: number;
  readonly window: number;
  readonly inner_size: number;
  readonly flows: number;
  readonly ports: number;
  readonly duration_s: number;
  readonly sent: number;
  readonly received: number;
  readonly offered_pps: number;
  readonly pps: number;
  readonly loss_pct: number;
  readonly stalls: number;
  readonly written_off: number;
  readonly bad: number;
  /** Late replies to an earlier run (ignored). */
  readonly stale: number;
  readonly bad_size: number;
  readonly cookie_mismatch: number;
  readonly send_errors: number;
  readonly lat_us: LatencyUs;
  readonly target_cpu_s: number;
  readonly target_ns_per_packet: number;
  readonly target_cpu_pct: number;
  readonly loadgen_cpu_pct: number;
  readonly target_rss_kb: number;
}

/** Counters the target reports about itself (agent /metrics), as deltas over one run. */
export interface TargetCounters {
  readonly received: number;
  readonly forwarded: number;
  readonly dropped: number;
}

/** A load generator result plus what the kernel and the target counted during the run. */
export interface RunResult extends LoadgenResult {
  /** System-wide UDP datagrams dropped because a receive buffer was full (/proc/net/snmp RcvbufErrors). */
  readonly kernel_udp_rcvbuf_errors: number;
  /** System-wide UDP datagrams to a port nobody listens on (/proc/net/snmp NoPorts). */
  readonly kernel_udp_no_ports: number;
  readonly target_counters?: TargetCounters;
  /**
   * The target's busiest thread over the run (its packet thread): CPU time and time runnable but
   * waiting for a CPU (/proc/PID/task/TID/schedstat), over `wallMs` (warm-up, measurement, drain), ms.
   */
  readonly target_thread?: { readonly name: string; readonly cpuMs: number; readonly waitMs: number; readonly wallMs: number };
  /** All CPUs of the machine busy over the run, % (100 = every core busy): the contention. */
  readonly machine_busy_pct?: number;
  /** The agent's largest event loop lag (any worker) in the 5 s before the run's end, ms. */
  readonly target_event_loop_lag_ms?: number;
}

/** The agent's largest event loop lag of the last 5 s (gwlb_agent_event_loop_lag_seconds), in ms. */
export function parseEventLoopLagMs(text: string | undefined): number | undefined {
  const m = text ? /^gwlb_agent_event_loop_lag_seconds\s+([0-9.eE+-]+)\s*$/m.exec(text) : null;
  return m ? Number(m[1]) * 1000 : undefined;
}

/** Reads the agent's packet counters from Prometheus text (undefined when absent). */
export function parseTargetCounters(text: string | undefined): TargetCounters | undefined {
  if (!text) return undefined;
  // Customer totals only: not the self-probe's counters nor the per-worker breakdown of the same packets.
  const own = text.split('\n').filter((l) => !/^\w*(self_probe|worker)_/.test(l)).join('\n');
  const sum = (re: RegExp): number | undefined => {
    let total: number | undefined;
    for (const m of own.matchAll(re)) total = (total ?? 0) + Number(m[1]);
    return total;
  };
  const received = sum(/^\w*packets_received_total(?:\{[^}]*\})?\s+([0-9.eE+]+)\s*$/gm);
  if (received === undefined) return undefined;
  return {
    received,
    forwarded: sum(/^\w*packets_forwarded_total(?:\{[^}]*\})?\s+([0-9.eE+]+)\s*$/gm) ?? 0,
    dropped: sum(/^\w*packets_dropped_total(?:\{[^}]*\})?\s+([0-9.eE+]+)\s*$/gm) ?? 0,
  };
}

export interface LoadgenParams {
  readonly target: string;
  readonly port: number;
  readonly src: string;
  readonly pid: number;
  readonly innerSize: number;
  readonly flows: number;
  /** Open-loop rate (packets/s); or give `window`. */
  readonly rate?: number;
  /** Closed loop: packets in flight. */
  readonly window?: number;
  readonly warmupS?: number;
  readonly durationS?: number;
  /** Send exactly this many packets (no warm-up). */
  readonly count?: number;
  /** Also receive on each per-flow source port (for replies that do not keep ports). */
  readonly srcSockets?: boolean;
  /** Send from one bound UDP socket per source port instead of a raw socket (no CAP_NET_RAW). */
  readonly sendSockets?: boolean;
}

const isTty = process.stdout.isTTY === true;

export function fmtPps(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} Mpps`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kpps`;
  return `${n.toFixed(0)} pps`;
}

export async function runLoadgen(bin: string, p: LoadgenParams, label: string): Promise<LoadgenResult> {
  const args = ['--target', p.target, '--port', String(p.port), '--src', p.src, '--pid', String(p.pid),
    '--inner-size', String(p.innerSize), '--flows', String(p.flows)];
  if (p.rate !== undefined) args.push('--rate', String(Math.round(p.rate)));
  if (p.window !== undefined) args.push('--window', String(p.window));
  if (p.warmupS !== undefined) args.push('--warmup', String(p.warmupS));
  if (p.durationS !== undefined) args.push('--duration', String(p.durationS));
  if (p.count !== undefined) args.push('--count', String(p.count));
  if (p.srcSockets) args.push('--src-sockets');
  if (p.sendSockets) args.push('--send', 'sockets');
  const proc = startProcess(bin, args);
  let result: LoadgenResult | undefined;
  proc.onLine((line) => {
    let ev: { event?: string } & Record<string, unknown>;
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      return;
    }
    if (ev.event === 'progress') {
      const msg = `  ${label}: ${ev.phase} ${Number(ev.elapsed_s).toFixed(0)}s  sent ${fmtPps(Number(ev.send_pps))}`
        + `  returned ${fmtPps(Number(ev.recv_pps))}`;
      if (isTty) process.stdout.write(`\r\x1b[K${msg}`);
      else console.log(msg);
    } else if (ev.event === 'result') {
      result = ev as unknown as LoadgenResult;
    }
  });
  const code = await proc.exited;
  if (isTty) process.stdout.write('\r\x1b[K');
  if (code !== 0 || !result) {
    throw new Error(`load generator failed (exit ${code}) in "${label}":\n${proc.stderrTail()}`);
  }
  const r = result;
  console.log(`  ${label}: ${fmtPps(r.pps)} returned of ${fmtPps(r.offered_pps)} sent, loss ${r.loss_pct.toFixed(2)} %,`
    + ` p50 ${r.lat_us.p50.toFixed(0)} us, p99 ${r.lat_us.p99.toFixed(0)} us, target CPU ${r.target_cpu_pct.toFixed(0)} %`);
  if (r.bad || r.cookie_mismatch || r.bad_size) {
    console.log(`  WARNING: ${r.bad} malformed, ${r.bad_size} wrong-size, ${r.cookie_mismatch} cookie-mismatched replies`);
  }
  return r;
}
