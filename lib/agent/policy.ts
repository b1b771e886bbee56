/**
 * Inspection policy: JSON document, validation and the compiled matcher.
 *
 * ```json
 * {"defaultAction": "allow",
 *  "rules": [{"name": "no-telnet", "action": "drop", "protocol": "tcp", "destinationPorts": [23, "8000-8080"],
 *             "source": ["192.0.2.0/24", "2001:db8:bad::/48"], "payloadContains": "EVIL"}]}
 * ```
 * - `defaultAction` is required; `rules` is optional (default: none). Every field of a rule is
 *   optional. An absent `action` is the opposite of `defaultAction` (a rule in an allow-by-default
 *   policy singles out traffic to drop, and in a drop-by-default policy traffic to allow); an
 *   absent condition matches everything, so `{"action": "drop"}` drops all. Actions and protocol
 *   names are case-insensitive.
 *   A rule matches when every condition it has holds; the first matching rule decides, otherwise
 *   `defaultAction`.
 * - `name`: non-empty, unique; default `rules[<index>]`. Shown in drop events.
 * - `protocol`: "tcp", "udp", "icmp" (IPv4 ICMP, 1), "icmpv6" (58), "sctp" (132), or 0..255
 *   (for IPv6, the last Next Header).
 * - `source` / `destination`: an IPv4 or IPv6 CIDR (or bare address) or a non-empty array of them;
 *   an IPv4 CIDR never matches an IPv6 packet and vice versa.
 * - `sourcePorts` / `destinationPorts`: a port, "a-b" range, or a non-empty array of them. A rule
 *   with ports matches only packets with ports (TCP, UDP, SCTP, not non-first fragments); giving
 *   ports with a protocol that has none is an error.
 * - `payloadContains` (UTF-8 text) / `payloadHex` (even-length hex): bytes that must occur within
 *   ONE packet's L4 payload (no stream reassembly). Mutually exclusive. A `drop` rule with a
 *   payload condition also blocks its flow until the flow idles out (see inspector.ts).
 * - `serverNames`: a server-name pattern or a non-empty array of them (domain-set.ts): the rule
 *   matches a FLOW whose TLS SNI / HTTP Host / QUIC SNI is in the set. Its other conditions are
 *   checked once, on the client->server packet that completes the name; the verdict then holds
 *   for both directions of the flow (a drop blocks the flow). Not with payload conditions.
 *   The optional top-level `serverNameInspection` object sets ports, bounds and the verdicts for
 *   flows without a (readable) name (name-policy.ts, server-names.ts).
 * - Unknown fields and wrong types are errors ({@link PolicyError}) naming the path and value.
 */
import { readFileSync } from 'fs';
import { CidrError, CidrSet, parseCidr } from './cidr';
import { DomainSet } from './domain-set';
import { NameInspectionSettings, NamePolicyError, parseNameInspection, parseServerNames } from './name-policy';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, ParsedPacket } from './packet';

export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

export type PolicyAction = 'allow' | 'drop';
export type PortSpec = number | string;

export interface PolicyRuleDocument {
  name?: string;
  action: PolicyAction;
  protocol?: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'sctp' | number;
  source?: string | string[];
  destination?: string | string[];
  sourcePorts?: PortSpec | PortSpec[];
  destinationPorts?: PortSpec | PortSpec[];
  payloadContains?: string;
  payloadHex?: string;
  serverNames?: string | string[];
}

export interface PolicyDocument {
  defaultAction: PolicyAction;
  rules?: PolicyRuleDocument[];
  serverNameInspection?: Record<string, unknown>;
}

const PROTOCOL_NAMES: Readonly<Record<string, number>> = {
  tcp: IPPROTO_TCP, udp: IPPROTO_UDP, icmp: IPPROTO_ICMP, icmpv6: IPPROTO_ICMPV6, sctp: IPPROTO_SCTP,
};
/** Protocols whose header starts with source and destination ports. */
function hasPorts(protocol: number): boolean {
  return protocol === IPPROTO_TCP || protocol === IPPROTO_UDP || protocol === IPPROTO_SCTP;
}
const DOCUMENT_FIELDS = new Set(['defaultAction', 'rules', 'serverNameInspection']);
const RULE_FIELDS = new Set(['name', 'action', 'protocol', 'source', 'destination', 'sourcePorts',
  'destinationPorts', 'payloadContains', 'payloadHex', 'serverNames']);
const ANY_PROTOCOL = -1;

