/**
 * BENCHMARK (not product code): the inspector's cost per packet with a 1,000-name server-name
 * allowlist next to a policy without name rules, in process (no sockets), so that only the
 * inspection differs. Two traffic shapes, each over 4,096 TCP flows to port 443:
 *   - established: data packets of flows whose verdict is made (what most packets are);
 *   - new flows:   SYN, SYN-ACK, ACK, a 517-byte ClientHello (allowed name), 6 data packets, i.e.
 *                  the packets that pay for reading the name, 10 per flow.
 * The two policies alternate round by round and the median round is reported, so both see the
 * same machine load.
 */
import { Inspector } from '../../lib/agent/inspector';
import { CompiledPolicy, parsePolicy } from '../../lib/agent/policy';
import { geneve, ipv4 } from '../../test/agent/core/builders';
import { clientHello, padding, records } from '../../test/agent/core/tls-builders';

const FLOWS = 4096;
const PACKETS_PER_NEW_FLOW = 10;

export interface NameRuleFigure {
  readonly scenario: string;
  readonly packetsPerRound: number;
  readonly rounds: number;
  readonly nsPerPacketNoNames: number;
  readonly nsPerPacketAllowlist: number;
}

function tcp(sport: number, src: string, dst: string, seq: number, ack: number, flags: number, payload: Buffer, reply = false): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(reply ? 443 : sport, 0);
  h.writeUInt16BE(reply ? sport : 443, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(ack >>> 0, 8);
  h[12] = 0x50;
  h[13] = flags;
  h.writeUInt16BE(65535, 14);
  return geneve(ipv4(Buffer.concat([h, payload]), reply ? { src: dst, dst: src } : { src, dst }), { cookie: sport });
}

function flowPackets(i: number, name: string): { opening: Buffer[]; data: Buffer[] } {
  const sport = 10000 + i;
  const client = `10.1.${i >> 8}.${i & 255}`;
  const server = '203.0.113.10';
  const hello = records(clientHello({ sni: [name], extensions: [padding(300)] }));
  const data = Buffer.alloc(200, 0x17);
  const opening = [
    tcp(sport, client, server, 1000, 0, 0x02, Buffer.alloc(0)),
    tcp(sport, client, server, 5000, 1001, 0x12, Buffer.alloc(0), true),
    tcp(sport, client, server, 1001, 5001, 0x10, Buffer.alloc(0)),
    tcp(sport, client, server, 1001, 5001, 0x18, hello),
  ];
  const later = [0, 1, 2].flatMap((k) => [
    tcp(sport, client, server, 1001 + hello.length + k * 200, 5001, 0x18, data),
    tcp(sport, client, server, 5001 + k * 200, 1001 + hello.length, 0x18, data, true),
  ]);
  return { opening, data: later };
}

export function allowlistPolicy(names: number): CompiledPolicy {
  const list = Array.from({ length: names }, (_, i) => (i % 4 === 0 ? `*.zone${i}.example.com` : `host${i}.example.net`));
  list.push('github.com');
  return parsePolicy({ defaultAction: 'drop', rules: [
    { name: 'dns', action: 'allow', protocol: 'udp', destinationPorts: [53] },
    { name: 'allowlist', action: 'allow', serverNames: list },
  ] });
}

const NO_NAMES = (): CompiledPolicy => parsePolicy({ defaultAction: 'drop', rules: [
  { name: 'dns', action: 'allow', protocol: 'udp', destinationPorts: [53] },
  { name: 'web', action: 'allow', protocol: 'tcp', destinationPorts: [443] },
  { name: 'web-replies', action: 'allow', protocol: 'tcp', sourcePorts: [443] },
] });

function timeRound(inspector: Inspector, packets: Buffer[]): number {
  const t0 = process.hrtime.bigint();
  for (const p of packets) inspector.inspect(p, 0, p.length);
  return Number(process.hrtime.bigint() - t0) / packets.length;
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/** Runs both scenarios; `rounds` alternating rounds per policy. */
export function measureNameRules(rounds = 15): NameRuleFigure[] {
  const flows = Array.from({ length: FLOWS }, (_, i) => flowPackets(i, i % 2 === 0 ? 'github.com' : `www.zone${(i % 250) * 4}.example.com`));
  const newFlowPackets = flows.flatMap((f) => [...f.opening, ...f.data]);
  const established = flows.flatMap((f) => f.data);
  const policies: [string, () => CompiledPolicy][] = [['none', NO_NAMES], ['allowlist', () => allowlistPolicy(1000)]];
  const figures: NameRuleFigure[] = [];

  // New flows: a fresh inspector per round, so every round creates and decides 4,096 flows.
  const fresh = { none: [] as number[], allowlist: [] as number[] };
  for (let r = 0; r < rounds + 2; r++) {
    for (const [label, make] of policies) {
      const inspector = new Inspector(make(), { maxFlows: 2 * FLOWS });
      const ns = timeRound(inspector, newFlowPackets);
      const forwarded = inspector.dropCounts[0];
      if (forwarded !== newFlowPackets.length) throw new Error(`bench: ${label} forwarded ${forwarded} of ${newFlowPackets.length} packets`);
      if (r >= 2) fresh[label as 'none' | 'allowlist'].push(ns); // 2 warm-up rounds
    }
  }
  figures.push({ scenario: 'new flows (SYN, SYN-ACK, ACK, ClientHello, 6 data)', packetsPerRound: newFlowPackets.length, rounds,
    nsPerPacketNoNames: median(fresh.none), nsPerPacketAllowlist: median(fresh.allowlist) });

  // Established flows: verdicts made once, then data packets only.
  const inspectors = policies.map(([, make]) => new Inspector(make(), { maxFlows: 2 * FLOWS }));
  for (const ins of inspectors) for (const p of newFlowPackets) ins.inspect(p, 0, p.length);
  const steady = { none: [] as number[], allowlist: [] as number[] };
  for (let r = 0; r < rounds + 2; r++) {
    inspectors.forEach((ins, k) => {
      const ns = timeRound(ins, established);
      if (r >= 2) steady[policies[k][0] as 'none' | 'allowlist'].push(ns);
    });
  }
  for (const ins of inspectors) {
    if (ins.dropCounts[0] !== newFlowPackets.length + (rounds + 2) * established.length) throw new Error('bench: an established packet was dropped');
  }
  figures.push({ scenario: 'established flows (data, both directions)', packetsPerRound: established.length, rounds,
    nsPerPacketNoNames: median(steady.none), nsPerPacketAllowlist: median(steady.allowlist) });
  return figures;
}

export function nameRulesMarkdown(figures: readonly NameRuleFigure[]): string {
  const rows = figures.map((f) => {
    const diff = f.nsPerPacketAllowlist - f.nsPerPacketNoNames;
    const perFlow = f.packetsPerRound === FLOWS * PACKETS_PER_NEW_FLOW ? `${((diff * PACKETS_PER_NEW_FLOW) / 1000).toFixed(1)} µs` : '-';
    return `| ${f.scenario} | ${f.nsPerPacketNoNames.toFixed(0)} | ${f.nsPerPacketAllowlist.toFixed(0)} | ${diff.toFixed(0)} | ${perFlow} | `
      + `${f.packetsPerRound} x ${f.rounds} |`;
  });
  return ['### Server-name rules: inspector cost per packet (in process, median of alternating rounds)', '',
    '| traffic (4,096 TCP flows to 443) | no name rules, ns/packet | 1,000-name allowlist, ns/packet | difference, ns/packet | difference per flow | packets x rounds |',
    '|---|---:|---:|---:|---:|---:|', ...rows].join('\n');
}
