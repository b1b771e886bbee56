/**
 * How reply datagrams are handed to the kernel, with every outcome counted.
 *
 * `dgram` path: the public `socket.send(msg, callback)`. To report the outcome node queues the
 * callback with process.nextTick even when the datagram already left (node first tries a
 * non-blocking sendmsg), and each send also allocates a closure, a SendWrap and an args array.
 * Without a callback node drops send errors silently, which would blind the health check, so the
 * callback cannot simply be left out.
 *
 * `native` path: the same non-blocking attempt, made the way node's own lib/dgram.js makes it, on
 * the UDP handle behind the socket: `handle.send(req, [msg], 1, true)` (connected) or
 * `handle.send(req, [msg], 1, port, address, true)`, which returns the outcome at once:
 *   > 0   sent; the value is the byte count + 1        -> outcome.sent(bytes)
 *   < 0   failed with that (negative) errno             -> outcome.failed(error)
 *   0     the socket buffer was full and node queued it: `req.oncomplete(status, bytes)` reports
 *         later, the request object now belongs to that send and a new one is made.
 * No callback, tick, closure or allocation per packet; errors are counted exactly as before.
 *
 * The native path relies on node internals (the state symbol of dgram sockets and
 * process.binding('udp_wrap').SendWrap). {@link selectSendPath} only picks it on the node majors
 * whose lib/dgram.js and src/udp_wrap.cc were checked to use this calling convention
 * (MIN/MAX_NATIVE_NODE_MAJOR; the test suite passes on 20.20, 22.23 and 24.21) and after a
 * self-test over loopback (both call forms, bytes checked on arrival); otherwise, and on any
 * surprise per socket (no handle, not bound/connected), the public API is used, and
 * `--send-path dgram` forces it. What the native path skips: dgram's `sendBlockList` check
 * (node 22+; the agent sets none) and DNS lookups (replies go to IPv4 literals). Under
 * --pending-deprecation node prints a one-time DEP0111 warning for process.binding.
 */
import { createSocket, Socket } from 'node:dgram';
import { getSystemErrorName } from 'node:util';

/** Receives the outcome of one send. */
export interface SendOutcome {
  /** The datagram of `bytes` bytes was handed to the kernel. */
  sent(bytes: number): void;
  failed(err: Error): void;
  /** The same, as a node send callback (for the dgram path). */
  readonly onSent: (err: Error | null, bytes?: number) => void;
}

export type SendPathName = 'native' | 'dgram';

export interface SendPath {
  readonly name: SendPathName;
  /** Send on a connected socket. May throw like socket.send (e.g. socket closed). */
  sendConnected(socket: Socket, msg: Buffer, outcome: SendOutcome): void;
  /** Send on an unconnected, bound socket to an IPv4 literal. May throw like socket.send. */
  sendTo(socket: Socket, msg: Buffer, port: number, address: string, outcome: SendOutcome): void;
}

/** The public API with a completion callback. */
export const DGRAM_SEND_PATH: SendPath = {
  name: 'dgram',
  sendConnected(socket, msg, outcome) {
    socket.send(msg, outcome.onSent);
  },
  sendTo(socket, msg, port, address, outcome) {
    socket.send(msg, port, address, outcome.onSent);
  },
};

/** Node majors whose lib/dgram.js calls handle.send as described in the file comment. */
export const MIN_NATIVE_NODE_MAJOR = 20;
export const MAX_NATIVE_NODE_MAJOR = 24;

/** lib/dgram.js BIND_STATE_BOUND and CONNECT_STATE_CONNECTED (checked by the self-test). */
const BOUND = 2;
const CONNECTED = 2;

interface UdpHandle {
  send(req: SendRequest, list: Buffer[], count: number, hasCallback: boolean): number;
  send(req: SendRequest, list: Buffer[], count: number, port: number, address: string, hasCallback: boolean): number;
}

interface SocketState {
  handle: UdpHandle | null;
  bindState: number;
  connectState: number;
}

