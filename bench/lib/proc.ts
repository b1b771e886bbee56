/**
 * Benchmark helpers (not product code): child processes, /proc readings, free ports,
 * compiling the C tools.
 */
import { ChildProcess, execFileSync, spawn, SpawnOptions } from 'child_process';
import * as dgram from 'dgram';
import { readdirSync, readFileSync } from 'fs';
import * as net from 'net';
import * as path from 'path';
import { createInterface } from 'readline';

const CLK_TCK = 100; // USER_HZ is 100 on every Linux architecture node supports

/** Every child started here, killed on exit. */
const children = new Set<ChildProcess>();

export function killAllChildren(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
process.on('exit', killAllChildren);

export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the first stdout line for which `pred` returns true. */
  waitForLine(pred: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** Calls `fn` for every later stdout line. */
  onLine(fn: (line: string) => void): void;
  /** Recent stderr, for error messages. */
  stderrTail(): string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
}

export function startProcess(cmd: string, args: string[], opts: SpawnOptions = {}): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  if (child.pid === undefined) throw new Error(`cannot start ${cmd}`);
  children.add(child);
  const listeners: ((line: string) => void)[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    for (const l of [...listeners]) l(line);
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve(code ?? signal ?? -1);
    });
  });
  const proc: Proc = {
    child,
    pid: child.pid,
    exited,
    stderrTail: () => stderr,
    onLine: (fn) => {
      listeners.push(fn);
    },
    waitForLine: (pred, timeoutMs) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${cmd}: timeout waiting for output\n${stderr}`)), timeoutMs);
        const fn = (line: string): void => {
          if (pred(line)) {
            clearTimeout(timer);
            listeners.splice(listeners.indexOf(fn), 1);
            resolve(line);
          }
        };
        listeners.push(fn);
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${cmd} exited (${code}) before it was ready\n${stderr}`));
        });
      }),
  };
  return proc;
}

/** Sends `signal`, then SIGKILL after `graceMs`. */
export async function stopProcess(p: Proc, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** CPU seconds (utime + stime, all threads) of a process. */
export function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** A kB field of /proc/PID/status (VmRSS, VmHWM, ...), in KiB; 0 when absent. */
export function procStatusKb(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** VmRSS of a process in KiB. */
export function procRssKb(pid: number): number {
  return procStatusKb(pid, 'VmRSS');
}

/** Waits until a process has used (almost) no CPU for 300 ms (it has drained its queue), at most maxMs. */
export async function waitIdle(pid: number, maxMs = 10000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = procCpuSeconds(pid);
  while (Date.now() < deadline) {
    await sleep(300);
    const now = procCpuSeconds(pid);
    if (now - last <= 0.02) return;
    last = now;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tryBindUdp(address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', (e) => {
      s.close();
      reject(e);
    });
    s.bind(port, address, () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** A UDP port free on every address given (the first address picks it). */
export async function freeUdpPort(addresses: string[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tryBindUdp(addresses[0], 0);
    if (port < 30000) continue; // stay clear of the load generator's source ports
    try {
      for (const a of addresses.slice(1)) await tryBindUdp(a, port);
      return port;
    } catch {
      // taken on another address: try again
    }
  }
  throw new Error(`no free UDP port on ${addresses.join(', ')}`);
}

export function freeTcpPort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, address, () => {
      const a = srv.address() as net.AddressInfo;
      srv.close(() => resolve(a.port));
    });
  });
}

/** Compiles the C benchmark tools with the system compiler (CC or cc) into outDir. */
export function compileTools(benchDir: string, outDir: string): { loadgen: string; reflector: string } {
  const cc = process.env.CC ?? 'cc';
  const flags = ['-O2', '-Wall', '-Wextra'];
  const tools = { loadgen: path.join(outDir, 'loadgen'), reflector: path.join(outDir, 'reflector') };
  for (const [name, out] of Object.entries(tools)) {
    try {
      execFileSync(cc, [...flags, '-o', out, path.join(benchDir, 'c', `${name}.c`)], { stdio: 'pipe' });
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      throw new Error(`compiling bench/c/${name}.c with ${cc} failed:\n${err.stderr?.toString() ?? err.message}`);
    }
  }
  return tools;
}

/** GET http://host:port/path; resolves with status and body (rejects on connection error). */
export function httpGet(host: string, port: number, urlPath: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, host);
    let data = '';
    sock.setTimeout(timeoutMs, () => {
      sock.destroy();
      reject(new Error('timeout'));
    });
    sock.on('connect', () => sock.write(`GET ${urlPath} HTTP/1.0\r\nHost: ${host}\r\n\r\n`));
    sock.on('data', (d) => {
      data += d.toString();
    });
    sock.on('error', reject);
    sock.on('end', () => {
      const m = /^HTTP\/1\.\d (\d{3})/.exec(data);
      const i = data.indexOf('\r\n\r\n');
      resolve({ status: m ? Number(m[1]) : 0, body: i >= 0 ? data.slice(i + 4) : '' });
    });
  });
}

export interface UdpKernelStats {
  readonly rcvbufErrors: number;
  readonly noPorts: number;
}

/** System-wide UDP counters from /proc/net/snmp (datagrams dropped on full receive buffers). */
export function udpKernelStats(): UdpKernelStats {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  if (lines.length < 2) return { rcvbufErrors: 0, noPorts: 0 };
  const names = lines[0].split(/\s+/);
  const vals = lines[1].split(/\s+/);
  const get = (n: string): number => Number(vals[names.indexOf(n)] ?? 0);
  return { rcvbufErrors: get('RcvbufErrors'), noPorts: get('NoPorts') };
}

/** Scheduler figures of one thread, from /proc/PID/task/TID/schedstat (cumulative). */
export interface ThreadSched {
  readonly name: string;
  /** Time on a CPU, ms. */
  readonly cpuMs: number;
  /** Time runnable but waiting for a CPU (on a run queue), ms. */
  readonly waitMs: number;
}

/** Every thread of a process by thread id: CPU time and run-queue wait so far ([] when it is gone). */
export function threadSched(pid: number): Map<number, ThreadSched> {
  const out = new Map<number, ThreadSched>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(Number(tid), { name, cpuMs: run / 1e6, waitMs: wait / 1e6 });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** The thread that used the most CPU between two threadSched() readings (the packet thread), as a delta. */
export function busiestThread(before: Map<number, ThreadSched>, after: Map<number, ThreadSched>): ThreadSched | undefined {
  let best: ThreadSched | undefined;
  for (const [tid, a] of after) {
    const b = before.get(tid) ?? { name: a.name, cpuMs: 0, waitMs: 0 };
    const d = { name: a.name, cpuMs: a.cpuMs - b.cpuMs, waitMs: a.waitMs - b.waitMs };
    if (best === undefined || d.cpuMs > best.cpuMs) best = d;
  }
  return best;
}

/** Jiffies of all CPUs: busy (everything but idle and iowait) and total, from /proc/stat. */
export function cpuJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total };
}
