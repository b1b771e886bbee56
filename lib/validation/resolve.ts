import { cidrSubnets } from './cidr';
import { ConditionEvaluator, OTHER, Scenario, variableKey } from './conditions';
import { LIST_MIRROR_ATTRIBUTES, parameterValue, PROPERTY_MIRROR_ATTRIBUTES, REF_EQUIVALENT_ATTRIBUTES, SSM_PARAMETER_TYPE } from './resolve-tables';
import { CrossStackMiss, CrossStackOutputs, CrossStackValue } from './cross-stack';
import { CfnResourceJson, StackTemplate } from './templates';
import {
  attToken, azToken, cidrToken, hasToken, isSingleToken, itemToken, paramToken, pseudoToken, refToken, resourceKey,
} from './tokens';

/** A value the resolver could not reduce, with the reason (shown in WARNING findings). */
export class Unresolved {
  constructor(public readonly reason: string) {}
}

export type Resolved =
  | string | number | boolean | null | undefined | Unresolved
  | Resolved[] | { [key: string]: Resolved };

export function isUnresolved(value: unknown): value is Unresolved {
  return value instanceof Unresolved;
}

/** The value as a string (numbers and booleans, as YAML writes them, are stringified), the Unresolved as is, else undefined. */
export function asString(value: Resolved): string | Unresolved | undefined {
  if (typeof value === 'string' || isUnresolved(value)) {
    return value;
  }
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** The value as a list of strings, or the first Unresolved among them. */
export function asStringList(value: Resolved): string[] | Unresolved {
  if (value === undefined || value === null) {
    return [];
  }
  if (isUnresolved(value)) {
    return value;
  }
  if (!Array.isArray(value)) {
    const single = asString(value);
    return single === undefined ? new Unresolved(`expected a list, got ${JSON.stringify(value)}`) : (isUnresolved(single) ? single : [single]);
  }
  const out: string[] = [];
  for (const item of value) {
    const s = asString(item);
    if (isUnresolved(s)) {
      return s;
    }
    if (s !== undefined) {
      out.push(s);
    }
  }
  return out;
}

const MAX_DEPTH = 64;

/**
 * Resolves CloudFormation intrinsics across all templates of one app:
 * Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::GetAZs, Fn::Split, Fn::Sub, Fn::Cidr, Fn::FindInMap,
 * Fn::ImportValue (against the Export.Name of every stack's Outputs), Fn::GetStackOutput (against
 * the Outputs of the stack of that name), Fn::If and Conditions (see conditions.ts), and nested stack
 * Parameters/Outputs. A parameter that is not passed resolves to its `Default` (recorded, see
 * {@link Resolver.track}); without one it stays a symbolic token. What cannot be known at synth time
 * becomes a symbolic token (see tokens.ts) or, where even that is impossible, an `Unresolved` with the reason.
 */
export class Resolver {
  private readonly stacks = new Map<string, StackTemplate>();
  private readonly outputs: CrossStackOutputs;
  private readonly nestedByParent = new Map<string, StackTemplate>();
  readonly conditions: ConditionEvaluator;
  private assumed?: Set<string>;

  constructor(stacks: readonly StackTemplate[], readonly scenario: Scenario = Scenario.ONLY) {
    for (const stack of stacks) {
      this.stacks.set(stack.key, stack);
      if (stack.parent) {
        this.nestedByParent.set(resourceKey(stack.parent.key, stack.parent.logicalId), stack);
      }
    }
    this.outputs = new CrossStackOutputs(stacks, (stackKey, value, depth) => this.resolve(stackKey, value, depth));
    this.conditions = new ConditionEvaluator(this.stacks, scenario, (stackKey, value) => this.resolve(stackKey, value), {
      track: (fn) => this.track(fn),
      note: (assumed) => assumed.forEach((a) => this.assumed?.add(a)),
    });
  }

  /**
   * Run `fn` and collect every parameter default the resolution assumed (`Name = 'value'`), so a
   * finding can say which defaults it depends on.
   */
  track<T>(fn: () => T): { value: T; assumed: Set<string> } {
    const outer = this.assumed;
    const assumed = new Set<string>();
    this.assumed = assumed;
    try {
      return { value: fn(), assumed };
    } finally {
      assumed.forEach((a) => outer?.add(a)); // a nested track also counts for the outer one
      this.assumed = outer;
    }
  }

  /** Whether a resource is created: no Condition, or one that is true (or undecidable) in this scenario. */
  isPresent(stackKey: string, logicalId: string): boolean {
    const resource = this.stacks.get(stackKey)?.template.Resources?.[logicalId];
    if (!resource) {
      return false;
    }
    return resource.Condition === undefined || this.conditions.condition(stackKey, resource.Condition) !== false;
  }

  resource(key: string): { stack: StackTemplate; logicalId: string; resource: CfnResourceJson } | undefined {
    const dot = key.indexOf('.');
    const stack = this.stacks.get(key.slice(0, dot));
    const logicalId = key.slice(dot + 1);
    const resource = stack?.template.Resources?.[logicalId];
    return stack && resource && this.isPresent(stack.key, logicalId) ? { stack, logicalId, resource } : undefined;
  }

  /** Resolve a value found in the template of stack `stackKey`. */
  resolve(stackKey: string, value: unknown, depth = 0): Resolved {
    if (depth > MAX_DEPTH) {
      return new Unresolved('reference chain too deep (cycle?)');
    }
    if (value === null || typeof value !== 'object') {
      return value as Resolved;
    }
    if (Array.isArray(value)) {
      return value.map((v) => this.resolve(stackKey, v, depth + 1)).filter((v) => v !== undefined);
    }
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0];
      if (fn === 'Ref' || fn.startsWith('Fn::') || fn === 'Condition') {
        return this.intrinsic(stackKey, fn, arg, depth + 1);
      }
    }
    const out: { [key: string]: Resolved } = {};
    for (const [k, v] of entries) {
      out[k] = this.resolve(stackKey, v, depth + 1);
    }
    return out;
  }

  private intrinsic(stackKey: string, fn: string, arg: unknown, depth: number): Resolved {
    switch (fn) {
      case 'Ref': return this.ref(stackKey, arg, depth);
      case 'Fn::GetAtt': return this.getAtt(stackKey, arg, depth);
      case 'Fn::Join': return this.join(stackKey, arg, depth);
      case 'Fn::Select': return this.select(stackKey, arg, depth);
      case 'Fn::GetAZs': return new Unresolved('Fn::GetAZs is a list whose length is unknown at synth time');
      case 'Fn::Split': return this.split(stackKey, arg, depth);
      case 'Fn::Sub': return this.sub(stackKey, arg, depth);
      case 'Fn::Cidr': return this.cidr(stackKey, arg, depth);
      case 'Fn::FindInMap': return this.findInMap(stackKey, arg, depth);
      case 'Fn::ImportValue': return this.importValue(stackKey, arg, depth);
      case 'Fn::GetStackOutput': return this.crossStack(this.outputs.getStackOutput(stackKey, arg, depth), depth);
      case 'Fn::If': return this.fnIf(stackKey, arg, depth);
      case 'Condition':
      case 'Fn::Equals':
      case 'Fn::Not':
      case 'Fn::And':
      case 'Fn::Or': {
        const value = this.conditions.expression(stackKey, { [fn]: arg }, depth);
        return value === undefined ? new Unresolved(`${fn} ${JSON.stringify(arg)} cannot be decided at synth time`) : value;
      }
      default: return new Unresolved(`${fn} is not evaluated at synth time`);
    }
  }

  private fnIf(stackKey: string, arg: unknown, depth: number): Resolved {
    if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== 'string') {
      return new Unresolved(`malformed Fn::If ${JSON.stringify(arg)}`);
    }
    const value = this.conditions.condition(stackKey, arg[0]);
    if (value === undefined) {
      return new Unresolved(`condition ${arg[0]} of Fn::If cannot be decided at synth time`);
    }
    return this.resolve(stackKey, value ? arg[1] : arg[2], depth);
  }

  private ref(stackKey: string, name: unknown, depth: number): Resolved {
    const stack = this.stacks.get(stackKey)!;
    if (typeof name !== 'string') {
      return new Unresolved(`Ref to a non-string ${JSON.stringify(name)}`);
    }
    if (name.startsWith('AWS::')) {
      const assigned = this.scenario.values.get(variableKey(stackKey, name));
      return typeof assigned === 'string' ? assigned : this.pseudo(stack, name);
    }
    const resource = stack.template.Resources?.[name];
    if (resource) {
      return this.isPresent(stackKey, name) ? refToken(resourceKey(stackKey, name))
        : new Unresolved(`${name} is not created (its condition ${resource.Condition} is false)`);
    }
    const parameter = stack.template.Parameters?.[name];
    if (parameter) {
      if (stack.parent) {
        const parent = this.resource(resourceKey(stack.parent.key, stack.parent.logicalId));
        const passed = (parent?.resource.Properties?.Parameters as Record<string, unknown> | undefined)?.[name];
        if (passed !== undefined) {
          return this.resolve(stack.parent.key, passed, depth);
        }
      }
      const assigned = this.scenario.values.get(variableKey(stackKey, name));
      if (assigned !== undefined) {
        return assigned === OTHER ? paramToken(stackKey, name) : parameterValue(parameter.Type, assigned);
      }
      if (parameter.Default !== undefined && !String(parameter.Type ?? '').startsWith(SSM_PARAMETER_TYPE)) {
        this.assumed?.add(`${name} = ${JSON.stringify(parameter.Default)}`);
        return parameterValue(parameter.Type, parameter.Default);
      }
      return paramToken(stackKey, name);
    }
    return new Unresolved(`Ref to '${name}', which is neither a resource nor a parameter of ${stack.name}`);
  }

  private pseudo(stack: StackTemplate, name: string): Resolved {
    switch (name) {
      case 'AWS::Region': return stack.region ?? pseudoToken(name);
      case 'AWS::AccountId': return stack.account ?? pseudoToken(name);
      case 'AWS::NoValue': return undefined;
      case 'AWS::StackName':
      case 'AWS::StackId': return pseudoToken(`${name}@${stack.key}`);
      default: return pseudoToken(name);
    }
  }

  private getAtt(stackKey: string, arg: unknown, depth: number): Resolved {
    let logicalId: unknown;
    let attribute: unknown;
    if (typeof arg === 'string') {
      const dot = arg.indexOf('.');
      [logicalId, attribute] = [arg.slice(0, dot), arg.slice(dot + 1)];
    } else if (Array.isArray(arg) && arg.length === 2) {
      logicalId = arg[0];
      attribute = this.resolve(stackKey, arg[1], depth);
    }
    if (typeof logicalId !== 'string' || typeof attribute !== 'string') {
      return new Unresolved(`malformed Fn::GetAtt ${JSON.stringify(arg)}`);
    }
    const key = resourceKey(stackKey, logicalId);
    const found = this.resource(key);
    if (!found) {
      return new Unresolved(`Fn::GetAtt of unknown resource '${logicalId}'`);
    }
    const type = found.resource.Type;
    if (type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) {
      const nested = this.nestedByParent.get(key);
      const output = nested?.template.Outputs?.[attribute.slice('Outputs.'.length)];
      return nested && output ? this.resolve(nested.key, output.Value, depth)
        : new Unresolved(`nested stack output ${logicalId}.${attribute} not found`);
    }
    if (REF_EQUIVALENT_ATTRIBUTES[type]?.includes(attribute)) {
      return refToken(key);
    }
    const mirrored = found.resource.Properties?.[attribute];
    if (PROPERTY_MIRROR_ATTRIBUTES[type]?.includes(attribute) && mirrored !== undefined) {
      return this.resolve(stackKey, mirrored, depth);
    }
    const listed = LIST_MIRROR_ATTRIBUTES[type]?.[attribute];
    const first = listed ? found.resource.Properties?.[listed] : undefined;
    if (first !== undefined) {
      return [this.resolve(stackKey, first, depth)];
    }
    return attToken(key, attribute);
  }

  private join(stackKey: string, arg: unknown, depth: number): Resolved {
    if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string') {
      return new Unresolved(`malformed Fn::Join ${JSON.stringify(arg)}`);
    }
    const parts = asStringList(this.resolve(stackKey, arg[1], depth));
    return isUnresolved(parts) ? parts : parts.join(arg[0]);
  }

  private select(stackKey: string, arg: unknown, depth: number): Resolved {
    if (!Array.isArray(arg) || arg.length !== 2) {
      return new Unresolved(`malformed Fn::Select ${JSON.stringify(arg)}`);
    }
    const index = Number(this.resolve(stackKey, arg[0], depth));
    if (!Number.isInteger(index) || index < 0) {
      return new Unresolved(`Fn::Select index ${JSON.stringify(arg[0])} is not a literal number`);
    }
    const source = arg[1] as Record<string, unknown> | undefined;
    if (source && typeof source === 'object' && 'Fn::GetAZs' in source) {
      const region = this.resolve(stackKey, source['Fn::GetAZs'], depth);
      if (region === '' || region === pseudoToken('AWS::Region') || region === undefined) {
        return azToken(this.stacks.get(stackKey)!.region ?? 'AWS::Region', index);
      }
      return typeof region === 'string' && !hasToken(region) ? azToken(region, index)
        : new Unresolved(`Fn::GetAZs of an unresolvable region ${JSON.stringify(source['Fn::GetAZs'])}`);
    }
    const list = this.resolve(stackKey, source, depth);
    if (isUnresolved(list)) {
      return list;
    }
    if (typeof list === 'string' && isSingleToken(list)) {
      return itemToken(list, index); // an element of a list-valued attribute, e.g. Vpc.Ipv6CidrBlocks
    }
    if (!Array.isArray(list) || index >= list.length) {
      return new Unresolved(`Fn::Select index ${index} is outside ${JSON.stringify(list)}`);
    }
    return list[index];
  }

  private split(stackKey: string, arg: unknown, depth: number): Resolved {
    if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string') {
      return new Unresolved(`malformed Fn::Split ${JSON.stringify(arg)}`);
    }
    const source = asString(this.resolve(stackKey, arg[1], depth));
    if (isUnresolved(source)) {
      return source;
    }
    // Ids, ARNs, AZs and CIDRs never contain a comma, so a comma-joined list of tokens (the CDK's
    // cross-stack list export) splits back exactly; any other delimiter could cut a deploy-time value.
    if (source === undefined || (hasToken(source) && arg[0] !== ',')) {
      return new Unresolved(`Fn::Split of a deploy-time value ${JSON.stringify(arg[1])}`);
    }
    return source.split(arg[0]);
  }

  private sub(stackKey: string, arg: unknown, depth: number): Resolved {
    const [text, variables] = Array.isArray(arg) ? [arg[0], (arg[1] ?? {}) as Record<string, unknown>] : [arg, {}];
    if (typeof text !== 'string') {
      return new Unresolved(`malformed Fn::Sub ${JSON.stringify(arg)}`);
    }
    let failure: Unresolved | undefined;
    const out = text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
      if (name.startsWith('!')) {
        return `\${${name.slice(1)}}`;
      }
      let value: Resolved;
      if (name in variables) {
        value = this.resolve(stackKey, variables[name], depth);
      } else if (name.includes('.') && !name.startsWith('AWS::')) {
        value = this.getAtt(stackKey, name, depth);
      } else {
        value = this.ref(stackKey, name, depth);
      }
      const s = asString(value);
      if (typeof s === 'string') {
        return s;
      }
      failure ??= isUnresolved(s) ? s : new Unresolved(`Fn::Sub variable ${name} is not a string`);
      return whole;
    });
    return failure ?? out;
  }

  private cidr(stackKey: string, arg: unknown, depth: number): Resolved {
    const parts = Array.isArray(arg) ? arg.map((a) => asString(this.resolve(stackKey, a, depth))) : [];
    const [block, count, bits] = parts;
    if (parts.length !== 3 || typeof block !== 'string' || typeof count !== 'string' || typeof bits !== 'string') {
      return parts.find(isUnresolved) ?? new Unresolved(`malformed Fn::Cidr ${JSON.stringify(arg)}`);
    }
    if (!hasToken(block)) {
      return cidrSubnets(block, Number(count), Number(bits)) ?? new Unresolved(`Fn::Cidr cannot split ${block}`);
    }
    return Array.from({ length: Number(count) }, (_, i) => cidrToken(block, bits, i));
  }

  private findInMap(stackKey: string, arg: unknown, depth: number): Resolved {
    const keys = Array.isArray(arg) && arg.length >= 3 ? arg.slice(0, 3).map((a) => this.resolve(stackKey, a, depth)) : [];
    if (keys.length !== 3 || !keys.every((k) => typeof k === 'string' && !hasToken(k))) {
      return new Unresolved(`Fn::FindInMap with deploy-time keys ${JSON.stringify(arg)}`);
    }
    const [map, top, second] = keys as string[];
    const value = this.stacks.get(stackKey)!.template.Mappings?.[map]?.[top]?.[second];
    return value === undefined ? new Unresolved(`Fn::FindInMap ${map}/${top}/${second} is not in Mappings`)
      : this.resolve(stackKey, value, depth);
  }

  private importValue(stackKey: string, arg: unknown, depth: number): Resolved {
    const name = asString(this.resolve(stackKey, arg, depth));
    if (typeof name !== 'string') {
      return name ?? new Unresolved(`malformed Fn::ImportValue ${JSON.stringify(arg)}`);
    }
    return this.crossStack(this.outputs.importValue(name), depth);
  }

  private crossStack(found: CrossStackValue | CrossStackMiss, depth: number): Resolved {
    return found instanceof CrossStackMiss ? new Unresolved(found.reason) : this.resolve(found.stackKey, found.value, depth);
  }
}
