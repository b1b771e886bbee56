/**
 * BENCHMARK (not product code): `npm run bench` (ts-node --transpile-only bench/run.ts).
 *
 * Measures, in one run on loopback, the GWLB agent (dist/agent/gwlb-agent.js, policy really
 * evaluated, reply mode bound-port) against a C reference reflector (recvmmsg/sendmmsg, the
 * user-space limit), both driven by a C GWLB load generator (bench/c/loadgen.c):
 *   1. capacity (closed loop) for 200 B and 1400 B inner packets over 4,096 flows;
 *   2. latency p50/p99/p99.9 at 25/50/90 % of the agent's capacity (open loop), the
 *      reference at the same offered loads;
 *   3. the agent's RSS with 1,000,000 tracked flows;
 *   4. CPU per packet (utime+stime of the target over the packets it returned);
 *   5. the agent with --workers N (default: the cores) against --workers 1, capacity.
 * The agent runs under Node 24 from .cache/node24 (scripts/node24.js) when present: several
 * workers need dgram reusePort (node 22.12+).
 *   6. in process: the inspector's cost per packet with a 1,000-name server-name allowlist next
 *      to a policy without name rules (bench/lib/name-rules.ts; --only-name-rules runs just this).
 * Writes bench/out/results.json, bench/out/results.md, bench/out/latency.svg (+ .png when a
 * converter exists) and prints a markdown table. Options: --help.
 */
import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { LoadgenParams, parseEventLoopLagMs, parseTargetCounters, RunResult, runLoadgen, TargetCounters } from './lib/loadgen';
import {
  busiestThread, compileTools, cpuJiffies, freeUdpPort, procRssKb, procStatusKb, sleep, threadSched, udpKernelStats, waitIdle,
} from './lib/proc';
import { benchNotes, BenchResults, latencyPanels, machineInfo, markdownReport, MemoryResult, renderPng } from './lib/report';
import { measureNameRules, nameRulesMarkdown } from './lib/name-rules';
import { latencyChartSvg } from './lib/svg';
import { bundleAgent, startAgent, startNodeReflector, startReflector, Target, writeBenchPolicy } from './lib/targets';

const BENCH_DIR = __dirname;
const ROOT = path.dirname(BENCH_DIR);
const TARGET_IP = '127.0.0.1';
const GWLB_IP = '127.0.0.2';

const HELP = `usage: npm run bench -- [options]
  --target agent|node-reflector  system under test (default agent; node-reflector = trivial Node
                                 reflector in bench/, for developing the bench without the agent)
  --quick                        short run (about 1 minute; smaller flow count for memory)
  --sizes 200,1400               inner IPv4 packet sizes in bytes
  --flows 4096                   flows (distinct 5-tuples + cookies, outer source port per flow)
  --loads 25,50,90               latency loads in % of the agent's measured capacity
  --window 64                    packets in flight for the capacity (closed-loop) runs
  --duration 4                   seconds measured per capacity run (after 1 s warm-up)
  --latency-duration 5           seconds measured per latency run (after 0.5 s warm-up)
  --rss-flows 1000000            flows driven through a fresh agent for the RSS figure
  --skip-rss  --skip-latency  --skip-listen-reference  --skip-node-baseline  --no-build
  --skip-name-rules              no server-name rule figures (5.)
  --only-name-rules              only the server-name rule figures (5.), printed, no files
  --no-raw                       no raw sockets (automatic when not root): the load generator sends
                                 from per-port UDP sockets, the reference replies from its listening socket
  --node-arg ARG                 extra node option for the agent (repeatable), e.g. --max-semi-space-size=64
  --node PATH                    node executable of the agent (default .cache/node24 when installed, else this node)
  --workers N                    workers for the multi-worker phase (default: the cores; 1 skips it)
  --agent-script FILE            another agent bundle (e.g. an older version, run without --workers) instead of dist/agent
  --agent-io both|native|js      the agent's datagram I/O (--io) in phases 1-2: both (default) measures the native batch
                                 I/O agent ("agent") and the JavaScript dgram agent ("agent-js") in the same run
  --out DIR                      output directory (default bench/out)`;

interface Options {
  target: 'agent' | 'node-reflector';
  sizes: number[];
  flows: number;
  loads: number[];
  window: number;
  duration: number;
  latencyDuration: number;
  rssFlows: number;
  skipRss: boolean;
  skipLatency: boolean;
  skipListenRef: boolean;
  skipNodeBaseline: boolean;
  skipNameRules: boolean;
  onlyNameRules: boolean;
  /** Raw sockets (IP_HDRINCL) for the load generator and the reference: needs root/CAP_NET_RAW. */
  raw: boolean;
  build: boolean;
  nodeArgs: string[];
  node: string;
  workers: number;
  agentScript?: string;
  /** --io of the agents measured in phases 1-2, first = the one of phases 3-5; empty: not passed (--agent-script). */
  agentIo: AgentIo[];
  out: string;
}

