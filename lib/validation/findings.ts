import { ModelNode } from './model-types';
import { describeValue } from './tokens';

/** Rule ids, as shown in the validation report and used to acknowledge a finding. */
export enum RuleId {
  /** The IGW edge route table sends each inspected subnet's CIDR (and each IPv6 CIDR, to a dual-stack endpoint) to a GWLB endpoint in the same AZ. */
  EDGE_ROUTE_SAME_AZ = 'GWLB-R1-EDGE-ROUTE-SAME-AZ',
  /** The inspected subnet's default route (0.0.0.0/0; ::/0 for IPv6) returns through the endpoint its inbound traffic came from. */
  RETURN_ROUTE_SYMMETRY = 'GWLB-R2-RETURN-ROUTE-SYMMETRY',
  /** The endpoint's subnet routes 0.0.0.0/0 (and ::/0 when it carries IPv6) to the IGW and never to a GWLB endpoint. */
  ENDPOINT_SUBNET_EGRESS = 'GWLB-R3-ENDPOINT-SUBNET-EGRESS',
  /** The endpoint service lists the GWLB under GatewayLoadBalancerArns. */
  SERVICE_GWLB_ARNS = 'GWLB-R4-SERVICE-GWLB-ARNS',
  /** Every GWLB listener forwards to a GENEVE:6081 target group. */
  GENEVE_LISTENER = 'GWLB-R4-GENEVE-LISTENER',
  /** An Auto Scaling group in at least two AZs registers into each GENEVE target group. */
  APPLIANCE_MULTI_AZ = 'GWLB-R4-APPLIANCE-MULTI-AZ',
  /** No AZ has a GWLB node but no appliance while cross-zone load balancing is off. */
  AZ_APPLIANCE_COVERAGE = 'GWLB-R4-AZ-APPLIANCE-COVERAGE',
  /** Application targets of an inspected load balancer sit in subnets without a route to an IGW. */
  APP_TARGETS_PRIVATE = 'GWLB-R5-APP-TARGETS-PRIVATE',
  /** The Transit Gateway attachment of an inspection VPC has appliance mode on. */
  TGW_APPLIANCE_MODE = 'GWLB-T1-APPLIANCE-MODE',
  /** Per AZ of the inspection attachment: attachment subnet -> endpoint -> (NAT) -> back, all in that AZ. */
  TGW_AZ_SYMMETRY = 'GWLB-T2-AZ-SYMMETRY',
  /** No subnet of a spoke VPC has a route that leaves the VPC without the inspection Transit Gateway. */
  TGW_SPOKE_ROUTE_BYPASS = 'GWLB-T3-SPOKE-ROUTE-BYPASS',
  /** No Transit Gateway association, propagation or route lets a spoke reach another spoke without the inspection attachment. */
  TGW_TABLE_BYPASS = 'GWLB-T4-TGW-TABLE-BYPASS',
}

/** Warning ids: a rule could not be evaluated because a value is unknown at synth time. */
export enum UnresolvedRuleId {
  R1 = 'GWLB-R1-UNRESOLVED',
  R2 = 'GWLB-R2-UNRESOLVED',
  R3 = 'GWLB-R3-UNRESOLVED',
  R4 = 'GWLB-R4-UNRESOLVED',
  R5 = 'GWLB-R5-UNRESOLVED',
  /** A centralized-inspection (Transit Gateway) rule could not be evaluated. */
  T = 'GWLB-T-UNRESOLVED',
}

/** Ids of findings about the input itself rather than the packet path. */
export enum InputRuleId {
  /** A template file cannot be read or parsed (error: it was not validated). */
  UNREADABLE = 'GWLB-INPUT-UNREADABLE',
  /** A nested stack's template is not available locally (e.g. an S3 TemplateURL), so its resources are not validated. */
  NESTED_STACK_NOT_LOADED = 'GWLB-INPUT-NESTED-STACK',
  /** More combinations of undecided conditions than the validator evaluates. */
  CONDITIONS_NOT_ALL_EVALUATED = 'GWLB-INPUT-CONDITIONS',
}

/** How bad a finding is. */
export enum FindingSeverity {
  /** A proven routing fault: fails synthesis. */
  ERROR = 'error',
  /** The path could not be proven (unresolvable value): reported, does not fail synthesis. */
  WARNING = 'warning',
}

/** A resource involved in a finding. */
export interface FindingResource {
  /** The logical id of the resource in its template. */
  readonly logicalId: string;
  /** The CloudFormation resource type, e.g. `AWS::EC2::Route`. */
  readonly resourceType: string;
  /** The stack (display name) the resource is in. */
  readonly stackName: string;
  /** The template file, when the template was read from one. */
  readonly templatePath?: string;
  /** The construct path (Metadata `aws:cdk:path`), when known. */
  readonly constructPath?: string;
  /** Where in the resource, e.g. `Properties/DestinationCidrBlock`. */
  readonly location?: string;
}