/** One compiled rule; fields are flat so the matcher stays monomorphic. */
export interface CompiledRule {
  readonly name: string;
  readonly drop: boolean;
  /** -1 for any. */
  readonly protocol: number;
  readonly source: CidrSet | null;
  readonly destination: CidrSet | null;
  /** Flat [low, high, low, high, ...] inclusive ranges, or null for any. */
  readonly sourcePorts: Int32Array | null;
  readonly destinationPorts: Int32Array | null;
  /** Bytes to find in the L4 payload, or null. */
  readonly payload: Buffer | null;
  /** Server names of a flow, or null (not a name rule). */
  readonly serverNames: DomainSet | null;
}

/**
 * A flow's server-name state as the rule walk sees it ({@link CompiledPolicy.matchFlow}):
 * a name rule index (>= 0) the flow's name matched, or one of these.
 */
export const FlowName = {
  /** Matched no name rule (or showed no name): name rules do not match, defaultAction applies. */
  NO_MATCH: -1,
  /** Allowed as a flow (noNameAction/malformedAction "allow", or a verdict from before a reload): name rules do not match, no default drop. */
  ALLOWED: -2,
  /** Not a flow that is inspected for a name. */
  NOT_INSPECTED: -3,
  /** The name is not known yet: the first name rule reached forwards the packet. */
  PENDING: -4,
} as const;

/** {@link CompiledPolicy.matchFlow} result: forward, the flow's name is pending. */
export const MATCH_PENDING = -2;

function portsMatch(ranges: Int32Array, port: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) if (port >= ranges[i] && port <= ranges[i + 1]) return true;
  return false;
}

/** True when `rule` matches the parsed packet whose bytes are in `buf`. Allocation free. */
export function ruleMatches(rule: CompiledRule, p: ParsedPacket, buf: Buffer): boolean {
  if (rule.protocol !== ANY_PROTOCOL && rule.protocol !== p.protocol) return false;
  if (rule.sourcePorts !== null || rule.destinationPorts !== null) {
    if (!p.hasL4Header || !hasPorts(p.protocol)) return false;
    if (rule.sourcePorts !== null && !portsMatch(rule.sourcePorts, p.srcPort)) return false;
    if (rule.destinationPorts !== null && !portsMatch(rule.destinationPorts, p.dstPort)) return false;
  }
  if (rule.source !== null && !rule.source.contains(p.ipVersion, p.src)) return false;
  if (rule.destination !== null && !rule.destination.contains(p.ipVersion, p.dst)) return false;
  if (rule.payload !== null) {
    const pattern = rule.payload;
    const end = p.payloadOffset + p.payloadLength;
    if (p.payloadLength < pattern.length) return false;
    // indexOf searches to the end of the buffer: when the packet is one of many in a larger buffer
    // (native batch I/O, batch-io.ts), search a view that ends with the payload, not the whole buffer.
    const hay = buf.length > end ? buf.subarray(0, end) : buf;
    // indexOf finds the first occurrence at or after the start; if that one crosses `end`, all later ones do.
    const at = hay.indexOf(pattern, p.payloadOffset);
    if (at < 0 || at + pattern.length > end) return false;
  }
  return true;
}

/** A validated policy compiled for matching. Immutable. */
export class CompiledPolicy {
  readonly ruleCount: number;
  readonly defaultAction: PolicyAction;
  readonly defaultDrop: boolean;
  readonly rules: readonly CompiledRule[];
  /** True when some drop rule has a payload condition (such drops block their flow). */
  readonly hasPayloadRules: boolean;
  /** Server-name inspection settings, or null when no rule needs names. */
  readonly names: NameInspectionSettings | null;
  /** Indexes of the rules with serverNames, in order. */
  readonly nameRules: readonly number[];

  constructor(defaultAction: PolicyAction, rules: readonly CompiledRule[], names: NameInspectionSettings | null = null) {
    this.defaultAction = defaultAction;
    this.defaultDrop = defaultAction === 'drop';
    this.rules = rules;
    this.ruleCount = rules.length;
    this.hasPayloadRules = rules.some(r => r.payload !== null);
    this.names = names;
    this.nameRules = rules.flatMap((r, i) => (r.serverNames !== null ? [i] : []));
  }

  /** Index of the first rule matching the packet, or -1 when none does (defaultAction applies). */
  match(p: ParsedPacket, buf: Buffer): number {
    return this.matchFlow(p, buf, FlowName.NOT_INSPECTED);
  }