type AgentIo = 'native' | 'js';

function numList(name: string, v: string): number[] {
  const a = v.split(',').map((s) => Number(s.trim()));
  if (a.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`--${name}: "${v}" is not a list of positive numbers`);
  return a;
}

function num(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: "${v}" is not a positive number`);
  return n;
}

function parseOptions(argv: string[]): Options {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      'target': { type: 'string', default: 'agent' }, 'quick': { type: 'boolean', default: false },
      'sizes': { type: 'string' }, 'flows': { type: 'string' }, 'loads': { type: 'string' },
      'window': { type: 'string' }, 'duration': { type: 'string' }, 'latency-duration': { type: 'string' },
      'rss-flows': { type: 'string' }, 'skip-rss': { type: 'boolean', default: false },
      'skip-latency': { type: 'boolean', default: false }, 'skip-listen-reference': { type: 'boolean', default: false },
      'skip-node-baseline': { type: 'boolean', default: false }, 'no-raw': { type: 'boolean', default: false },
      'skip-name-rules': { type: 'boolean', default: false }, 'only-name-rules': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false }, 'node-arg': { type: 'string', multiple: true },
      'node': { type: 'string' }, 'workers': { type: 'string' }, 'agent-script': { type: 'string' }, 'agent-io': { type: 'string' },
      'out': { type: 'string' }, 'help': { type: 'boolean', default: false },
    },
  });
  if (v.help) {
    console.log(HELP);
    process.exit(0);
  }
  if (v.target !== 'agent' && v.target !== 'node-reflector') throw new Error(`--target: "${v.target}" must be agent or node-reflector`);
  const quick = v.quick === true;
  const agentIo = v['agent-io'] ?? 'both';
  if (!['both', 'native', 'js'].includes(agentIo)) throw new Error(`--agent-io: "${agentIo}" must be both, native or js`);
  const raw = v['no-raw'] !== true && process.getuid?.() === 0;
  return {
    target: v.target,
    sizes: v.sizes ? numList('sizes', v.sizes) : [200, 1400],
    flows: num('flows', v.flows, 4096),
    loads: v.loads ? numList('loads', v.loads) : [25, 50, 90],
    window: num('window', v.window, 64),
    duration: num('duration', v.duration, quick ? 2 : 4),
    latencyDuration: num('latency-duration', v['latency-duration'], quick ? 1.5 : 5),
    rssFlows: num('rss-flows', v['rss-flows'], quick ? 200000 : 1000000),
    skipRss: v['skip-rss'] === true,
    skipLatency: v['skip-latency'] === true,
    skipListenRef: v['skip-listen-reference'] === true || quick || !raw,
    skipNodeBaseline: v['skip-node-baseline'] === true || v.target !== 'agent',
    skipNameRules: v['skip-name-rules'] === true,
    onlyNameRules: v['only-name-rules'] === true,
    raw,
    build: v['no-build'] !== true,
    nodeArgs: v['node-arg'] ?? [],
    node: v.node ?? defaultAgentNode(),
    workers: v['agent-script'] ? 1 : num('workers', v.workers, os.cpus().length),
    agentScript: v['agent-script'] ? path.resolve(v['agent-script']) : undefined,
    agentIo: v['agent-script'] ? [] : agentIo === 'both' ? ['native', 'js'] : [agentIo as AgentIo],
    out: path.resolve(v.out ?? path.join(BENCH_DIR, 'out')),
  };
}

/** Node 24 from .cache/node24 (scripts/node24.js) when installed: several workers need reusePort. */
function defaultAgentNode(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { node24Path } = require(path.join(ROOT, 'scripts', 'node24.js')) as { node24Path(): string | null };
  const bin = node24Path();
  return bin !== null && existsSync(bin) ? bin : process.execPath;
}

class Bench {
  private step = 0;
  private readonly totalSteps: number;
  private loadgen = '';
  private reflector = '';
  private port = 0;
  private policyFile = '';
  private readonly agentScript: string;

  constructor(private readonly o: Options) {
    this.agentScript = o.agentScript ?? path.join(ROOT, 'dist', 'agent', 'gwlb-agent.js');
    const s = o.sizes.length;
    this.totalSteps = (o.skipNameRules ? 0 : 1) + 1 + 2 * s + (o.skipListenRef ? 0 : s) + (o.skipNodeBaseline ? 0 : 1 + s)
      + (o.skipLatency ? 0 : 2 * s * o.loads.length) + (o.skipRss ? 0 : 1) + (o.workers > 1 && o.target === 'agent' ? 1 + s : 0)
      + Math.max(0, o.agentIo.length - 1) * (1 + s + (o.skipLatency ? 0 : 2 * s * o.loads.length));
  }

  private header(msg: string): void {
    this.step++;
    console.log(`[${this.step}/${this.totalSteps}] ${msg}`);
  }

  async prepare(): Promise<void> {
    mkdirSync(this.o.out, { recursive: true });
    console.log('Compiling the C benchmark tools (cc -O2) ...');
    const tools = compileTools(BENCH_DIR, this.o.out);
    this.loadgen = tools.loadgen;
    this.reflector = tools.reflector;
    if (this.o.target === 'agent' && this.o.build && this.o.agentScript === undefined) bundleAgent(ROOT, this.agentScript);
    this.port = await freeUdpPort([TARGET_IP, GWLB_IP]);
    this.policyFile = writeBenchPolicy(this.o.out);
    console.log(`GENEVE port ${this.port}; agent policy ${path.relative(ROOT, this.policyFile)}`);
  }

  /** The system under test; `io` (default: the first of --agent-io) names it agent (native) or agent-js. */
  private startSut(workers = 1, io: AgentIo | undefined = this.o.agentIo[0]): Promise<Target> {
    if (this.o.target === 'node-reflector') return startNodeReflector(BENCH_DIR, TARGET_IP, this.port, this.o.nodeArgs);
    return startAgent({
      script: this.agentScript, listen: TARGET_IP, port: this.port, policyFile: this.policyFile, nodeArgs: this.o.nodeArgs,
      node: this.o.node, workers: this.o.agentScript === undefined ? workers : undefined,
      extraArgs: io === undefined ? [] : ['--io', io], nameSuffix: io === 'js' ? '-js' : '',
    });
  }

  private async lg(t: Target, extra: Partial<LoadgenParams>, label: string): Promise<RunResult> {
    const k0 = udpKernelStats();
    const c0 = parseTargetCounters(await t.metrics());
    const th0 = threadSched(t.pid);
    const j0 = cpuJiffies();
    const w0 = Date.now();
    const res = await runLoadgen(this.loadgen, {
      target: TARGET_IP, port: this.port, src: GWLB_IP, pid: t.pid, innerSize: 200, flows: this.o.flows,
      srcSockets: !t.keepsPorts, sendSockets: !this.o.raw, ...extra,
    }, label);
    const j1 = cpuJiffies();
    const busiest = busiestThread(th0, threadSched(t.pid));
    const thread = busiest && { ...busiest, wallMs: Date.now() - w0 };
    await waitIdle(t.pid);
    const k1 = udpKernelStats();
    const m1 = await t.metrics();
    const c1 = parseTargetCounters(m1);
    let counters: TargetCounters | undefined;
    if (c0 && c1) {
      counters = { received: c1.received - c0.received, forwarded: c1.forwarded - c0.forwarded, dropped: c1.dropped - c0.dropped };
    }
    const out: RunResult = {
      ...res,
      kernel_udp_rcvbuf_errors: k1.rcvbufErrors - k0.rcvbufErrors,
      kernel_udp_no_ports: k1.noPorts - k0.noPorts,
      target_counters: counters,
      target_thread: thread,
      target_event_loop_lag_ms: parseEventLoopLagMs(m1),
      machine_busy_pct: j1.total > j0.total ? (100 * (j1.busy - j0.busy)) / (j1.total - j0.total) : undefined,
    };
    if (out.kernel_udp_rcvbuf_errors > 0 || (counters && counters.dropped > 0)) {
      console.log(`  lost: ${out.kernel_udp_rcvbuf_errors} datagrams on full socket buffers (kernel)`
        + (counters ? `, ${counters.dropped} dropped by the ${t.name}` : ''));
    }
    return out;
  }

  /** JIT warm-up and reply-socket creation, not recorded. */
  private async warmUp(t: Target): Promise<void> {
    this.header(`${t.name}: warm-up (not recorded)`);
    await this.lg(t, { innerSize: this.o.sizes[0], window: this.o.window, warmupS: 0.1, durationS: 2 }, `${t.name} warm-up`);
  }

  private capacity(t: Target, size: number): Promise<RunResult> {
    this.header(`${t.name}: capacity, ${size} B inner, ${this.o.flows} flows, closed loop (${this.o.window} in flight)`);
    return this.lg(t, { innerSize: size, window: this.o.window, warmupS: 1, durationS: this.o.duration }, `${t.name} ${size} B`);
  }

  private latency(t: Target, size: number, pct: number, pps: number): Promise<RunResult> {
    this.header(`${t.name}: latency, ${size} B inner at ${pct} % of agent capacity (${Math.round(pps)} packets/s, open loop)`);
    return this.lg(t, { innerSize: size, rate: pps, warmupS: 0.5, durationS: this.o.latencyDuration }, `${t.name} ${size} B @${pct}%`);
  }

  async run(): Promise<BenchResults> {
    const o = this.o;
    const results: BenchResults = {
      schema: 'cdk-gwlb-inspection-bench/1',
      date: new Date().toISOString(),
      machine: machineInfo(),
      config: {
        target: o.target, flows: o.flows, sizes: o.sizes, loads: o.loads, window: o.window, durationS: o.duration,
        latencyDurationS: o.latencyDuration, rssFlows: o.skipRss ? 0 : o.rssFlows, nodeArgs: o.nodeArgs,
        agentScript: path.relative(ROOT, this.agentScript), agentNode: o.node, agentNodeVersion: execFileSync(o.node, ['-v']).toString().trim(), agentWorkers: 1, scalingWorkers: o.workers,
        agentReplyMode: 'bound-port', agentIo: o.agentIo,
        referenceReplyMode: o.raw ? 'raw (IP_HDRINCL, both ports kept)' : 'listen (from the listening socket, ports swapped)',
        loadgenSend: o.raw ? 'raw socket sendmmsg' : 'one UDP socket per source port, sendto',
        policy: path.relative(ROOT, this.policyFile),
      },
      capacity: [],
      latency: [],
      workers: [],
      notes: [],
    };
    // 1. reference capacity
    const refCap = new Map<number, RunResult>();
    const refListenCap = new Map<number, RunResult>();
    let ref = await startReflector(this.reflector, TARGET_IP, this.port, this.o.raw ? 'raw' : 'listen');
    for (const size of o.sizes) refCap.set(size, await this.capacity(ref, size));
    await ref.stop();
    if (!o.skipListenRef) {
      const refL = await startReflector(this.reflector, TARGET_IP, this.port, 'listen');
      for (const size of o.sizes) refListenCap.set(size, await this.capacity(refL, size));
      await refL.stop();
    }
    const nodeCap = new Map<number, RunResult>();
    if (!o.skipNodeBaseline) {
      const nr = await startNodeReflector(BENCH_DIR, TARGET_IP, this.port);
      await this.warmUp(nr);
      for (const size of o.sizes) nodeCap.set(size, await this.capacity(nr, size));
      await nr.stop();
    }
    // 2. agent capacity and latency (each --agent-io variant), 3. the reference at the same offered loads
    const variants: (AgentIo | undefined)[] = o.agentIo.length ? o.agentIo : [undefined];
    const agentCap = new Map<number, RunResult>();
    let sutName = 'agent';
    for (const [vi, io] of variants.entries()) {
      const sut = await this.startSut(1, io);
      if (vi === 0) sutName = sut.name;
      await this.warmUp(sut);
      const cap = new Map<number, RunResult>();
      for (const size of o.sizes) {
        const a = await this.capacity(sut, size);
        cap.set(size, a);
        const r = refCap.get(size)!;
        if (vi === 0) {
          agentCap.set(size, a);
          results.capacity.push({
            innerSize: size, agent: a, reference: r, referenceListen: refListenCap.get(size), nodeReflector: nodeCap.get(size),
            ratio: r.pps ? a.pps / r.pps : 0, agentIo: io,
          });
        } else {
          const row = results.capacity.find((c) => c.innerSize === size)!;
          row.others = [...(row.others ?? []), { name: sut.name, io, run: a, ratio: r.pps ? a.pps / r.pps : 0 }];
        }
      }
      const agentLat: { size: number; pct: number; pps: number; res: RunResult }[] = [];
      if (!o.skipLatency) {
        for (const size of o.sizes) {
          for (const pct of o.loads) {
            const pps = Math.max(100, (cap.get(size)!.pps * pct) / 100);
            agentLat.push({ size, pct, pps, res: await this.latency(sut, size, pct, pps) });
          }
        }
      }
      const metrics = await sut.metrics();
      if (metrics !== undefined) writeFileSync(path.join(o.out, `${sut.name}-metrics.txt`), metrics);
      await sut.stop();
      if (!o.skipLatency) {
        ref = await startReflector(this.reflector, TARGET_IP, this.port, this.o.raw ? 'raw' : 'listen');
        for (const l of agentLat) {
          const r = await this.latency(ref, l.size, l.pct, l.pps);
          results.latency.push({
            innerSize: l.size, loadPct: l.pct, targetPps: Math.round(l.pps), agent: l.res, reference: r, agentName: sut.name, agentIo: io,
          });
        }
        await ref.stop();
      }
    }
    // 4. memory with many tracked flows, on a fresh process
    if (!o.skipRss) results.memory = await this.memory();
    // 5. N workers against 1 (on a machine with few cores this shows the overhead, not the scaling)
    if (o.workers > 1 && o.target === 'agent') {
      const multi = await this.startSut(o.workers);
      await this.warmUp(multi);
      for (const size of o.sizes) {
        const one = agentCap.get(size)!;
        const n = await this.capacity(multi, size);
        results.workers.push({ innerSize: size, workers: o.workers, one, many: n, speedup: one.pps ? n.pps / one.pps : 0 });
      }
      await multi.stop();
    }
    // 6. server-name rules, in process
    if (!o.skipNameRules) {
      this.header('inspector in process: 1,000-name allowlist vs no name rules');
      results.nameRules = measureNameRules(o.duration >= 4 ? 15 : 7);
    }
    results.notes.push(...benchNotes(results, sutName, o.raw));
    return results;
  }

  private async memory(): Promise<MemoryResult> {
    const sut = await this.startSut();
    this.header(`${sut.name}: RSS with ${this.o.rssFlows.toLocaleString('en-US')} flows (fresh process, each flow sent once, 200 B)`);
    await sleep(1000);
    const rssIdleKb = procRssKb(sut.pid);
    const drive = await this.lg(sut, { innerSize: 200, flows: this.o.rssFlows, window: this.o.window, count: this.o.rssFlows },
      `${sut.name} ${this.o.rssFlows} flows`);
    await sleep(1500);
    const rssAfterKb = procRssKb(sut.pid);
    const rssPeakKb = procStatusKb(sut.pid, 'VmHWM');
    const text = await sut.metrics();
    await sut.stop();
    const m = text ? /^[a-zA-Z_:]*(?:active_flows|flows_active|tracked_flows|flows_tracked|flow_table_size|flows)(?:\{[^}]*\})?\s+([0-9.eE+]+)\s*$/m.exec(text) : null;
    const res: MemoryResult = {
      flows: this.o.rssFlows,
      rssIdleKb,
      rssAfterKb,
      rssPeakKb,
      bytesPerFlow: ((rssAfterKb - rssIdleKb) * 1024) / this.o.rssFlows,
      reportedActiveFlows: m ? Number(m[1]) : undefined,
      drive,
    };
    console.log(`  RSS idle ${(rssIdleKb / 1024).toFixed(0)} MiB, after ${(rssAfterKb / 1024).toFixed(0)} MiB`
      + ` (peak ${(rssPeakKb / 1024).toFixed(0)} MiB)`
      + ` (${res.bytesPerFlow.toFixed(0)} B per flow)${m ? `; agent reports ${m[1]} active flows` : ''}`);
    return res;
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (o.onlyNameRules) {
    console.log(nameRulesMarkdown(measureNameRules(o.duration >= 4 ? 15 : 7)));
    return;
  }
  const started = Date.now();
  const bench = new Bench(o);
  await bench.prepare();
  const results = await bench.run();
  const name = o.target;
  writeFileSync(path.join(o.out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  if (results.latency.length) {
    const m = results.machine;
    const svg = latencyChartSvg(latencyPanels(results, name),
      `${name} vs C reference reflector, loopback; ${m.arch}, ${m.cpuModel}, ${m.cores} cores, Node ${m.node}; ${results.date}`);
    const svgFile = path.join(o.out, 'latency.svg');
    writeFileSync(svgFile, svg);
    const conv = renderPng(svgFile, path.join(o.out, 'latency.png'));
    if (conv) console.log(`Rendered latency.png with ${conv}`);
  }
  const md = markdownReport(results, name) + (results.nameRules ? `\n\n${nameRulesMarkdown(results.nameRules)}` : '');
  writeFileSync(path.join(o.out, 'results.md'), md + '\n');
  console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(0)} s. Results: ${path.relative(process.cwd(), o.out)}/results.json,`
    + ' results.md, latency.svg\n');
  console.log(md);
}

main().catch((e: Error) => {
  console.error(`bench: ${e.message}`);
  process.exit(1);
});
