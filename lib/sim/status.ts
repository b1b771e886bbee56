/**
 * HTTP status server of gwlb-sim: GET /status (JSON), GET /metrics (Prometheus text), GET /healthz.
 */
import * as http from 'node:http';
import { SimConfig } from './config';
import { ALL_VIOLATIONS } from './counters';
import { Dataplane, hex32 } from './dataplane';
import { TargetGroup, TargetHealth } from './targets';

/** At most this many flows are listed in /status (most recently active first). */
const MAX_LISTED_FLOWS = 1000;

export function statusSnapshot(config: SimConfig, dp: Dataplane, group: TargetGroup, now = Date.now()): object {
  const c = dp.counters;
  const flows = [...dp.flows.byKey.values()].sort((a, b) => b.lastSeen - a.lastSeen).slice(0, MAX_LISTED_FLOWS);
  return {
    local: config.localAddress,
    tun: config.tunName,
    stickiness: config.stickiness,
    rebalance: config.rebalance,
    strict: config.strict,
    eniId: '0x' + config.eniId.toString(16).padStart(16, '0'),
    attachmentId: '0x' + config.attachmentId.toString(16).padStart(16, '0'),
    counters: {
      tunPackets: c.tunPackets,
      tunBytes: c.tunBytes,
      innerUnparsed: c.innerUnparsed,
      linkScoped: c.linkScoped,
      encapSent: c.encapSent,
      sendErrors: c.sendErrors,
      returned: c.returned,
      delivered: c.delivered,
      deliveredBytes: c.deliveredBytes,
      tunWriteErrors: c.tunWriteErrors,
      returnDropped: c.returnDropped,
      flowsActive: dp.flows.size,
      flowsCreated: dp.flows.created,
      flowsExpired: dp.flows.expired,
      flowsRebalanced: c.flowsRebalanced,
      failOpenChoices: group.failOpenChoices,
    },
    violations: Object.fromEntries(c.violations),
    targets: group.targets.map((t) => ({
      name: t.name,
      address: t.address,
      port: t.port,
      health: t.health,
      consecutiveOk: t.consecutiveOk,
      consecutiveFail: t.consecutiveFail,
      lastCheck: t.lastCheck,
      flows: t.flows,
      flowsAssigned: t.flowsAssigned,
      packetsSent: t.packetsSent,
      packetsReturned: t.packetsReturned,
    })),
    flows: flows.map((f) => ({
      flow: f.describe(),
      protocol: f.first.protocol,
      clientPort: f.first.srcPort,
      serverPort: f.first.dstPort,
      cookie: hex32(f.cookie),
      sourcePort: f.sourcePort,
      target: f.target.name,
      packetsSent: f.packetsSent,
      packetsReturned: f.packetsReturned,
      returnedFrom: Object.fromEntries(f.returnedFrom),
      idleMs: now - f.lastSeen,
    })),
  };
}

export function metricsText(dp: Dataplane, group: TargetGroup): string {
  const c = dp.counters;
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: Array<[string, number]>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  metric('gwlb_sim_packets_total', 'counter', 'Packets by stage of the sim data path.', [
    ['{stage="tun_read"}', c.tunPackets],
    ['{stage="inner_unparsed"}', c.innerUnparsed],
    ['{stage="link_scoped"}', c.linkScoped],
    ['{stage="encap_sent"}', c.encapSent],
    ['{stage="send_error"}', c.sendErrors],
    ['{stage="returned"}', c.returned],
    ['{stage="return_dropped"}', c.returnDropped],
    ['{stage="delivered"}', c.delivered],
    ['{stage="tun_write_error"}', c.tunWriteErrors],
  ]);
  metric('gwlb_sim_violations_total', 'counter', 'Returned packets breaking a GWLB rule, by kind.',
    ALL_VIOLATIONS.map((v) => [`{kind="${v}"}`, c.violations.get(v) ?? 0]));
  metric('gwlb_sim_flows_active', 'gauge', 'Flows in the flow table.', [['', dp.flows.size]]);
  metric('gwlb_sim_flows_created_total', 'counter', 'Flows created.', [['', dp.flows.created]]);
  metric('gwlb_sim_target_healthy', 'gauge', '1 when the target is healthy.',
    group.targets.map((t) => [`{target="${t.name}"}`, t.health === TargetHealth.HEALTHY ? 1 : 0]));
  metric('gwlb_sim_target_packets_sent_total', 'counter', 'GENEVE packets sent per target.',
    group.targets.map((t) => [`{target="${t.name}"}`, t.packetsSent]));
  metric('gwlb_sim_target_packets_returned_total', 'counter', 'Packets returned per target.',
    group.targets.map((t) => [`{target="${t.name}"}`, t.packetsReturned]));
  metric('gwlb_sim_target_flows', 'gauge', 'Flows assigned per target.',
    group.targets.map((t) => [`{target="${t.name}"}`, t.flows]));
  return lines.join('\n') + '\n';
}

/** Starts the status server; resolves with it once listening. */
export function startStatusServer(config: SimConfig, dp: Dataplane, group: TargetGroup): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const send = (code: number, type: string, body: string): void => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'method not allowed\n');
    switch (req.url) {
      case '/status':
        return send(200, 'application/json', JSON.stringify(statusSnapshot(config, dp, group), null, 1) + '\n');
      case '/metrics':
        return send(200, 'text/plain; version=0.0.4', metricsText(dp, group));
      case '/healthz':
        return send(200, 'text/plain', 'ok\n');
      default:
        return send(404, 'text/plain', 'not found: try /status, /metrics, /healthz\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`--status-port: cannot listen on ${config.statusListen}:${config.statusPort}: ${err.message}`)));
    server.listen(config.statusPort, config.statusListen, () => resolve(server));
  });
}
