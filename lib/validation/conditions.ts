import type { Resolved } from './resolve';
import { StackTemplate } from './templates';
import { hasToken } from './tokens';

/**
 * CloudFormation Conditions, evaluated per scenario.
 *
 * A parameter with a `Default` (and a pseudo parameter the stack's environment gives) is decided:
 * the validator assumes the default and says so. A parameter without one (or an env-agnostic
 * `AWS::Region`) that a condition compares is a *variable*: each scenario gives it one of the
 * literals it is compared with, or "none of them" ({@link OTHER}), so every combination of condition
 * outcomes that a deployment can produce is checked, and no impossible one (`A` and `Not A`).
 */

/** A variable's value in a scenario that equals none of the literals the template compares it with. */
export const OTHER = Symbol('none of the compared values');
export type VariableValue = string | typeof OTHER;

/** `<stack key>.<parameter or pseudo parameter name>` */
export type VariableKey = string;

export function variableKey(stackKey: string, name: string): VariableKey {
  return `${stackKey}.${name}`;
}

/** One assignment of the undecided variables. */
export class Scenario {
  /** No variables: every condition is decided by defaults and the stacks' environments. */
  static readonly ONLY = new Scenario(new Map(), []);

  constructor(readonly values: ReadonlyMap<VariableKey, VariableValue>, readonly labels: readonly string[]) {}

  /** e.g. `TransitGateway = 'tgw-1', Env is none of 'prod'`; empty for {@link Scenario.ONLY}. */
  get label(): string {
    return this.labels.join(', ');
  }
}

const PSEUDO_VARIABLES = ['AWS::Region', 'AWS::AccountId', 'AWS::Partition', 'AWS::URLSuffix'];
const MAX_SCENARIOS = 64;

interface Variable {
  readonly key: VariableKey;
  readonly display: string;
  readonly compared: Set<string>;
  readonly allowed?: string[];
}

/** The stack and parameter that a `{ Ref }` operand of `Fn::Equals` stands for, when it is undecided. */
function variableOf(stacks: ReadonlyMap<string, StackTemplate>, stack: StackTemplate, operand: unknown): { key: VariableKey; stack: StackTemplate; name: string } | undefined {
  const name = (operand as { Ref?: unknown } | null)?.Ref;
  if (typeof name !== 'string' || (operand && Object.keys(operand as object).length !== 1)) {
    return undefined;
  }
  if (name.startsWith('AWS::')) {
    const known = (name === 'AWS::Region' && stack.region) || (name === 'AWS::AccountId' && stack.account);
    return PSEUDO_VARIABLES.includes(name) && !known ? { key: variableKey(stack.key, name), stack, name } : undefined;
  }
  const parameter = stack.template.Parameters?.[name];
  if (!parameter) {
    return undefined;
  }
  if (stack.parent) {
    const parent = stacks.get(stack.parent.key);
    const passed = (parent?.template.Resources?.[stack.parent.logicalId]?.Properties?.Parameters as Record<string, unknown> | undefined)?.[name];
    if (passed !== undefined) {
      return parent ? variableOf(stacks, parent, passed) : undefined;
    }
  }
  return parameter.Default === undefined ? { key: variableKey(stack.key, name), stack, name } : undefined;
}

function literal(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return hasToken(value) ? undefined : value;
  }
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** Every `Fn::Equals` inside a condition expression. */
function* equalsIn(value: unknown): Generator<unknown[]> {
  if (Array.isArray(value)) {
    for (const item of value) {
      yield* equalsIn(item);
    }
  } else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Fn::Equals' && Array.isArray(inner) && inner.length === 2) {
        yield inner;
      }
      yield* equalsIn(inner);
    }
  }
}

function collectVariables(stacks: readonly StackTemplate[]): Variable[] {
  const byKey = new Map(stacks.map((s) => [s.key, s]));
  const variables = new Map<VariableKey, Variable>();
  for (const stack of stacks) {
    for (const expression of Object.values(stack.template.Conditions ?? {})) {
      for (const [a, b] of equalsIn(expression)) {
        for (const [operand, other] of [[a, b], [b, a]]) {
          const found = variableOf(byKey, stack, operand);
          const value = literal(other);
          if (!found || value === undefined) {
            continue;
          }
          const parameter = found.stack.template.Parameters?.[found.name];
          const entry = variables.get(found.key) ?? {
            key: found.key,
            display: stacks.length > 1 ? `${found.name} (${found.stack.name})` : found.name,
            compared: new Set<string>(),
            allowed: Array.isArray(parameter?.AllowedValues) ? parameter.AllowedValues.map(String) : undefined,
          };
          entry.compared.add(value);
          variables.set(found.key, entry);
        }
      }
    }
  }
  return [...variables.values()];
}

/**
 * The values worth trying for a variable: each compared literal it may take, and one value that is
 * none of them (an allowed value that no condition names, else {@link OTHER}).
 */
function candidates(variable: Variable): VariableValue[] {
  const compared = [...variable.compared];
  if (!variable.allowed) {
    return [...compared, OTHER];
  }
  const possible = compared.filter((v) => variable.allowed!.includes(v));
  const rest = variable.allowed.find((v) => !variable.compared.has(v));
  return rest === undefined ? possible : [...possible, rest];
}

