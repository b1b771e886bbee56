/**
 * BENCHMARK TOOL - NOT PRODUCT CODE.
 *
 * A trivial Node reflector with the agent's CLI and `bound-port` reply semantics but no
 * inspection: every datagram goes back unchanged from a dgram socket bound to
 * <listen address>:<GWLB source port> and connected to <GWLB address>:<listen port>.
 * It is the Node baseline (what dgram alone costs) and a stand-in target while the agent is
 * being written. Serves GET /healthz and GET /metrics (packet counter) on --health-port.
 *
 * Usage: ts-node bench/node-reflector.ts --listen 127.0.0.1 --port P --health-port H
 *        [--reply-mode bound-port|dgram]   (--policy and other agent flags are accepted and unused)
 */
import * as dgram from 'dgram';
import * as http from 'http';
import { parseArgs } from 'util';

const { values } = parseArgs({
  strict: false,
  options: {
    'listen': { type: 'string', default: '127.0.0.1' },
    'port': { type: 'string', default: '6081' },
    'health-port': { type: 'string', default: '8080' },
    'reply-mode': { type: 'string', default: 'bound-port' },
  },
});
const listen = String(values.listen);
const port = Number(values.port);
const healthPort = Number(values['health-port']);
const boundPort = values['reply-mode'] !== 'dgram';

let packets = 0;
interface ReplySocket { readonly sock: dgram.Socket; pending: Buffer[] | undefined }
const replySockets = new Map<number, ReplySocket>();

function replySocket(address: string, srcPort: number): ReplySocket {
  const key = srcPort * 4294967296 + ipv4ToInt(address);
  let r = replySockets.get(key);
  if (!r) {
    const sock = dgram.createSocket('udp4');
    const rs: ReplySocket = { sock, pending: [] };
    sock.on('error', (e) => console.error(`reply socket ${address}:${srcPort}: ${e.message}`));
    sock.bind(srcPort, listen, () => sock.connect(port, address, () => {
      for (const b of rs.pending ?? []) sock.send(b);
      rs.pending = undefined;
    }));
    replySockets.set(key, rs);
    r = rs;
  }
  return r;
}

function ipv4ToInt(a: string): number {
  const p = a.split('.');
  return ((+p[0] << 24) | (+p[1] << 16) | (+p[2] << 8) | +p[3]) >>> 0;
}

// same receive/send buffer requests as the agent (capped by the kernel at rmem_max/wmem_max)
const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 4 << 20 });
sock.on('message', (msg, rinfo) => {
  packets++;
  if (!boundPort) {
    sock.send(msg, rinfo.port, rinfo.address);
    return;
  }
  const r = replySocket(rinfo.address, rinfo.port);
  if (r.pending) r.pending.push(msg); // until connected
  else r.sock.send(msg);
});
sock.bind(port, listen);

http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.end('ok');
  } else if (req.url === '/metrics') {
    res.end(`bench_reflector_packets_total ${packets}\nbench_reflector_reply_sockets ${replySockets.size}\n`);
  } else {
    res.statusCode = 404;
    res.end();
  }
}).listen(healthPort, '127.0.0.1');

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