/** One result of the GWLB path validator. */
export interface Finding {
  /** The rule: a value of `RuleId`, `UnresolvedRuleId` or `InputRuleId`. */
  readonly ruleId: string;
  readonly severity: FindingSeverity;
  /** The Availability Zone concerned, when there is one (literal or `AZ #i (Fn::GetAZs ...)`). */
  readonly availabilityZone?: string;
  readonly message: string;
  readonly fix: string;
  readonly resources: FindingResource[];
  /**
   * When the finding holds only for some outcomes of conditions that cannot be decided at synth time:
   * the parameter values for which it holds, e.g. `Env = 'prod'`.
   * @default - it holds whatever the undecided parameters are
   */
  readonly conditions?: string;
  /** Parameter defaults the finding depends on (`Name = "value"`): it holds when the stack is deployed with them. */
  readonly assumedDefaults?: string[];
  /** The template file concerned, for findings about an input file (no resources). */
  readonly templatePath?: string;
}

/** A resource of a finding, optionally with the property at fault. */
export type Involved = ModelNode | [ModelNode, string];

export interface FindingProps {
  readonly availabilityZone?: string;
  readonly message: string;
  readonly fix: string;
  readonly resources: ReadonlyArray<Involved | undefined>;
}

/** A finding about an input file (unreadable, nested template missing). */
export function inputFinding(ruleId: InputRuleId, severity: FindingSeverity, templatePath: string | undefined, message: string, fix: string): Finding {
  return { ruleId, severity, message, fix, resources: [], templatePath };
}

/** Render any symbolic token left in a text (`{{param:S0.Cidr}}` -> `parameter Cidr`) for people. */
export function renderTokens(text: string): string {
  return text.replace(/\{\{[^{}]*\}\}/g, (token) => describeValue(token));
}

export function violation(ruleId: RuleId, props: FindingProps): Finding {
  return build(ruleId, FindingSeverity.ERROR, props);
}

export function unresolved(ruleId: UnresolvedRuleId, props: FindingProps): Finding {
  return build(ruleId, FindingSeverity.WARNING, props);
}

function build(ruleId: RuleId | UnresolvedRuleId, severity: FindingSeverity, props: FindingProps): Finding {
  const resources: FindingResource[] = [];
  const assumed = new Set<string>();
  for (const involved of props.resources) {
    if (!involved) {
      continue;
    }
    const [node, location] = Array.isArray(involved) ? involved : [involved, undefined];
    node.meta.assumedDefaults?.forEach((a) => assumed.add(a));
    if (resources.some((r) => r.logicalId === node.meta.logicalId && r.stackName === node.meta.stackName)) {
      continue;
    }
    resources.push({
      logicalId: node.meta.logicalId,
      resourceType: node.meta.type,
      stackName: node.meta.stackName,
      templatePath: node.meta.templatePath,
      constructPath: node.meta.constructPath,
      location,
    });
  }
  return {
    ruleId, severity, availabilityZone: props.availabilityZone, message: renderTokens(props.message), fix: renderTokens(props.fix), resources,
    assumedDefaults: assumed.size > 0 ? [...assumed].sort() : undefined,
  };
}

/** What a finding assumed, for reports: `Only when ...` and `Assuming parameter defaults ...`. */
export function findingContext(finding: Finding): string {
  const parts: string[] = [];
  if (finding.conditions) {
    parts.push(`Only when ${finding.conditions}.`);
  }
  if (finding.assumedDefaults?.length) {
    parts.push(`Assuming parameter defaults ${finding.assumedDefaults.join(', ')}.`);
  }
  return parts.join(' ');
}

/** `Stack/Path/Construct (LogicalId)` or `LogicalId in Stack`. */
export function describeResource(resource: FindingResource): string {
  return resource.constructPath ? `${resource.constructPath} (${resource.logicalId})` : `${resource.logicalId} in ${resource.stackName}`;
}

/** One line of text for a finding, as used in reports and logs. */
export function formatFinding(finding: Finding): string {
  const az = finding.availabilityZone ? ` [AZ ${finding.availabilityZone}]` : '';
  const resources = finding.resources.length ? ` Resources: ${finding.resources.map(describeResource).join('; ')}.`
    : (finding.templatePath ? ` File: ${finding.templatePath}.` : '');
  const context = findingContext(finding);
  return `${finding.severity.toUpperCase()} ${finding.ruleId}${az}: ${finding.message}${context ? ` ${context}` : ''}${resources} Fix: ${finding.fix}`;
}

/** The construct path of a node when known, else its logical id (for messages). */
export function nameOf(node: ModelNode): string {
  return node.meta.constructPath ?? node.meta.logicalId;
}
