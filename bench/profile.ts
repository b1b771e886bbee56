/**
 * BENCHMARK TOOL (not product code): profiles the agent under load.
 * Runs dist/agent/gwlb-agent.js under `node --cpu-prof` with the bench policy, drives it with the
 * C load generator for a load phase, stops it with SIGTERM (the profile is written on exit) and
 * prints the top self-time functions. Usually started through bench/profile.sh.
 *
 *   bench/profile.sh [--size 200] [--seconds 10] [--rate PPS | --window 64] [--top 30]
 *                    [--target agent|node-reflector] [--no-build] [--node-arg ARG]...
 *   bench/profile.sh --summarize FILE.cpuprofile [--top 30]   (only print a profile's summary)
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { formatProfile, summarizeCpuProfile } from './lib/cpuprofile';
import { runLoadgen } from './lib/loadgen';
import { compileTools, freeUdpPort } from './lib/proc';
import { bundleAgent, startAgent, startNodeReflector, Target, writeBenchPolicy } from './lib/targets';

const BENCH_DIR = __dirname;
const ROOT = path.dirname(BENCH_DIR);

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      'size': { type: 'string', default: '200' }, 'seconds': { type: 'string', default: '10' },
      'rate': { type: 'string' }, 'window': { type: 'string', default: '64' }, 'top': { type: 'string', default: '30' },
      'flows': { type: 'string', default: '4096' }, 'target': { type: 'string', default: 'agent' },
      'no-build': { type: 'boolean', default: false }, 'node-arg': { type: 'string', multiple: true },
      'summarize': { type: 'string' }, 'interval-us': { type: 'string', default: '250' },
    },
  });
  const top = Number(v.top);
  if (v.summarize) {
    console.log(formatProfile(summarizeCpuProfile(v.summarize), top));
    return;
  }
  const outDir = path.join(BENCH_DIR, 'out');
  const profDir = path.join(outDir, 'prof');
  rmSync(profDir, { recursive: true, force: true });
  mkdirSync(profDir, { recursive: true });
  const { loadgen } = compileTools(BENCH_DIR, outDir);
  const agentScript = path.join(ROOT, 'dist', 'agent', 'gwlb-agent.js');
  if (v.target === 'agent' && !v['no-build']) bundleAgent(ROOT, agentScript);
  const port = await freeUdpPort(['127.0.0.1', '127.0.0.2']);
  const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', String(v['interval-us']), ...(v['node-arg'] ?? [])];
  const sut: Target = v.target === 'node-reflector'
    ? await startNodeReflector(BENCH_DIR, '127.0.0.1', port, nodeArgs)
    : await startAgent({ script: agentScript, listen: '127.0.0.1', port, policyFile: writeBenchPolicy(outDir), nodeArgs });
  const size = Number(v.size);
  const seconds = Number(v.seconds);
  console.log(`Profiling ${sut.name} (pid ${sut.pid}) for ${seconds} s of ${size} B packets, `
    + (v.rate ? `${v.rate} packets/s` : `closed loop, ${v.window} in flight`));
  await runLoadgen(loadgen, {
    target: '127.0.0.1', port, src: '127.0.0.2', pid: sut.pid, innerSize: size, flows: Number(v.flows),
    srcSockets: !sut.keepsPorts, warmupS: 0.5, durationS: seconds,
    ...(v.rate ? { rate: Number(v.rate) } : { window: Number(v.window) }),
  }, `${sut.name} ${size} B`);
  await sut.stop();
  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(profDir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!files.length) {
    throw new Error(`no .cpuprofile in ${profDir}: the ${sut.name} must exit normally on SIGTERM (process.exit) for --cpu-prof to write it`);
  }
  console.log(`\nProfile: ${path.relative(process.cwd(), files[0])} (open in Chrome DevTools > Performance, or speedscope)\n`);
  console.log(formatProfile(summarizeCpuProfile(files[0]), top));
}

main().catch((e: Error) => {
  console.error(`profile: ${e.message}`);
  process.exit(1);
});