/** node's SendWrap object plus what a queued send needs until it completes. */
interface SendRequest {
  oncomplete: (this: SendRequest, status: number, bytes: number) => void;
  /** Keeps the datagram's memory alive while a queued send is pending. */
  msg: Buffer | null;
  outcome: SendOutcome | null;
}

type SendWrapConstructor = new () => SendRequest;

const NO_BUFFER = Buffer.alloc(0);

/** A failed send as an Error shaped like node's (code, errno, syscall). */
export function sendError(errno: number, address?: string, port?: number): Error {
  let code: string;
  try {
    code = getSystemErrorName(errno);
  } catch {
    code = `errno ${errno}`;
  }
  const err = new Error(`send ${code}${address === undefined ? '' : ` ${address}:${port}`}`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = errno;
  err.syscall = 'send';
  return err;
}

function onQueuedSendDone(this: SendRequest, status: number, bytes: number): void {
  const outcome = this.outcome;
  this.msg = null;
  this.outcome = null;
  if (outcome === null) return;
  if (status < 0) outcome.failed(sendError(status));
  else outcome.sent(bytes);
}

export class NativeSendPath implements SendPath {
  readonly name = 'native';
  private req: SendRequest;
  /** One-element list reused for every send (node copies the buffer descriptors). */
  private readonly list: Buffer[] = [NO_BUFFER];

  constructor(private readonly stateSymbol: symbol, private readonly SendWrap: SendWrapConstructor) {
    this.req = this.newRequest();
  }

  sendConnected(socket: Socket, msg: Buffer, outcome: SendOutcome): void {
    const state = (socket as unknown as Record<symbol, SocketState | undefined>)[this.stateSymbol];
    const handle = state === undefined ? null : state.handle;
    if (handle === null || state!.connectState !== CONNECTED) {
      DGRAM_SEND_PATH.sendConnected(socket, msg, outcome); // closed or not connected: node decides
      return;
    }
    const list = this.list;
    list[0] = msg;
    const rc = handle.send(this.req, list, 1, true);
    list[0] = NO_BUFFER;
    this.settle(rc, msg, outcome, undefined, 0);
  }

  sendTo(socket: Socket, msg: Buffer, port: number, address: string, outcome: SendOutcome): void {
    const state = (socket as unknown as Record<symbol, SocketState | undefined>)[this.stateSymbol];
    const handle = state === undefined ? null : state.handle;
    if (handle === null || state!.bindState !== BOUND || state!.connectState === CONNECTED) {
      DGRAM_SEND_PATH.sendTo(socket, msg, port, address, outcome);
      return;
    }
    const list = this.list;
    list[0] = msg;
    const rc = handle.send(this.req, list, 1, port, address, true);
    list[0] = NO_BUFFER;
    this.settle(rc, msg, outcome, address, port);
  }

  private settle(rc: number, msg: Buffer, outcome: SendOutcome, address: string | undefined, port: number): void {
    if (rc > 0) {
      outcome.sent(rc - 1);
    } else if (rc === 0) {
      const req = this.req;
      req.msg = msg;
      req.outcome = outcome;
      this.req = this.newRequest();
    } else {
      outcome.failed(sendError(rc, address, port));
    }
  }

  private newRequest(): SendRequest {
    const req = new this.SendWrap();
    req.oncomplete = onQueuedSendDone;
    req.msg = null;
    req.outcome = null;
    return req;
  }
}

/** The node internals the native path needs, or null (with the reason) when absent. */
export function findNativeInternals(socket: Socket): { stateSymbol: symbol; SendWrap: SendWrapConstructor } | string {
  const major = Number(process.versions.node.split('.')[0]);
  if (!(major >= MIN_NATIVE_NODE_MAJOR && major <= MAX_NATIVE_NODE_MAJOR)) {
    return `node ${process.versions.node} is outside the verified majors ${MIN_NATIVE_NODE_MAJOR}-${MAX_NATIVE_NODE_MAJOR}`;
  }
  const stateSymbol = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  if (stateSymbol === undefined) return 'dgram sockets have no state symbol';
  const state = (socket as unknown as Record<symbol, Partial<SocketState> | undefined>)[stateSymbol];
  if (!state || !state.handle || typeof state.handle.send !== 'function' || state.bindState !== BOUND) {
    return 'a bound dgram socket has no usable handle';
  }
  let SendWrap: unknown;
  try {
    SendWrap = (process as unknown as { binding(name: string): Record<string, unknown> }).binding('udp_wrap').SendWrap;
  } catch (err) {
    return `process.binding('udp_wrap') failed: ${(err as Error).message}`;
  }
  if (typeof SendWrap !== 'function') return "process.binding('udp_wrap') has no SendWrap";
  return { stateSymbol, SendWrap: SendWrap as SendWrapConstructor };
}

/** Result of {@link selectSendPath}. */
export interface SendPathChoice {
  readonly path: SendPath;
  /** Why the dgram path was chosen; empty for native. */
  readonly reason: string;
}

const SELF_TEST_TIMEOUT_MS = 1000;

/**
 * Pick the send path: native when node's internals are there and a loopback self-test passes
 * (an unconnected send and a connected send report their byte counts and arrive intact),
 * otherwise dgram. `prefer: 'dgram'` skips the test. Never rejects.
 */
export async function selectSendPath(prefer: SendPathName = 'native'): Promise<SendPathChoice> {
  if (prefer === 'dgram') return { path: DGRAM_SEND_PATH, reason: 'dgram requested' };
  const sockets: Socket[] = [];
  try {
    const receiver = await bindLoopback(sockets);
    const sender = await bindLoopback(sockets);
    const internals = findNativeInternals(sender);
    if (typeof internals === 'string') return { path: DGRAM_SEND_PATH, reason: internals };
    const native = new NativeSendPath(internals.stateSymbol, internals.SendWrap);
    const problem = await selfTest(native, sender, receiver);
    return problem === '' ? { path: native, reason: '' } : { path: DGRAM_SEND_PATH, reason: `self-test: ${problem}` };
  } catch (err) {
    return { path: DGRAM_SEND_PATH, reason: `self-test: ${(err as Error).message}` };
  } finally {
    for (const s of sockets) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
  }
}

async function selfTest(native: NativeSendPath, sender: Socket, receiver: Socket): Promise<string> {
  const got: Buffer[] = [];
  receiver.on('message', (m: Buffer) => got.push(m));
  const results: string[] = [];
  const outcome: SendOutcome = {
    sent: (bytes) => results.push(`sent ${bytes}`),
    failed: (err) => results.push(`failed ${err.message}`),
    onSent: (err, bytes) => results.push(err ? `failed ${err.message}` : `sent ${bytes}`),
  };
  const first = Buffer.from('gwlb-agent send self-test 1');
  const second = Buffer.from('gwlb-agent send self-test 2!');
  const target = receiver.address();
  native.sendTo(sender, first, target.port, target.address, outcome);
  await new Promise<void>((resolve, reject) => {
    sender.once('error', reject);
    sender.connect(target.port, target.address, () => {
      sender.off('error', reject);
      resolve();
    });
  });
  native.sendConnected(sender, second, outcome);
  const deadline = Date.now() + SELF_TEST_TIMEOUT_MS;
  while ((got.length < 2 || results.length < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const expected = [`sent ${first.length}`, `sent ${second.length}`];
  if (results.join() !== expected.join()) return `outcomes ${JSON.stringify(results)} instead of ${JSON.stringify(expected)}`;
  if (got.length !== 2 || !got[0].equals(first) || !got[1].equals(second)) return 'the datagrams did not arrive intact';
  return '';
}

function bindLoopback(sockets: Socket[]): Promise<Socket> {
  const s = createSocket('udp4');
  sockets.push(s);
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      s.off('error', reject);
      s.unref();
      resolve(s);
    });
  });
}
