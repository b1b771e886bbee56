/**
 * SIGHUP: load --policy again and apply it, or keep the running policy when the file is invalid.
 * Shared by the single-thread Agent and the worker supervisor (which hands the text to its workers).
 */
import type { Logger } from './log';
import type { AgentMetrics } from './metrics';
import { CompiledPolicy, loadPolicyText } from './policy';

export interface PolicyReloadTarget {
  readonly file: string | undefined;
  readonly log: Logger;
  /** policyReloads / policyReloadFailures are counted here. */
  readonly metrics: AgentMetrics;
  /** The policy generation now (after a successful apply: the new one). */
  generation(): number;
  /** Apply the validated policy; returns extra fields for the log line. */
  apply(text: string, policy: CompiledPolicy): Record<string, unknown>;
}

export function reloadPolicyFile(t: PolicyReloadTarget): void {
  const file = t.file;
  if (file === undefined) {
    t.log.warn('SIGHUP: no --policy file given, nothing to reload');
    return;
  }
  try {
    const { text, policy } = loadPolicyText(file);
    const extra = t.apply(text, policy);
    t.log.info('policy reloaded', { policy: file, policyRules: policy.ruleCount, serverNameRules: policy.nameRules.length, policyGeneration: t.generation(), ...extra });
  } catch (err) {
    t.metrics.policyReloadFailures++;
    t.log.error('policy reload rejected; keeping the running policy', {
      policy: file, error: (err as Error).message, policyGeneration: t.generation(),
    });
  }
}
