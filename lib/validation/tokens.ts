/**
 * Symbolic tokens used by the resolver for values that are only known at deploy time.
 *
 * A resolved value is a plain string in which deploy-time values appear as `{{...}}` tokens:
 *
 * ```
 * {{ref:S0.AlbSubnetA}}            Ref of resource AlbSubnetA in stack S0 (its physical id / ARN)
 * {{att:S0.Gwlb.LoadBalancerFullName}}   Fn::GetAtt that cannot be mirrored from a property
 * {{az:us-east-1#0}}               Fn::Select [0, Fn::GetAZs 'us-east-1']
 * {{az:AWS::Region#1}}             Fn::Select [1, Fn::GetAZs ''] in an env-agnostic stack
 * {{param:S0.VpcCidr}}             a top-level CloudFormation parameter
 * {{AWS::Region}}                  a pseudo parameter of an env-agnostic stack
 * ```
 *
 * Two values are the same deploy-time value when their strings are equal, so equality of
 * resource ids, AZs and CIDRs can be decided symbolically.
 */

/** Key of one resource in the app: `<stack key>.<logical id>`. */
export type ResourceKey = string;

const TOKEN = /\{\{([^{}]*)\}\}/g;
const RESOURCE_TOKEN = /^\{\{(?:ref|att):([^.{}]+)\.([^.{}]+)(?:\.[^{}]*)?\}\}$/;
const REF_TOKEN = /^\{\{ref:([^.{}]+\.[^.{}]+)\}\}$/;
const AZ_TOKEN = /^\{\{az:([^#{}]+)#(\d+)\}\}$/;

export function resourceKey(stackKey: string, logicalId: string): ResourceKey {
  return `${stackKey}.${logicalId}`;
}

export function refToken(key: ResourceKey): string {
  return `{{ref:${key}}}`;
}

export function attToken(key: ResourceKey, attribute: string): string {
  return `{{att:${key}.${attribute}}}`;
}

export function azToken(region: string, index: number): string {
  return `{{az:${region}#${index}}}`;
}

export function paramToken(stackKey: string, name: string): string {
  return `{{param:${stackKey}.${name}}}`;
}

export function pseudoToken(name: string): string {
  return `{{${name}}}`;
}

/** Nest a value inside another token without nesting braces. */
export function flattenForToken(value: string): string {
  return value.replace(/\{\{/g, '(').replace(/\}\}/g, ')');
}

export function hasToken(value: string): boolean {
  TOKEN.lastIndex = 0;
  return TOKEN.test(value);
}

/** The resource a value names when the whole value is one Ref token, e.g. a subnet id. */
export function refTarget(value: unknown): ResourceKey | undefined {
  if (typeof value !== 'string') {
    return undefined;
  }
  return REF_TOKEN.exec(value)?.[1];
}

/** Every resource named by a ref/att token anywhere inside a value, e.g. a service name. */
export function resourcesIn(value: string): ResourceKey[] {
  const keys: ResourceKey[] = [];
  for (const match of value.matchAll(TOKEN)) {
    const parsed = RESOURCE_TOKEN.exec(match[0]);
    if (parsed) {
      keys.push(resourceKey(parsed[1], parsed[2]));
    }
  }
  return keys;
}

export interface AzIndex {
  readonly region: string;
  readonly index: number;
}

export function parseAzToken(value: string): AzIndex | undefined {
  const m = AZ_TOKEN.exec(value);
  return m ? { region: m[1], index: Number(m[2]) } : undefined;
}

/** A human-readable rendering of a resolved value for finding messages. */
export function describeValue(value: string): string {
  return value.replace(TOKEN, (_whole, body: string) => {
    const az = parseAzToken(`{{${body}}}`);
    if (az) {
      return az.region === 'AWS::Region' ? `GetAZs[${az.index}]` : `GetAZs(${az.region})[${az.index}]`;
    }
    const [kind, rest] = splitOnce(body, ':');
    switch (kind) {
      case 'ref':
        return rest.split('.').slice(1).join('.');
      case 'att':
        return `${rest.split('.').slice(1).join('.')}`;
      case 'param':
        return `parameter ${rest.split('.').slice(1).join('.')}`;
      case 'azid':
        return `AZ id ${rest}`;
      default:
        return `\${${body}}`;
    }
  });
}

function splitOnce(value: string, separator: string): [string, string] {
  const at = value.indexOf(separator);
  return at < 0 ? [value, ''] : [value.slice(0, at), value.slice(at + 1)];
}
