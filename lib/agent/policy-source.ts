/**
 * The policy from an SSM parameter (`--policy-parameter`): fetched before the agent starts and
 * polled every `--policy-poll-seconds`; a new parameter version is validated with the same
 * parser as a file and applied through the agent's reload path, an invalid one is refused
 * (logged once per version, counted) and the running policy stays. SSM unreachable: the
 * running policy stays and the poll retries with backoff. The applied version is published
 * as the PolicyVersion metric.
 */
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { deadline } from './cloudwatch/aws-clients';
import { Backoff, describeAwsError } from './cloudwatch/backoff';
import type { Logger } from './log';
import { CompiledPolicy, parsePolicy, PolicyError } from './policy';

export interface ParameterClient {
  send(command: GetParameterCommand, options?: { abortSignal?: AbortSignal }): Promise<{ Parameter?: { Value?: string; Version?: number } }>;
}

export interface FetchedPolicy {
  readonly policy: CompiledPolicy;
  /** The parameter's value, as workers are given it. */
  readonly text: string;
  readonly version: number;
}

/** Parse a parameter value; throws PolicyError naming the parameter and version. */
export function parsePolicyParameter(name: string, version: number, value: string | undefined): CompiledPolicy {
  const where = `SSM parameter ${name} version ${version}`;
  let doc: unknown;
  try {
    doc = JSON.parse(value ?? '');
  } catch (e) {
    throw new PolicyError(`${where}: invalid JSON: ${(e as Error).message}`);
  }
  try {
    return parsePolicy(doc);
  } catch (e) {
    if (e instanceof PolicyError) throw new PolicyError(`${where}: ${e.message}`);
    throw e;
  }
}

export async function fetchPolicyParameter(client: ParameterClient, name: string): Promise<FetchedPolicy> {
  const out = await client.send(new GetParameterCommand({ Name: name }), { abortSignal: deadline() });
  const version = out.Parameter?.Version ?? 0;
  return { policy: parsePolicyParameter(name, version, out.Parameter?.Value), text: out.Parameter?.Value ?? '', version };
}

/**
 * The first fetch, retried with backoff until `waitMs` has passed: the agent does not start
 * (and reports nothing healthy) without its policy. An invalid policy fails at once.
 */
export async function fetchInitialPolicy(
  client: ParameterClient, name: string, log: Logger, waitMs = 60_000, backoff = new Backoff(500, 10_000),
): Promise<FetchedPolicy> {
  const start = Date.now();
  for (;;) {
    try {
      return await fetchPolicyParameter(client, name);
    } catch (err) {
      if (err instanceof PolicyError) throw err;
      const wait = backoff.fail();
      if (Date.now() + wait - start > waitMs) {
        throw new Error(`--policy-parameter: cannot read SSM parameter ${name}: ${describeAwsError(err).message}`);
      }
      log.warn('cannot read the policy parameter yet; retrying', { parameter: name, error: describeAwsError(err), retryInMs: wait });
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

export interface PolicyPollerOptions {
  readonly client: ParameterClient;
  readonly name: string;
  readonly pollSeconds: number;
  /** The version applied at start. */
  readonly initialVersion: number;
  /** Apply a valid policy (the agent's reload path). */
  readonly apply: (policy: CompiledPolicy, version: number, text: string) => void;
  /** Count a refused policy. */
  readonly rejected: () => void;
  readonly log: Logger;
  /** @default - new Backoff(1000, pollSeconds * 1000 * 4) */
  readonly backoff?: Backoff;
}

export class PolicyPoller {
  private version: number;
  private refusedVersion = -1;
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private failing = false;
  private readonly backoff: Backoff;

  constructor(private readonly o: PolicyPollerOptions) {
    this.version = o.initialVersion;
    this.backoff = o.backoff ?? new Backoff(1000, o.pollSeconds * 4000);
  }

  /** The parameter version of the running policy. */
  get appliedVersion(): number {
    return this.version;
  }

  start(): void {
    this.schedule(this.o.pollSeconds * 1000);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Poll now (SIGHUP); the regular schedule continues after it. */
  async pollNow(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    let next = this.o.pollSeconds * 1000;
    try {
      const out = await this.o.client.send(new GetParameterCommand({ Name: this.o.name }), { abortSignal: deadline() });
      this.backoff.succeed();
      if (this.failing) this.o.log.info('policy parameter readable again', { parameter: this.o.name });
      this.failing = false;
      this.consider(out.Parameter?.Version ?? 0, out.Parameter?.Value);
    } catch (err) {
      next = Math.max(next, this.backoff.fail());
      if (!this.failing) {
        this.o.log.warn('cannot read the policy parameter; keeping the running policy', {
          parameter: this.o.name, error: describeAwsError(err), policyVersion: this.version,
        });
      }
      this.failing = true;
    } finally {
      this.polling = false;
      if (this.timer !== null) this.schedule(next);
    }
  }

  private consider(version: number, value: string | undefined): void {
    if (version === this.version || version === this.refusedVersion) return;
    let policy: CompiledPolicy;
    try {
      policy = parsePolicyParameter(this.o.name, version, value);
    } catch (err) {
      this.refusedVersion = version;
      this.o.rejected();
      this.o.log.error('policy rejected; keeping the running policy', {
        parameter: this.o.name, version, error: (err as Error).message, policyVersion: this.version,
      });
      return;
    }
    this.o.apply(policy, version, value ?? '');
    this.version = version;
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pollNow(), ms);
    this.timer.unref();
  }
}