  /**
   * Like {@link match} for a packet of a flow in server-name state `flowName` ({@link FlowName}
   * or a name rule index): a name rule matches only the flow whose name matched it (its packet
   * conditions were checked when the name was read); a PENDING flow gets MATCH_PENDING at the
   * first name rule reached.
   */
  matchFlow(p: ParsedPacket, buf: Buffer, flowName: number): number {
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (rule.serverNames !== null) {
        if (flowName === i) return i;
        if (flowName === FlowName.PENDING) return MATCH_PENDING;
      } else if (ruleMatches(rule, p, buf)) {
        return i;
      }
    }
    return -1;
  }

  /** The first name rule whose packet conditions hold for `p` (client->server) and whose names contain `name`, or -1. */
  matchName(name: string, p: ParsedPacket, buf: Buffer): number {
    for (const i of this.nameRules) {
      const rule = this.rules[i];
      if (ruleMatches(rule, p, buf) && rule.serverNames!.has(name)) return i;
    }
    return -1;
  }

  /** True when the packet is to be dropped (first matching rule's action, else defaultAction). */
  drops(p: ParsedPacket, buf: Buffer): boolean {
    const i = this.match(p, buf);
    return i < 0 ? this.defaultDrop : this.rules[i].drop;
  }
}

/** A policy that allows everything (no policy file). */
export function allowAllPolicy(): CompiledPolicy {
  return new CompiledPolicy('allow', []);
}

// ---------------------------------------------------------------------------------------------
// Validation.

function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkFields(obj: Record<string, unknown>, allowed: ReadonlySet<string>, path: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.has(key)) throw new PolicyError(`${path}${path ? '.' : ''}${key}: unknown field`);
  }
}

function parseAction(value: unknown, path: string): PolicyAction {
  if (value === undefined) throw new PolicyError(`${path}: required field is missing (expected "allow" or "drop")`);
  const action = typeof value === 'string' ? value.toLowerCase() : value;
  if (action !== 'allow' && action !== 'drop') throw new PolicyError(`${path}: ${show(value)} is not "allow" or "drop"`);
  return action;
}

function parseProtocol(value: unknown, path: string): number {
  const name = typeof value === 'string' ? value.toLowerCase() : undefined;
  if (name !== undefined && Object.prototype.hasOwnProperty.call(PROTOCOL_NAMES, name)) return PROTOCOL_NAMES[name];
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 255) return value;
  throw new PolicyError(`${path}: ${show(value)} is not a valid protocol (expected "tcp", "udp", "icmp", "icmpv6", "sctp" or an integer 0-255)`);
}

function asList(value: unknown, path: string, what: string): { item: unknown; path: string }[] {
  if (!Array.isArray(value)) return [{ item: value, path }];
  if (value.length === 0) throw new PolicyError(`${path}: must not be an empty array (omit the field to match any ${what})`);
  return value.map((item, i) => ({ item, path: `${path}[${i}]` }));
}

function parseAddresses(value: unknown, path: string): CidrSet {
  return new CidrSet(asList(value, path, 'address').map(({ item, path: p }) => {
    if (typeof item !== 'string') throw new PolicyError(`${p}: ${show(item)} is not a CIDR string`);
    try {
      return parseCidr(item);
    } catch (e) {
      if (e instanceof CidrError) throw new PolicyError(`${p}: ${e.message}`);
      throw e;
    }
  }));
}

const PORT_RANGE = /^(0|[1-9][0-9]{0,4})(?:-(0|[1-9][0-9]{0,4}))?$/;

function parsePorts(value: unknown, path: string): Int32Array {
  const items = asList(value, path, 'port');
  const ranges = new Int32Array(items.length * 2);
  items.forEach(({ item, path: p }, i) => {
    let low: number, high: number;
    if (typeof item === 'number') {
      if (!Number.isInteger(item) || item < 0 || item > 65535) throw new PolicyError(`${p}: ${show(item)} is not a valid port (0-65535)`);
      low = high = item;
    } else if (typeof item === 'string') {
      const m = PORT_RANGE.exec(item);
      low = m ? Number(m[1]) : NaN;
      high = m && m[2] !== undefined ? Number(m[2]) : low;
      if (!m || low > 65535 || high > 65535 || low > high) throw new PolicyError(`${p}: ${show(item)} is not a valid port range`);
    } else {
      throw new PolicyError(`${p}: ${show(item)} is not a port number or "low-high" range`);
    }
    ranges[2 * i] = low;
    ranges[2 * i + 1] = high;
  });
  return ranges;
}

function parsePayload(rule: Record<string, unknown>, path: string): Buffer | null {
  const text = rule.payloadContains;
  const hex = rule.payloadHex;
  if (text !== undefined && hex !== undefined) {
    throw new PolicyError(`${path}: payloadContains and payloadHex are mutually exclusive`);
  }
  if (text !== undefined) {
    if (typeof text !== 'string' || text.length === 0) throw new PolicyError(`${path}.payloadContains: ${show(text)} is not a non-empty string`);
    return Buffer.from(text, 'utf8');
  }
  if (hex !== undefined) {
    if (typeof hex !== 'string' || !/^(?:[0-9a-fA-F]{2})+$/.test(hex)) {
      throw new PolicyError(`${path}.payloadHex: ${show(hex)} is not a non-empty, even-length hex string`);
    }
    return Buffer.from(hex, 'hex');
  }
  return null;
}

