/**
 * End-to-end harness: build the agent bundle, run it as a process, and play the
 * GWLB from 127.0.0.2 with real UDP sockets.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createSocket, RemoteInfo, Socket } from 'node:dgram';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const BUNDLE = path.join(ROOT, 'dist', 'agent', 'gwlb-agent.js');
export const GWLB_ADDRESS = '127.0.0.2';
export const AGENT_ADDRESS = '127.0.0.1';

/** Build dist/agent/gwlb-agent.js unless it is newer than every agent source and the script. */
export function ensureBundle(): string {
  const sources = [
    path.join(ROOT, 'scripts', 'bundle-agent.js'),
    ...fs.readdirSync(path.join(ROOT, 'lib', 'agent')).map((f) => path.join(ROOT, 'lib', 'agent', f)),
  ];
  const newest = Math.max(...sources.map((f) => fs.statSync(f).mtimeMs));
  if (!fs.existsSync(BUNDLE) || fs.statSync(BUNDLE).mtimeMs < newest) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { bundleAgent } = require(path.join(ROOT, 'scripts', 'bundle-agent.js'));
    // Build next to the target and rename: parallel test files never run a half-written file.
    const tmp = `${BUNDLE}.${process.pid}.tmp`;
    bundleAgent(tmp);
    fs.renameSync(tmp, BUNDLE);
  }
  return BUNDLE;
}

/** A UDP port free on both 127.0.0.1 and 127.0.0.2. */
export async function freeUdpPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const a = await bindUdp(AGENT_ADDRESS, 0);
    const port = a.address().port;
    try {
      const b = await bindUdp(GWLB_ADDRESS, port);
      await closeUdp(b);
      await closeUdp(a);
      return port;
    } catch {
      await closeUdp(a);
    }
  }
  throw new Error('no free UDP port');
}

export async function freeTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, AGENT_ADDRESS, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function bindUdp(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, address, () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

export function closeUdp(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

export interface Datagram {
  readonly msg: Buffer;
  readonly rinfo: RemoteInfo;
}

/** Collects datagrams arriving on a socket. */
export class Inbox {
  private readonly queue: Datagram[] = [];
  private waiter: ((d: Datagram) => void) | null = null;

  constructor(readonly socket: Socket) {
    socket.on('message', (msg, rinfo) => {
      const d = { msg, rinfo };
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(d);
      } else {
        this.queue.push(d);
      }
    });
  }

  /** Next datagram, or rejects after timeoutMs. */
  next(timeoutMs = 3000): Promise<Datagram> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no datagram within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (d) => {
        clearTimeout(timer);
        resolve(d);
      };
    });
  }

  /** Resolves true if nothing arrives within ms. */
  async silentFor(ms: number): Promise<boolean> {
    try {
      await this.next(ms);
      return false;
    } catch {
      return true;
    }
  }
}

/**
 * The GWLB stand-in: sends from 127.0.0.2:<source port> and receives replies on
 * 127.0.0.2:<agent port> (GWLB's side of GENEVE port 6081).
 */
export class FakeGwlb {
  private constructor(readonly sender: Socket, readonly replies: Inbox, readonly agentPort: number) {}

  static async create(agentPort: number, sourcePort = 0): Promise<FakeGwlb> {
    const receiver = await bindUdp(GWLB_ADDRESS, agentPort);
    const sender = await bindUdp(GWLB_ADDRESS, sourcePort);
    return new FakeGwlb(sender, new Inbox(receiver), agentPort);
  }

  get sourcePort(): number {
    return this.sender.address().port;
  }

  send(msg: Buffer, from: Socket = this.sender): Promise<void> {
    return new Promise((resolve, reject) => {
      from.send(msg, this.agentPort, AGENT_ADDRESS, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    await closeUdp(this.sender);
    await closeUdp(this.replies.socket);
  }
}

export interface HttpResult {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
}

export function httpGet(port: number, urlPath: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: AGENT_ADDRESS, port, path: urlPath, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, contentType: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.setTimeout(3000, () => req.destroy(new Error(`GET ${urlPath} timed out`)));
  });
}

/** Value of one sample in Prometheus text, e.g. metric(text, 'x_total', {reason: 'policy'}). */
export function metricValue(text: string, name: string, labels?: Record<string, string>): number | undefined {
  const labelText = labels ? `{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}` : '';
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labelText} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** A running agent process with its JSON log lines. */
export class AgentProcess {
  readonly logs: Array<Record<string, unknown>> = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private partial = '';

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static spawn(args: readonly string[], node: string = process.execPath, env?: NodeJS.ProcessEnv): AgentProcess {
    return new AgentProcess(spawn(node, [ensureBundle(), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env }));
  }

  private onStdout(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        this.logs.push(JSON.parse(line));
      } catch {
        this.logs.push({ msg: '<not JSON>', line });
      }
    }
  }

  /** Resolves with the first log record (from now on or earlier) whose msg matches. */
  async waitForLog(msg: string | RegExp, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    const matches = (r: Record<string, unknown>): boolean =>
      typeof r.msg === 'string' && (typeof msg === 'string' ? r.msg === msg : msg.test(r.msg));
    for (;;) {
      const found = this.logs.find(matches);
      if (found) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`log ${String(msg)} not seen; stderr: ${this.stderr}; logs: ${JSON.stringify(this.logs)}`);
      }
      await sleep(20);
    }
  }

  countLogs(msg: string): number {
    return this.logs.filter((r) => r.msg === msg).length;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * Node 24 (dgram reusePort, for several workers), installed from the npm registry into .cache/node24
 * by `npm test`'s pretest (scripts/node24.js).
 */
export function node24(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { node24Path } = require(path.join(ROOT, 'scripts', 'node24.js'));
  const bin = node24Path() as string | null;
  if (bin === null) throw new Error('node 24 is not installed: run `node scripts/node24.js` (npm test does it in pretest)');
  return bin;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll fn until it returns true or the timeout passes. */
export async function eventually(fn: () => Promise<boolean> | boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
}
