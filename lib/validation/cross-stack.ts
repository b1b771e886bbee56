import type { Resolved } from './resolve';
import { StackTemplate } from './templates';
import { hasToken, pseudoToken } from './tokens';

/** Resolve a value found in the template of a stack (the Resolver's `resolve`). */
export type ResolveIn = (stackKey: string, value: unknown, depth: number) => Resolved;

/** Why a cross-stack reference could not be followed; the Resolver wraps it in an `Unresolved`. */
export class CrossStackMiss {
  constructor(public readonly reason: string) {}
}

/** Where a cross-stack reference leads: the producer stack and the output value to resolve there. */
export interface CrossStackValue {
  readonly stackKey: string;
  readonly value: unknown;
}

const ACCOUNT_IN_ARN = /^arn:[^:]+:iam::(\d{12}):/;

/**
 * The outputs of every stack of the app, for the two kinds of cross-stack reference:
 * strong (`Fn::ImportValue` of an `Export.Name`) and weak (`Fn::GetStackOutput`, which names the
 * producer by its deployed stack name, optionally with a Region and a RoleArn of another account).
 */
export class CrossStackOutputs {
  private exports?: Map<string, CrossStackValue>;

  constructor(private readonly stacks: readonly StackTemplate[], private readonly resolveIn: ResolveIn) {}

  /** `Fn::ImportValue name`: the output exported under that name. */
  importValue(name: string): CrossStackValue | CrossStackMiss {
    return this.exportsByName().get(name) ?? new CrossStackMiss(`Fn::ImportValue '${name}' matches no Export.Name of any stack in this app`);
  }

  /** `Fn::GetStackOutput { StackName, OutputName, Region?, RoleArn? }` used in stack `consumerKey`. */
  getStackOutput(consumerKey: string, arg: unknown, depth: number): CrossStackValue | CrossStackMiss {
    if (!arg || typeof arg !== 'object' || Array.isArray(arg)) {
      return new CrossStackMiss(`malformed Fn::GetStackOutput ${JSON.stringify(arg)}`);
    }
    const fields = arg as Record<string, unknown>;
    const literal = (field: string): string | undefined => {
      const value = fields[field] === undefined ? undefined : this.resolveIn(consumerKey, fields[field], depth);
      return typeof value === 'string' && !hasToken(value) ? value : undefined;
    };
    const stackName = literal('StackName');
    const outputName = literal('OutputName');
    if (stackName === undefined || outputName === undefined) {
      return new CrossStackMiss(`Fn::GetStackOutput with a deploy-time StackName or OutputName ${JSON.stringify(arg)}`);
    }
    const consumer = this.stacks.find((s) => s.key === consumerKey);
    const region = this.requestedRegion(consumerKey, consumer, fields.Region, depth);
    const account = ACCOUNT_IN_ARN.exec(literal('RoleArn') ?? '')?.[1] ?? (fields.RoleArn === undefined ? consumer?.account : undefined);
    const candidates = this.stacks.filter((s) => s.cloudFormationStackName === stackName
      && !differs(s.region, region) && !differs(s.account, account));
    const where = `stack '${stackName}'${region ? ` in ${region}` : ''}${account ? ` of account ${account}` : ''}`;
    if (candidates.length === 0) {
      return new CrossStackMiss(`Fn::GetStackOutput names ${where}, which is not a stack of this app`);
    }
    if (candidates.length > 1) {
      return new CrossStackMiss(`Fn::GetStackOutput names ${where}, which matches ${candidates.length} stacks of this app (${candidates.map((c) => c.name).join(', ')})`);
    }
    const output = candidates[0].template.Outputs?.[outputName];
    if (output === undefined) {
      return new CrossStackMiss(`Fn::GetStackOutput: stack '${stackName}' has no output '${outputName}'`);
    }
    return { stackKey: candidates[0].key, value: output.Value };
  }

  /** Export.Name -> output, built on first use (names may themselves need resolving). */
  private exportsByName(): Map<string, CrossStackValue> {
    if (this.exports) {
      return this.exports;
    }
    this.exports = new Map();
    for (const stack of this.stacks) {
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        const name = output.Export?.Name === undefined ? undefined : this.resolveIn(stack.key, output.Export.Name, 0);
        if (typeof name === 'string') {
          this.exports.set(name, { stackKey: stack.key, value: output.Value });
        }
      }
    }
    return this.exports;
  }

  /** The producer's region: the literal Region, else the consumer's region (when known). */
  private requestedRegion(consumerKey: string, consumer: StackTemplate | undefined, region: unknown, depth: number): string | undefined {
    const value = region === undefined ? undefined : this.resolveIn(consumerKey, region, depth);
    if (typeof value === 'string' && !hasToken(value)) {
      return value;
    }
    return value === undefined || value === pseudoToken('AWS::Region') ? consumer?.region : undefined;
  }
}

/** Two environment values that are both known and not equal. */
function differs(known: string | undefined, wanted: string | undefined): boolean {
  return known !== undefined && wanted !== undefined && known !== wanted;
}
