/**
 * The worker side of several workers (workers.ts): a worker thread runs one Agent in worker mode
 * (its own SO_REUSEPORT GENEVE socket, inspector, replier and self-probe; blocks in the shared
 * table; no HTTP server) and answers the supervisor's messages.
 *
 *   supervisor -> worker   { type: 'snapshot', id }   -> { type: 'snapshot', id, health, metrics }
 *                          { type: 'policy', text }   the supervisor validated it; compile and apply
 *                          { type: 'drain' }          report draining (forwarding goes on)
 *                          { type: 'stop' }           stop the agent, then the thread ends
 *   worker -> supervisor   { type: 'ready', buffers } | { type: 'failed', error }
 */
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { AgentConfig } from './cli';
import { Agent } from './agent';
import { Logger } from './log';
import { allowAllPolicy, parsePolicy } from './policy';
import { SharedBlockTable, SharedBlockTableInit } from './shared-blocks';

/** workerData of a worker thread. */
export interface WorkerInit {
  readonly gwlbAgentWorker: true;
  readonly index: number;
  /** The agent's config with maxFlows already divided among the workers. */
  readonly config: AgentConfig;
  /** The running policy document (JSON text), or null for allow-all. */
  readonly policyText: string | null;
  readonly shared: SharedBlockTableInit;
  /** performance.timeOrigin + performance.now() of the supervisor at start: the common epoch. */
  readonly epochMs: number;
}

export type SupervisorMessage =
  | { readonly type: 'snapshot'; readonly id: number }
  | { readonly type: 'policy'; readonly text: string }
  | { readonly type: 'drain' }
  | { readonly type: 'stop' }
  /** Only with GWLB_AGENT_TEST_HOOKS=1 (workers.ts): throw an uncaught exception, as a bug would. */
  | { readonly type: 'crash' }
  /** Only with GWLB_AGENT_TEST_HOOKS=1: block the worker's event loop for `ms`, as a stuck worker would. */
  | { readonly type: 'stall'; readonly ms: number };

export function isWorkerInit(data: unknown): data is WorkerInit {
  return typeof data === 'object' && data !== null && (data as WorkerInit).gwlbAgentWorker === true;
}

/** A JSON log line with the worker's index as its second field. */
function tagLine(index: number, line: string): string {
  const brace = line.indexOf('{');
  return brace < 0 ? line : `${line.slice(0, brace + 1)}"worker":${index},${line.slice(brace + 1)}`;
}

export function runWorkerThread(init: WorkerInit): void {
  const port = parentPort;
  if (port === null) throw new Error('runWorkerThread: not in a worker thread');
  const log = new Logger(init.config.logLevel, (line) => process.stdout.write(tagLine(init.index, line)));
  const policy = init.policyText === null ? allowAllPolicy() : parsePolicy(JSON.parse(init.policyText));
  const origin = performance.timeOrigin;
  const agent = new Agent(init.config, policy, log, {
    worker: {
      index: init.index,
      sharedBlocks: new SharedBlockTable(init.shared),
      clockSource: () => origin + performance.now() - init.epochMs,
    },
  });
  port.on('message', (m: SupervisorMessage) => {
    switch (m.type) {
      case 'snapshot':
        port.postMessage({ type: 'snapshot', id: m.id, health: agent.health(), metrics: agent.metricsSnapshot() });
        break;
      case 'policy':
        try {
          agent.setPolicy(parsePolicy(JSON.parse(m.text)));
        } catch (err) {
          log.error('policy update rejected by the worker', { error: (err as Error).message });
        }
        break;
      case 'drain':
        agent.startDraining();
        break;
      case 'stop':
        void agent.stop().finally(() => port.close());
        break;
      case 'stall': {
        const until = Date.now() + m.ms;
        while (Date.now() < until) { /* busy: nothing else runs in this thread */ }
        break;
      }
      case 'crash':
        setImmediate(() => {
          throw new Error('test hook: worker crash');
        });
        break;
    }
  });
  agent.start().then(
    () => port.postMessage({ type: 'ready' }),
    (err: Error) => {
      port.postMessage({ type: 'failed', error: err.message });
      port.close();
    },
  );
}
