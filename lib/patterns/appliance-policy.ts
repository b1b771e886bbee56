import { readFileSync } from 'fs';
import { Duration, Token } from 'aws-cdk-lib';
import { parsePolicy, PolicyError } from '../agent/policy';
import { AppliancePolicyError } from './appliance-policy-error';

/** What the appliance agent does with a packet a rule matches (or, as default action, no rule matches). */
export enum RuleAction {
  /** Forward the packet back to the Gateway Load Balancer. */
  ALLOW = 'allow',
  /** Do not return the packet: the Gateway Load Balancer drops it. */
  DROP = 'drop',
}

/** The inner IP protocol a rule matches. */
export class RuleProtocol {
  /** TCP (6). */
  public static readonly TCP = new RuleProtocol('tcp');
  /** UDP (17). */
  public static readonly UDP = new RuleProtocol('udp');
  /** ICMP for IPv4 (1). */
  public static readonly ICMP = new RuleProtocol('icmp');
  /** ICMPv6 (58). */
  public static readonly ICMPV6 = new RuleProtocol('icmpv6');
  /** SCTP (132). */
  public static readonly SCTP = new RuleProtocol('sctp');

  /** Any IP protocol by number, 0..255 (for IPv6, the last Next Header). */
  public static number(protocolNumber: number): RuleProtocol {
    if (!Number.isInteger(protocolNumber) || protocolNumber < 0 || protocolNumber > 255) {
      throw new AppliancePolicyError(`RuleProtocol.number: protocolNumber must be an integer 0..255, got ${protocolNumber}`);
    }
    return new RuleProtocol(protocolNumber);
  }

  /** The value written to the policy document: a protocol name (`tcp`) or a decimal number (`47`). */
  public readonly value: string;

  private constructor(value: string | number) {
    this.value = String(value);
  }
}

/** A port or an inclusive range of ports that a rule matches. */
export class PortRange {
  /** A single port, 0..65535. */
  public static port(port: number): PortRange {
    return new PortRange(port, port);
  }

  /** The ports `startPort` to `endPort`, inclusive; `startPort <= endPort`. */
  public static between(startPort: number, endPort: number): PortRange {
    return new PortRange(startPort, endPort);
  }

  /** The first port of the range. */
  public readonly startPort: number;

  /** The last port of the range (equal to `startPort` for a single port). */
  public readonly endPort: number;

  private constructor(startPort: number, endPort: number) {
    for (const [name, value] of [['startPort', startPort], ['endPort', endPort]] as const) {
      if (Token.isUnresolved(value) || !Number.isInteger(value) || value < 0 || value > 65535) {
        throw new AppliancePolicyError(`PortRange: ${name} must be a concrete integer 0..65535, got ${value}`);
      }
    }
    if (startPort > endPort) {
      throw new AppliancePolicyError(`PortRange: startPort (${startPort}) must not exceed endPort (${endPort})`);
    }
    this.startPort = startPort;
    this.endPort = endPort;
  }
}

/** The policy document form of a port range: a number for a single port, `"start-end"` for a range. */
function portRangeJson(range: PortRange): number | string {
  return range.startPort === range.endPort ? range.startPort : `${range.startPort}-${range.endPort}`;
}

/** The policy document form of a protocol: the number for a numbered protocol, else its name. */
function protocolJson(protocol: RuleProtocol): number | string {
  return /^[0-9]+$/.test(protocol.value) ? Number(protocol.value) : protocol.value;
}

/**
 * One rule of an appliance policy. A rule matches a packet when every condition it has holds;
 * the first matching rule decides, otherwise the policy's default action.
 */
export interface ApplianceRule {
  /**
   * A unique name, shown in drop logs and metrics.
   * @default `rules[<index>]`
   */
  readonly name?: string;

  /** What to do with a matching packet. */
  readonly action: RuleAction;

  /**
   * The inner IP protocol.
   * @default - any protocol
   */
  readonly protocol?: RuleProtocol;

  /**
   * Source IPv4 or IPv6 CIDR blocks (or addresses); CDK tokens are allowed.
   * @default - any source
   */
  readonly sources?: string[];

  /**
   * Destination IPv4 or IPv6 CIDR blocks (or addresses); CDK tokens are allowed.
   * @default - any destination
   */
  readonly destinations?: string[];

  /**
   * Source ports (TCP, UDP or SCTP only).
   * @default - any source port
   */
  readonly sourcePorts?: PortRange[];