function describe(variable: Variable, value: VariableValue): string {
  if (value !== OTHER) {
    return `${variable.display} = '${value}'`;
  }
  return `${variable.display} is none of ${[...variable.compared].map((v) => `'${v}'`).join(', ')}`;
}

export interface ScenarioPlan {
  readonly scenarios: Scenario[];
  /** How many combinations were left out because there were more than the limit. */
  readonly omitted: number;
  readonly variables: readonly string[];
}

/** Every combination of the undecided variables (at most {@link MAX_SCENARIOS}). */
export function planScenarios(stacks: readonly StackTemplate[]): ScenarioPlan {
  const variables = collectVariables(stacks);
  if (variables.length === 0) {
    return { scenarios: [Scenario.ONLY], omitted: 0, variables: [] };
  }
  let combos: Array<Array<[Variable, VariableValue]>> = [[]];
  let total = 1;
  for (const variable of variables) {
    const values = candidates(variable);
    total *= Math.max(values.length, 1);
    combos = combos.flatMap((combo) => values.map((v) => [...combo, [variable, v] as [Variable, VariableValue]])).slice(0, MAX_SCENARIOS);
  }
  const scenarios = combos.map((combo) => new Scenario(new Map(combo.map(([v, value]) => [v.key, value])), combo.map(([v, value]) => describe(v, value))));
  return { scenarios, omitted: Math.max(total - scenarios.length, 0), variables: variables.map((v) => v.display) };
}

/** Evaluates condition expressions of one stack; `resolve` resolves an operand in that stack. */
/** How the evaluator records the parameter defaults a condition's value rests on (the Resolver's tracking). */
export interface AssumptionTracker {
  track<T>(fn: () => T): { value: T; assumed: Set<string> };
  /** Count already known assumptions for whatever is being tracked now. */
  note(assumed: ReadonlySet<string>): void;
}

export class ConditionEvaluator {
  private readonly cache = new Map<string, { value: boolean | undefined; assumed: Set<string> }>();

  constructor(
    private readonly stacks: ReadonlyMap<string, StackTemplate>,
    private readonly scenario: Scenario,
    private readonly resolve: (stackKey: string, value: unknown) => Resolved,
    private readonly tracker: AssumptionTracker,
  ) {}

  /**
   * The value of a named condition; `undefined` when it cannot be decided. The parameter defaults it
   * rests on count for whatever the resolver is tracking (the resource whose presence or Fn::If it decides).
   */
  condition(stackKey: string, name: string, depth = 0): boolean | undefined {
    const key = `${stackKey}/${name}`;
    const cached = this.cache.get(key);
    if (cached) {
      this.tracker.note(cached.assumed);
      return cached.value;
    }
    this.cache.set(key, { value: undefined, assumed: new Set() }); // a cycle stays undecided
    const expression = this.stacks.get(stackKey)?.template.Conditions?.[name];
    const { value, assumed } = this.tracker.track(() => (expression === undefined ? undefined : this.expression(stackKey, expression, depth + 1)));
    this.cache.set(key, { value, assumed });
    return value;
  }

  /** A condition expression: Fn::Equals / Not / And / Or / Condition, or a literal boolean. */
  expression(stackKey: string, value: unknown, depth = 0): boolean | undefined {
    if (typeof value === 'boolean') {
      return value;
    }
    if (value === 'true' || value === 'false') {
      return value === 'true';
    }
    if (!value || typeof value !== 'object' || Array.isArray(value) || depth > 32) {
      return undefined;
    }
    const [fn, arg] = Object.entries(value as Record<string, unknown>)[0] ?? [];
    const args = Array.isArray(arg) ? arg : [];
    const each = () => args.map((a) => this.expression(stackKey, a, depth + 1));
    switch (fn) {
      case 'Condition':
        return typeof arg === 'string' ? this.condition(stackKey, arg, depth) : undefined;
      case 'Fn::Not': {
        const inner = this.expression(stackKey, args[0], depth + 1);
        return inner === undefined ? undefined : !inner;
      }
      case 'Fn::And': {
        const values = each();
        return values.includes(false) ? false : values.includes(undefined) ? undefined : true;
      }
      case 'Fn::Or': {
        const values = each();
        return values.includes(true) ? true : values.includes(undefined) ? undefined : false;
      }
      case 'Fn::Equals':
        return args.length === 2 ? this.equals(stackKey, args[0], args[1]) : undefined;
      default:
        return undefined;
    }
  }

  private equals(stackKey: string, a: unknown, b: unknown): boolean | undefined {
    const stack = this.stacks.get(stackKey)!;
    for (const [operand, other] of [[a, b], [b, a]]) {
      const variable = variableOf(this.stacks, stack, operand);
      const value = variable ? this.scenario.values.get(variable.key) : undefined;
      const otherValue = comparable(this.resolve(stackKey, other));
      if (value === OTHER && otherValue !== undefined) {
        return false; // the variable is none of the literals the template compares it with
      }
    }
    const x = comparable(this.resolve(stackKey, a));
    const y = comparable(this.resolve(stackKey, b));
    return x === undefined || y === undefined ? undefined : x === y;
  }
}

/** A resolved value that can be compared at synth time (no deploy-time token), as a string. */
function comparable(value: Resolved): string | undefined {
  if (Array.isArray(value)) {
    const items = value.map(comparable);
    return items.includes(undefined) ? undefined : JSON.stringify(items);
  }
  return literal(value);
}
