/**
 * The server-name part of a policy: the `serverNames` rule field and the optional
 * `serverNameInspection` settings (see policy.ts for the document and README "Domain rules").
 *
 * ```json
 * "serverNameInspection": {"tlsPorts": [443], "httpPorts": [80], "quicPorts": [443],
 *   "noNameAction": "drop", "malformedAction": "drop",
 *   "maxBytes": 16384, "maxPackets": 32, "timeoutSeconds": 5, "maxPendingFlows": 16384}
 * ```
 * All fields optional (defaults shown, except noNameAction whose default is "the rules decide").
 */
import { DomainPatternError, DomainSet } from './domain-set';

export class NamePolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NamePolicyError';
  }
}

export type NameAction = 'allow' | 'drop';

/** Compiled `serverNameInspection` settings. */
export interface NameInspectionSettings {
  /** TCP server ports whose flows are read for a TLS ClientHello or an HTTP/1.x request. */
  readonly tcpPorts: ReadonlySet<number>;
  /** UDP server ports whose flows are read for a QUIC Initial. */
  readonly quicPorts: ReadonlySet<number>;
  /** Flows that show no name: undefined = the rules decide (name rules do not match). */
  readonly noNameAction: NameAction | undefined;
  /** Malformed, oversize, or incomplete within the bounds. */
  readonly malformedAction: NameAction;
  readonly maxBytes: number;
  readonly maxPackets: number;
  readonly timeoutMs: number;
  readonly maxPendingFlows: number;
}

export const NAME_DEFAULTS = {
  tlsPorts: [443], httpPorts: [80], quicPorts: [443], malformedAction: 'drop' as NameAction,
  maxBytes: 16384, maxPackets: 32, timeoutSeconds: 5, maxPendingFlows: 16384,
};

const FIELDS = new Set(['tlsPorts', 'httpPorts', 'quicPorts', 'noNameAction', 'malformedAction', 'maxBytes', 'maxPackets',
  'timeoutSeconds', 'maxPendingFlows']);

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** `serverNames` of a rule: a pattern or a non-empty array of patterns. */
export function parseServerNames(value: unknown, path: string): DomainSet {
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) throw new NamePolicyError(`${path}: must not be an empty array (omit the field to match any flow)`);
  return DomainSet.of(items.map((item, i) => {
    const at = Array.isArray(value) ? `${path}[${i}]` : path;
    if (typeof item !== 'string') throw new NamePolicyError(`${at}: ${show(item)} is not a server-name pattern string`);
    try {
      DomainSet.of([item]);
    } catch (e) {
      if (e instanceof DomainPatternError) throw new NamePolicyError(`${at}: ${e.message}`);
      throw e;
    }
    return item;
  }));
}

function ports(value: unknown, path: string, dflt: number[]): number[] {
  if (value === undefined) return dflt;
  if (!Array.isArray(value)) throw new NamePolicyError(`${path}: ${show(value)} is not an array of ports (use [] for none)`);
  return value.map((port, i) => {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NamePolicyError(`${path}[${i}]: ${show(port)} is not a port 1-65535`);
    return port as number;
  });
}

function action(value: unknown, path: string): NameAction | undefined {
  if (value === undefined) return undefined;
  const a = typeof value === 'string' ? value.toLowerCase() : value;
  if (a !== 'allow' && a !== 'drop') throw new NamePolicyError(`${path}: ${show(value)} is not "allow" or "drop"`);
  return a;
}

function bounded(value: unknown, path: string, dflt: number, min: number, max: number, integer: boolean): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new NamePolicyError(`${path}: ${show(value)} is not ${integer ? 'an integer' : 'a number'} ${min}-${max}`);
  }
  return value;
}

/**
 * Compiles `serverNameInspection` (undefined for defaults). `hasNameRules`: some rule has
 * `serverNames`. Returns null when nothing is to be inspected.
 */
export function parseNameInspection(value: unknown, hasNameRules: boolean): NameInspectionSettings | null {
  const path = 'serverNameInspection';
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new NamePolicyError(`${path}: ${show(value)} is not an object`);
  }
  const v = (value ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(v)) if (!FIELDS.has(key)) throw new NamePolicyError(`${path}.${key}: unknown field`);
  const noNameAction = action(v.noNameAction, `${path}.noNameAction`);
  if (!hasNameRules && noNameAction === undefined) {
    if (value !== undefined) {
      throw new NamePolicyError(`${path}: no rule has serverNames and noNameAction is not set, so no flow would be inspected`);
    }
    return null;
  }
  const tls = ports(v.tlsPorts, `${path}.tlsPorts`, NAME_DEFAULTS.tlsPorts);
  const http = ports(v.httpPorts, `${path}.httpPorts`, NAME_DEFAULTS.httpPorts);
  const quic = ports(v.quicPorts, `${path}.quicPorts`, NAME_DEFAULTS.quicPorts);
  if (tls.length + http.length + quic.length === 0) throw new NamePolicyError(`${path}: tlsPorts, httpPorts and quicPorts are all empty`);
  return {
    tcpPorts: new Set([...tls, ...http]),
    quicPorts: new Set(quic),
    noNameAction,
    malformedAction: action(v.malformedAction, `${path}.malformedAction`) ?? NAME_DEFAULTS.malformedAction,
    maxBytes: bounded(v.maxBytes, `${path}.maxBytes`, NAME_DEFAULTS.maxBytes, 512, 65536, true),
    maxPackets: bounded(v.maxPackets, `${path}.maxPackets`, NAME_DEFAULTS.maxPackets, 4, 1000, true),
    timeoutMs: bounded(v.timeoutSeconds, `${path}.timeoutSeconds`, NAME_DEFAULTS.timeoutSeconds, 0.1, 120, false) * 1000,
    maxPendingFlows: bounded(v.maxPendingFlows, `${path}.maxPendingFlows`, NAME_DEFAULTS.maxPendingFlows, 1, 1_000_000, true),
  };
}
