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

/**
 * A symbolic element of a list-valued deploy-time value, e.g. `Fn::Select [0, Fn::GetAtt Vpc.Ipv6CidrBlocks]`.
 * The same expression always gives the same token, so such values still compare by equality.
 */
export function itemToken(list: string, index: number): string {
  return `{{item:${flattenForToken(list)}#${index}}}`;
}

/** Block `index` of `Fn::Cidr [block, count, hostBits]` when the block is a deploy-time value. */
export function cidrToken(block: string, hostBits: string, index: number): string {
  return `{{cidr:${flattenForToken(block)}/${hostBits}#${index}}}`;
}

/** Block `index` of `hostBits` host bits of a deploy-time `block`, when the whole value is a cidr token. */
export interface CidrTokenParts {
  readonly block: string;
  readonly hostBits: number;
  readonly index: number;
}

export function parseCidrToken(value: string): CidrTokenParts | undefined {
  const m = /^\{\{cidr:([^{}]*)\/(\d+)#(\d+)\}\}$/.exec(value);
  return m ? { block: m[1], hostBits: Number(m[2]), index: Number(m[3]) } : undefined;
}

/** Whether the whole value is exactly one token (a deploy-time scalar or list). */
export function isSingleToken(value: string): boolean {
  return /^\{\{[^{}]*\}\}$/.test(value);
}

const OPEN = '\u0001';
const CLOSE = '\u0002';

/**
 * A human-readable rendering of a resolved value for finding messages. Tokens nested inside
 * other tokens (flattened to parentheses) are rendered innermost first.
 */
export function describeValue(value: string): string {
  let text = value.replace(TOKEN, (_whole, body: string) => `(${body})`);
  for (;;) {
    const next = text.replace(/\(([^()]*)\)/g, (whole, body: string) => renderToken(body) ?? whole.replace('(', OPEN).replace(')', CLOSE));
    if (next === text) {
      break;
    }
    text = next;
  }
  return text.split(OPEN).join('(').split(CLOSE).join(')');
}

function renderToken(body: string): string | undefined {
  const az = parseAzToken(`{{${body}}}`);
  if (az) {
    return az.region === 'AWS::Region' ? `GetAZs[${az.index}]` : `GetAZs${OPEN}${az.region}${CLOSE}[${az.index}]`;
  }
  const [kind, rest] = splitOnce(body, ':');
  const at = rest.lastIndexOf('#');
  switch (kind) {
    case 'ref':
    case 'att':
      return rest.split('.').slice(1).join('.');
    case 'param':
      return `parameter ${rest.split('.').slice(1).join('.')}`;
    case 'azid':
      return `AZ id ${rest}`;
    case 'item':
      return `${rest.slice(0, at)}[${rest.slice(at + 1)}]`;
    case 'cidr': {
      const slash = rest.lastIndexOf('/', at);
      return `Cidr${OPEN}${rest.slice(0, slash)}, ${rest.slice(slash + 1, at)} host bits${CLOSE}[${rest.slice(at + 1)}]`;
    }
    default:
      return body.startsWith('AWS::') ? `\${${body}}` : undefined;
  }
}

function splitOnce(value: string, separator: string): [string, string] {
  const at = value.indexOf(separator);
  return at < 0 ? [value, ''] : [value.slice(0, at), value.slice(at + 1)];
}
