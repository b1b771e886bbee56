/**
 * Benchmark helper (not product code): top self-time functions of a V8 .cpuprofile
 * (as written by `node --cpu-prof`).
 */
import { readFileSync } from 'fs';
import * as path from 'path';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTimeRow {
  readonly name: string;
  readonly location: string;
  readonly selfMs: number;
  /** Share of the busy (non-idle) time, in %. */
  readonly pct: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idleMs: number;
  readonly gcMs: number;
  readonly rows: SelfTimeRow[];
}

export function summarizeCpuProfile(file: string): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, CpuProfileNode>();
  for (const n of prof.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  const samples = prof.samples ?? [];
  const deltas = prof.timeDeltas ?? [];
  // timeDeltas[i] is the time before sample i; attribute the interval after a sample to it
  for (let i = 0; i < samples.length; i++) {
    const dt = i + 1 < deltas.length ? deltas[i + 1] : 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, dt));
  }
  const agg = new Map<string, { name: string; location: string; us: number }>();
  let totalUs = 0;
  let idleUs = 0;
  let gcUs = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)!.callFrame;
    totalUs += us;
    if (cf.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    if (cf.functionName === '(garbage collector)') gcUs += us;
    const name = cf.functionName || '(anonymous)';
    const location = cf.url ? `${path.basename(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${name}@${location}`;
    const e = agg.get(key) ?? { name, location, us: 0 };
    e.us += us;
    agg.set(key, e);
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const rows = [...agg.values()]
    .sort((a, b) => b.us - a.us)
    .map((e) => ({ name: e.name, location: e.location, selfMs: e.us / 1000, pct: (100 * e.us) / busyUs }));
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, gcMs: gcUs / 1000, rows };
}

export function formatProfile(s: ProfileSummary, top: number): string {
  const lines: string[] = [];
  lines.push(`sampled ${s.totalMs.toFixed(0)} ms: idle ${s.idleMs.toFixed(0)} ms, busy ${(s.totalMs - s.idleMs).toFixed(0)} ms,`
    + ` garbage collector ${s.gcMs.toFixed(0)} ms`);
  lines.push('');
  lines.push('  self ms   % busy  function  (file:line)');
  for (const r of s.rows.slice(0, top)) {
    lines.push(`${r.selfMs.toFixed(1).padStart(8)}  ${r.pct.toFixed(1).padStart(6)}%  ${r.name}${r.location ? `  (${r.location})` : ''}`);
  }
  return lines.join('\n');
}