  /**
   * Destination ports (TCP, UDP or SCTP only).
   * @default - any destination port
   */
  readonly destinationPorts?: PortRange[];

  /**
   * UTF-8 text that must occur in one packet's L4 payload (no stream reassembly).
   * Not together with `payloadHex`.
   * @default - no payload condition
   */
  readonly payloadContains?: string;

  /**
   * Bytes, as an even-length hex string, that must occur in one packet's L4 payload.
   * Not together with `payloadContains`.
   * @default - no payload condition
   */
  readonly payloadHex?: string;

  /**
   * Server names of the flow (TLS SNI, HTTP/1.x Host, QUIC SNI): `example.com` (exactly),
   * `*.example.com` (names below it, not the apex), `.example.com` (the apex and names below),
   * `*` (any name). Case-insensitive; Unicode names are compared in their `xn--` form. The rule
   * then decides per flow, for both directions. Not together with payload conditions.
   * @default - no server-name condition
   */
  readonly serverNames?: string[];
}

/**
 * How the agent reads server names (used when a rule has `serverNames` or `noNameAction` is set).
 * Packets of a flow pass while its name is read; the verdict then applies to the whole flow.
 */
export interface ServerNameInspectionOptions {
  /**
   * TCP server ports read for a TLS ClientHello (or an HTTP request); an empty list reads none.
   * @default [443]
   */
  readonly tlsPorts?: number[];

  /**
   * TCP server ports read for an HTTP/1.x request (or a TLS ClientHello); an empty list reads none.
   * @default [80]
   */
  readonly httpPorts?: number[];

  /**
   * UDP server ports read for a QUIC Initial (the SNI of HTTP/3); an empty list reads none.
   * @default [443]
   */
  readonly quicPorts?: number[];

  /**
   * The verdict for read flows that show no name (not TLS, HTTP or QUIC; no SNI; no Host).
   * @default - the rules decide: no `serverNames` rule matches the flow, so later rules or the default action apply
   */
  readonly noNameAction?: RuleAction;

  /**
   * The verdict for malformed or oversize handshakes, and for handshakes not complete within the bounds.
   * @default RuleAction.DROP
   */
  readonly malformedAction?: RuleAction;

  /**
   * Bytes of the client stream read at most (512..65536).
   * @default 16384
   */
  readonly maxBytes?: number;

  /**
   * Packets of a flow (both directions) forwarded at most before its verdict (4..1000).
   * @default 32
   */
  readonly maxPackets?: number;

  /**
   * Time from a flow's first packet to its verdict at most (0.1..120 seconds).
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;

  /**
   * Flows whose name is being read at once; a new flow beyond it gets `malformedAction`.
   * @default 16384
   */
  readonly maxPendingFlows?: number;
}

/** Properties of {@link AppliancePolicy.fromRules}. */
export interface AppliancePolicyProps {
  /**
   * The action for packets no rule matches.
   * @default RuleAction.ALLOW
   */
  readonly defaultAction?: RuleAction;

  /**
   * The rules, evaluated in order; the first match decides.
   * @default - no rules
   */
  readonly rules?: ApplianceRule[];

  /**
   * Ports, bounds and verdicts of server-name reading.
   * @default - ports 443 (TLS, QUIC) and 80 (HTTP), malformed handshakes dropped, bounds 16384 bytes / 32 packets / 5 s
   */
  readonly serverNameInspection?: ServerNameInspectionOptions;
}

/** Placeholders used in place of a CDK token when the document is validated at synth time. */
const TOKEN_CIDR_PLACEHOLDER = '0.0.0.0/0';
const TOKEN_NAME_PLACEHOLDER = 'token.invalid';

/**
 * The inspection policy of the bundled appliance agent, written to
 * `/etc/gwlb-agent/policy.json` on every appliance.
 *
 * Every policy is validated with the agent's own parser when it is created, so a policy the
 * agent would reject fails synthesis instead of failing on the appliances.
 */
export class AppliancePolicy {
  /** Forward every packet (the agent's behaviour without a policy). */
  public static allowAll(): AppliancePolicy {
    return AppliancePolicy.fromRules({ defaultAction: RuleAction.ALLOW });
  }

  /** A policy from typed rules. */
  public static fromRules(props: AppliancePolicyProps): AppliancePolicy {
    const rules = props.rules ?? [];
    const document: Record<string, unknown> = { defaultAction: props.defaultAction ?? RuleAction.ALLOW };
    if (rules.length > 0) {
      document.rules = rules.map(renderRule);
    }
    if (props.serverNameInspection !== undefined) {
      document.serverNameInspection = renderInspection(props.serverNameInspection);
    }
    return new AppliancePolicy(document, 'AppliancePolicy.fromRules');
  }

