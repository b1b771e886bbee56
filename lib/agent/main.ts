/**
 * gwlb-agent entry point: parse flags, load the policy, start the data plane
 * and the health server, and handle signals.
 *
 *   SIGHUP          reload --policy; an invalid file keeps the running policy.
 *   SIGTERM/SIGINT  /healthz turns 503 ("draining") at once, forwarding goes on
 *                   for --drain-seconds, then exit 0. A second signal exits now.
 *
 * /healthz also reflects the data path: a self-probe (self-probe.ts) sends a GENEVE
 * packet through the agent every 2 s (--self-probe-interval-ms; 0 turns it off, with a
 * warning) and expects it back unchanged.
 *
 * Exit codes: 0 normal, 1 runtime failure (e.g. port in use), 2 bad flags or policy.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, workerData } from 'node:worker_threads';
import { Agent, AgentRuntime } from './agent';
import { AgentConfig, CliError, HELP, parseCli } from './cli';
import type { AwsIntegration } from './cloudwatch/integration';
import type { FetchedPolicy } from './policy-source';
import { Logger, LogSink } from './log';
import { allowAllPolicy, CompiledPolicy, loadPolicyFile, loadPolicyText, PolicyError } from './policy';
import { reusePortSupported } from './reuse-port';
import { isWorkerInit, runWorkerThread } from './worker-thread';
import { WorkerSupervisor } from './workers';

export { Agent } from './agent';
export type { AgentOptions, AgentRuntime, WorkerRole } from './agent';

export interface AgentIo {
  readonly stdout: LogSink;
  readonly stderr: (text: string) => void;
  readonly exit: (code: number) => void;
}

const processIo: AgentIo = {
  stdout: (line) => process.stdout.write(line),
  stderr: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
};

/** Load --policy, or allow everything without one. Throws PolicyError naming the flag and file. */
export function loadInitialPolicy(config: AgentConfig): CompiledPolicy {
  if (config.policyFile === undefined) return allowAllPolicy();
  try {
    return loadPolicyFile(config.policyFile);
  } catch (err) {
    if (err instanceof PolicyError) throw new PolicyError(`--policy: ${err.message}`);
    throw err;
  }
}

/**
 * A WorkerSupervisor when worker threads with their own sockets are possible: dgram reusePort
 * works (node 22.12+) and this is a JavaScript file a worker thread can run (the bundle); else one
 * Agent in this thread (and a warning when more workers were wanted).
 */
async function createRuntime(
  config: AgentConfig, policy: CompiledPolicy, log: Logger, fromSsm?: FetchedPolicy,
): Promise<AgentRuntime> {
  const wanted = config.workers === 0 ? availableParallelism() : config.workers;
  let why = '';
  if (!(await reusePortSupported())) why = `node ${process.versions.node} has no dgram reusePort (SO_REUSEPORT; node 22.12+)`;
  else if (!__filename.endsWith('.js')) why = 'not running from JavaScript (worker threads run the bundled agent)';
  if (why === '') {
    // Even one worker runs in a worker thread: HTTP, metrics and signals stay off the packet thread.
    const text = fromSsm?.text ?? (config.policyFile === undefined ? null : loadPolicyText(config.policyFile).text);
    return new WorkerSupervisor(config, log, { workers: wanted, script: __filename, policyText: text, policyRules: policy.ruleCount });
  }
  if (wanted > 1) log.warn(`running 1 worker instead of ${wanted}: ${why}`, { workersWanted: wanted, workers: 1 });
  return new Agent(config, policy, log);
}

/** Run the agent until a signal stops it. Returns the runtime, or null when it exited early. */
export async function main(argv: readonly string[], io: AgentIo = processIo): Promise<AgentRuntime | null> {
  let config: AgentConfig;
  let policy: CompiledPolicy;
  try {
    const cli = parseCli(argv);
    if (cli.kind === 'help') {
      io.stdout(HELP);
      io.exit(0);
      return null;
    }
    config = cli.config;
    policy = loadInitialPolicy(config);
  } catch (err) {
    if (!(err instanceof CliError || err instanceof PolicyError)) throw err;
    io.stderr(`gwlb-agent: ${err.message}\n`);
    io.exit(2);
    return null;
  }
  let aws: AwsIntegration | undefined;
  let log = new Logger(config.logLevel, io.stdout);
  let agent: AgentRuntime;
  try {
    // CloudWatch and SSM (cloudwatch/integration.ts): in this (main) thread, off the packet path,
    // never blocking it. Loaded only when used: the AWS SDK adds about 25 MiB of memory.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    aws = config.aws ? await (require('./cloudwatch/integration') as typeof import('./cloudwatch/integration')).AwsIntegration.prepare({ config: config.aws }) : undefined;
    if (aws) log = new Logger(config.logLevel, aws.sink(io.stdout));
    const fromSsm = await aws?.initialPolicy(log);
    agent = await createRuntime(config, fromSsm?.policy ?? policy, log, fromSsm);
    await agent.start();
    aws?.attach(agent, log, fromSsm);
  } catch (err) {
    if (err instanceof PolicyError) {
      io.stderr(`gwlb-agent: --policy-parameter: ${err.message}\n`);
      io.exit(2);
      return null;
    }
    log.error('startup failed', { error: (err as Error).message });
    io.stderr(`gwlb-agent: ${(err as Error).message}\n`);
    await aws?.close(0);
    io.exit(1);
    return null;
  }
  installSignalHandlers(agent, log, io, aws);
  return agent;
}

function installSignalHandlers(agent: AgentRuntime, log: Logger, io: AgentIo, aws?: AwsIntegration): void {
  process.on('SIGHUP', () => aws?.pollPolicyNow() || agent.reloadPolicy());
  const onStop = (signal: NodeJS.Signals): void => {
    if (agent.isDraining) {
      log.warn('second stop signal: exiting now', { signal });
      void agent.stop().then(() => aws?.close(0)).finally(() => io.exit(0));
      return;
    }
    void agent.drain(signal)
      .then(() => agent.stop())
      .then(() => {
        log.info('stopped', { packetsIn: agent.packetsIn(), packetsOut: agent.packetsOut() });
        return aws?.close();
      })
      .finally(() => {
        io.exit(0);
      });
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
}

if (!isMainThread && isWorkerInit(workerData)) {
  process.on('uncaughtException', (err) => {
    process.stdout.write(JSON.stringify({
      time: new Date().toISOString(), level: 'error', msg: 'uncaught exception in worker', worker: workerData.index,
      error: err.message, stack: err.stack,
    }) + '\n');
    process.exit(1); // in a worker thread: ends this thread only; the supervisor restarts it
  });
  runWorkerThread(workerData);
} else if (require.main === module) {
  process.on('uncaughtException', (err) => {
    process.stdout.write(JSON.stringify({
      time: new Date().toISOString(), level: 'error', msg: 'uncaught exception', error: err.message, stack: err.stack,
    }) + '\n');
    process.exit(1);
  });
  void main(process.argv.slice(2));
}