function parseRule(value: unknown, index: number, names: Set<string>, defaultAction: PolicyAction): CompiledRule {
  const path = `rules[${index}]`;
  if (!isObject(value)) throw new PolicyError(`${path}: ${show(value)} is not an object`);
  checkFields(value, RULE_FIELDS, path);
  let name = path;
  if (value.name !== undefined) {
    if (typeof value.name !== 'string' || value.name.trim() === '') throw new PolicyError(`${path}.name: ${show(value.name)} is not a non-empty string`);
    name = value.name;
  }
  if (names.has(name)) throw new PolicyError(`${path}.name: ${show(name)} is used by an earlier rule`);
  names.add(name);
  const action = value.action === undefined
    ? (defaultAction === 'allow' ? 'drop' : 'allow')
    : parseAction(value.action, `${path}.action`);
  const protocol = value.protocol === undefined ? ANY_PROTOCOL : parseProtocol(value.protocol, `${path}.protocol`);
  const sourcePorts = value.sourcePorts === undefined ? null : parsePorts(value.sourcePorts, `${path}.sourcePorts`);
  const destinationPorts = value.destinationPorts === undefined ? null : parsePorts(value.destinationPorts, `${path}.destinationPorts`);
  if ((sourcePorts || destinationPorts) && protocol !== ANY_PROTOCOL && !hasPorts(protocol)) {
    const field = sourcePorts ? 'sourcePorts' : 'destinationPorts';
    throw new PolicyError(`${path}.${field}: ports need protocol "tcp", "udp" or "sctp", not ${show(value.protocol)}`);
  }
  return {
    name,
    drop: action === 'drop',
    protocol,
    source: value.source === undefined ? null : parseAddresses(value.source, `${path}.source`),
    destination: value.destination === undefined ? null : parseAddresses(value.destination, `${path}.destination`),
    sourcePorts,
    destinationPorts,
    payload: parsePayload(value, path),
    serverNames: parseRuleServerNames(value, path),
  };
}

function parseRuleServerNames(rule: Record<string, unknown>, path: string): DomainSet | null {
  if (rule.serverNames === undefined) return null;
  if (rule.payloadContains !== undefined || rule.payloadHex !== undefined) {
    throw new PolicyError(`${path}: serverNames (a per-flow condition) cannot be combined with payloadContains/payloadHex (per packet)`);
  }
  const protocol = rule.protocol === undefined ? 'tcp' : String(rule.protocol).toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== '6' && protocol !== '17') {
    throw new PolicyError(`${path}.protocol: ${show(rule.protocol)} cannot carry server names (use "tcp", "udp" or omit it)`);
  }
  try {
    return parseServerNames(rule.serverNames, `${path}.serverNames`);
  } catch (e) {
    if (e instanceof NamePolicyError) throw new PolicyError(e.message);
    throw e;
  }
}

/** Validates and compiles a policy document (parsed JSON). Throws {@link PolicyError}. */
export function parsePolicy(doc: unknown): CompiledPolicy {
  if (!isObject(doc)) throw new PolicyError(`policy: ${show(doc)} is not a JSON object`);
  checkFields(doc, DOCUMENT_FIELDS, '');
  const defaultAction = parseAction(doc.defaultAction, 'defaultAction');
  if (doc.rules !== undefined && !Array.isArray(doc.rules)) throw new PolicyError(`rules: ${show(doc.rules)} is not an array`);
  const names = new Set<string>();
  const rules = ((doc.rules as unknown[] | undefined) ?? []).map((r, i) => parseRule(r, i, names, defaultAction));
  let inspection: NameInspectionSettings | null;
  try {
    inspection = parseNameInspection(doc.serverNameInspection, rules.some((r) => r.serverNames !== null));
  } catch (e) {
    if (e instanceof NamePolicyError) throw new PolicyError(e.message);
    throw e;
  }
  return new CompiledPolicy(defaultAction, rules, inspection);
}

/** Reads, parses and compiles a policy file. Throws {@link PolicyError} prefixed with the path. */
export function loadPolicyFile(path: string): CompiledPolicy {
  return loadPolicyText(path).policy;
}

/** loadPolicyFile, also returning the text it compiled (workers compile the same text). */
export function loadPolicyText(path: string): { text: string; policy: CompiledPolicy } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PolicyError(`${path}: cannot read policy file: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PolicyError(`${path}: invalid JSON: ${(e as Error).message}`);
  }
  try {
    return { text, policy: parsePolicy(doc) };
  } catch (e) {
    if (e instanceof PolicyError) throw new PolicyError(`${path}: ${e.message}`);
    throw e;
  }
}
