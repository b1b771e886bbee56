/**
 * gwlb-sim: a local stand-in for an AWS Gateway Load Balancer (see cli.ts for the usage).
 * Not part of the library's API; bundled to dist/sim/gwlb-sim.js by scripts/bundle-sim.js.
 */
import type { Server } from 'node:http';
import { SIM_HELP, SimCliError, parseSimCli } from './cli';
import { SimConfig } from './config';
import { Dataplane } from './dataplane';
import { SimLog } from './log';
import { startStatusServer } from './status';
import { TargetGroup } from './targets';
import { TunDevice } from './tun';

/** A running sim; stop() releases every socket, timer and the tun device. */
export interface RunningSim {
  readonly dataplane: Dataplane;
  readonly targets: TargetGroup;
  stop(): void;
}

export async function startSim(config: SimConfig, log: SimLog): Promise<RunningSim> {
  const tun = new TunDevice(config.tunName, config.tunMtu);
  const group = new TargetGroup(config, log);
  const dp = new Dataplane(config, group, tun, log);
  let status: Server | undefined;
  try {
    await dp.start();
    if (config.statusPort > 0) status = await startStatusServer(config, dp, group);
  } catch (err) {
    dp.stop();
    tun.close();
    throw err;
  }
  group.start();
  tun.startReading((buf, n) => dp.fromTun(buf, n), (err) => log.warn('tun read failed', { error: err.message }));
  log.info('ready', {
    tun: tun.name,
    local: config.localAddress,
    targets: config.targets.map((t) => `${t.address}:${t.port}`),
    stickiness: config.stickiness,
    rebalance: config.rebalance,
    status: status ? `http://${config.statusListen}:${config.statusPort}/status` : 'disabled',
  });
  return {
    dataplane: dp,
    targets: group,
    stop: () => {
      group.stop();
      dp.stop();
      status?.close();
      tun.close();
    },
  };
}

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseSimCli(argv);
  } catch (err) {
    if (err instanceof SimCliError) {
      process.stderr.write(`gwlb-sim: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(SIM_HELP);
    return 0;
  }
  const log = new SimLog(parsed.config.logLevel);
  let sim: RunningSim;
  try {
    sim = await startSim(parsed.config, log);
  } catch (err) {
    log.error('start failed', { error: (err as Error).message });
    process.stderr.write(`gwlb-sim: ${(err as Error).message}\n`);
    return 1;
  }
  const shutdown = (signal: string): void => {
    const c = sim.dataplane.counters;
    log.info('stopping', { signal, encapSent: c.encapSent, delivered: c.delivered, violations: c.violationTotal() });
    sim.stop();
    // A tun read may still be parked on a threadpool thread: exit instead of waiting for it.
    process.exit(0);
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  return -1; // keep running
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (err) => {
      process.stderr.write(`gwlb-sim: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