  /**
   * A policy from a JSON file in the agent's policy format (read and validated at synth time).
   */
  public static fromFile(path: string): AppliancePolicy {
    const where = `AppliancePolicy.fromFile(${path})`;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new AppliancePolicyError(`${where}: cannot read the file: ${(e as Error).message}`);
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (e) {
      throw new AppliancePolicyError(`${where}: invalid JSON: ${(e as Error).message}`);
    }
    return new AppliancePolicy(document, where);
  }

  /** The number of rules. */
  public readonly ruleCount: number;

  private readonly document: unknown;

  private constructor(document: unknown, where: string) {
    try {
      this.ruleCount = parsePolicy(withTokensReplaced(document)).ruleCount;
    } catch (e) {
      if (e instanceof PolicyError) {
        throw new AppliancePolicyError(`${where}: invalid policy: ${e.message}`);
      }
      throw e;
    }
    this.document = document;
  }

  /** The policy document as compact JSON, the value of the SSM policy parameter (may contain CDK tokens). */
  public toParameterValue(): string {
    return JSON.stringify(this.document);
  }

  /**
   * The size of {@link toParameterValue} in bytes once deployed, counting each CDK token as the
   * longest address it could become (an IPv6 CIDR, 43 characters).
   */
  public estimatedParameterBytes(): number {
    return Buffer.byteLength(JSON.stringify(withTokensReplaced(this.document, LONGEST_CIDR)));
  }

  /** The policy document as the agent reads it, pretty-printed (may contain CDK tokens). */
  public toJson(): string {
    return JSON.stringify(this.document, undefined, 2);
  }
}

function renderRule(rule: ApplianceRule): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (rule.name !== undefined) out.name = rule.name;
  out.action = rule.action;
  if (rule.protocol !== undefined) out.protocol = protocolJson(rule.protocol);
  if (rule.sources !== undefined) out.source = rule.sources;
  if (rule.destinations !== undefined) out.destination = rule.destinations;
  if (rule.sourcePorts !== undefined) out.sourcePorts = rule.sourcePorts.map(portRangeJson);
  if (rule.destinationPorts !== undefined) out.destinationPorts = rule.destinationPorts.map(portRangeJson);
  if (rule.payloadContains !== undefined) out.payloadContains = rule.payloadContains;
  if (rule.payloadHex !== undefined) out.payloadHex = rule.payloadHex;
  if (rule.serverNames !== undefined) out.serverNames = rule.serverNames;
  return out;
}

function renderInspection(o: ServerNameInspectionOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o.tlsPorts !== undefined) out.tlsPorts = o.tlsPorts;
  if (o.httpPorts !== undefined) out.httpPorts = o.httpPorts;
  if (o.quicPorts !== undefined) out.quicPorts = o.quicPorts;
  if (o.noNameAction !== undefined) out.noNameAction = o.noNameAction;
  if (o.malformedAction !== undefined) out.malformedAction = o.malformedAction;
  if (o.maxBytes !== undefined) out.maxBytes = o.maxBytes;
  if (o.maxPackets !== undefined) out.maxPackets = o.maxPackets;
  if (o.timeout !== undefined) {
    if (o.timeout.isUnresolved()) throw new AppliancePolicyError('serverNameInspection.timeout: must be a concrete duration, not a token');
    out.timeoutSeconds = o.timeout.toMilliseconds() / 1000;
  }
  if (o.maxPendingFlows !== undefined) out.maxPendingFlows = o.maxPendingFlows;
  return out;
}

/**
 * A copy of the document in which every string that is a CDK token (such as a VPC CIDR block
 * resolved at deploy time) is replaced by a valid placeholder, so that the rest can be validated.
 */
function withTokensReplaced(value: unknown, placeholder = TOKEN_CIDR_PLACEHOLDER): unknown {
  if (typeof value === 'string') {
    return Token.isUnresolved(value) ? placeholder : value;
  }
  if (Array.isArray(value)) {
    return value.map((v) => withTokensReplaced(v, placeholder));
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) =>
      [k, withTokensReplaced(v, k === 'serverNames' ? TOKEN_NAME_PLACEHOLDER : placeholder)]));
  }
  return value;
}

/** The longest CIDR a token may stand for: an IPv6 address with a prefix length. */
const LONGEST_CIDR = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128';
