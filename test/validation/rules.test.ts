import {
  Finding, FindingSeverity, GWLB_PATH_RULES, RuleId, UnresolvedRuleId,
} from '../../lib/validation';
import { ArchitectureOptions, buildArchitecture, testApp } from './fixture';
import { findingsOf, summary } from './helpers';

interface Layout {
  readonly options: ArchitectureOptions;
  readonly az: (i: number) => string;
  readonly securityPrefix: string;
  /** @default 'AppStack/' */
  readonly appPrefix?: string;
  /** App context, e.g. the cross-stack reference strength. @default - none */
  readonly context?: Record<string, unknown>;
}

const WEAK_REFERENCES = { '@aws-cdk/core:defaultCrossStackReferences': 'weak' };

const symbolic = (i: number) => `GetAZs[${i}]`;
const LAYOUTS: Array<[string, Layout]> = [
  ['one stack', { options: {}, az: symbolic, securityPrefix: 'AppStack/' }],
  ['separate stacks (cross-stack references)', { options: { separateStacks: true }, az: symbolic, securityPrefix: 'SecurityStack/' }],
  ['a nested security stack', { options: { nestedSecurity: true }, az: symbolic, securityPrefix: 'AppStack/Security/' }],
  ['env-aware stacks with literal AZs', { options: { literalAzs: true, separateStacks: true }, az: (i) => `eu-west-1${'abc'[i]}`, securityPrefix: 'SecurityStack/' }],
  ['separate stacks with weak references (Fn::GetStackOutput)', {
    options: { separateStacks: true }, az: symbolic, securityPrefix: 'SecurityStack/', context: WEAK_REFERENCES,
  }],
  ['env-aware stacks in a Stage with weak references', {
    options: { separateStacks: true, inStage: true, literalAzs: true }, az: (i) => `eu-west-1${'abc'[i]}`,
    securityPrefix: 'Prod/SecurityStack/', appPrefix: 'Prod/AppStack/', context: WEAK_REFERENCES,
  }],
];

interface Broken {
  readonly options: ArchitectureOptions;
  readonly ruleId: RuleId;
  /** AZ indices named by the finding. */
  readonly azs?: number[];
  /** Construct ids that must be among the finding's resources; `@` = in the security scope. */
  readonly resources: string[];
}

const BROKEN: Array<[string, Broken]> = [
  ['crossed AZs (edge and return route of AZ 0 use the AZ 1 endpoint)', { options: { crossAz: 0 }, ruleId: RuleId.EDGE_ROUTE_SAME_AZ, azs: [0], resources: ['AlbSubnet0', 'EdgeRoute0', 'GwlbEndpoint1'] }],
  ['missing IGW edge association', { options: { omitEdgeAssociation: true }, ruleId: RuleId.EDGE_ROUTE_SAME_AZ, azs: [0, 1], resources: ['AlbSubnet0', 'AlbSubnet1', 'Alb'] }],
  ['asymmetric return (AZ 1 replies through the AZ 0 endpoint)', { options: { asymmetricAz: 1 }, ruleId: RuleId.RETURN_ROUTE_SYMMETRY, azs: [1], resources: ['AlbSubnet1', 'AlbDefaultRoute1', 'GwlbEndpoint1'] }],
  ['endpoint subnet routing 0.0.0.0/0 back to its endpoint', { options: { endpointLoopAz: 0 }, ruleId: RuleId.ENDPOINT_SUBNET_EGRESS, azs: [0], resources: ['GwlbEndpoint0', 'EndpointSubnet0', 'EndpointDefaultRoute0'] }],
  ['endpoint service with the GWLB in NetworkLoadBalancerArns', { options: { gwlbInNlbField: true }, ruleId: RuleId.SERVICE_GWLB_ARNS, resources: ['@EndpointService', '@Gwlb'] }],
  ['GWLB listener forwarding to a TCP target group', { options: { applianceTargetProtocol: 'TCP' }, ruleId: RuleId.GENEVE_LISTENER, resources: ['@Gwlb', '@GwlbListener', '@ApplianceTargetGroup'] }],
  ['single-AZ appliance fleet (cross-zone on)', { options: { applianceAzs: [0], crossZone: true }, ruleId: RuleId.APPLIANCE_MULTI_AZ, azs: [0], resources: ['@ApplianceTargetGroup', '@ApplianceAsg'] }],
  ['GWLB AZ without appliances and cross-zone off', { options: { azCount: 3, applianceAzs: [0, 1] }, ruleId: RuleId.AZ_APPLIANCE_COVERAGE, azs: [2], resources: ['@Gwlb', '@GwlbSubnet2'] }],
  ['application targets in a public subnet', { options: { publicAppAz: 1 }, ruleId: RuleId.APP_TARGETS_PRIVATE, azs: [1], resources: ['AppSubnet1', 'AppDefaultRoute1', 'AppAsg', 'Alb'] }],
];

function constructPaths(finding: Finding): string[] {
  return finding.resources.map((r) => r.constructPath ?? '');
}

describe.each(LAYOUTS)('GWLB path rules, %s', (_layoutName, layout) => {
  test.each([2, 3])('a correct %d-AZ architecture has no finding', (azCount) => {
    expect(summary(findingsOf(buildArchitecture({ ...layout.options, azCount }, testApp(layout.context)).app))).toEqual([]);
  });

  test.each(BROKEN)('fails on %s with exactly its finding', (_name, broken) => {
    const findings = findingsOf(buildArchitecture({ ...layout.options, ...broken.options }, testApp(layout.context)).app);
    expect(summary(findings)).toEqual([`error ${broken.ruleId} ${broken.azs ? broken.azs.map(layout.az).join(', ') : '-'}`]);
    const [finding] = findings;
    const expected = broken.resources.map((id) => (id.startsWith('@') ? `${layout.securityPrefix}${id.slice(1)}` : `${layout.appPrefix ?? 'AppStack/'}${id}`));
    expect(constructPaths(finding)).toEqual(expect.arrayContaining(expected));
    expect(finding.message.length).toBeGreaterThan(40);
    expect(finding.fix.length).toBeGreaterThan(20);
  });
});

describe('GWLB path rules, other cases', () => {
  test('a consumer of a service from another account gets one warning and no error', () => {
    const findings = findingsOf(buildArchitecture({ externalServiceName: 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0' }).app);
    expect(summary(findings)).toEqual([`warning ${UnresolvedRuleId.R4} -`]);
    expect(findings[0].message).toContain('vpce-svc-0123456789abcdef0');
    expect(findings[0].resources.map((r) => r.logicalId)).toEqual(['GwlbEndpoint0', 'GwlbEndpoint1']);
  });

  test('fails a single-AZ fleet with cross-zone off on both fleet rules', () => {
    const findings = findingsOf(buildArchitecture({ applianceAzs: [0] }).app);
    expect(summary(findings)).toEqual([
      `error ${RuleId.APPLIANCE_MULTI_AZ} GetAZs[0]`,
      `error ${RuleId.AZ_APPLIANCE_COVERAGE} GetAZs[1]`,
    ]);
  });

  test('a 3-AZ GWLB with appliances in two AZs passes when cross-zone is on', () => {
    expect(findingsOf(buildArchitecture({ azCount: 3, applianceAzs: [0, 1], crossZone: true }).app)).toEqual([]);
  });

  test('fails on every broken AZ when two faults combine, in packet-path order', () => {
    const findings = findingsOf(buildArchitecture({ azCount: 3, crossAz: 2, publicAppAz: 0 }).app);
    expect(summary(findings)).toEqual([
      `error ${RuleId.EDGE_ROUTE_SAME_AZ} GetAZs[2]`,
      `error ${RuleId.APP_TARGETS_PRIVATE} GetAZs[0]`,
    ]);
  });

  test('every rule has a distinct id and a description', () => {
    const ids = GWLB_PATH_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(Object.values(RuleId)));
    GWLB_PATH_RULES.forEach((r) => expect(r.description.length).toBeGreaterThan(20));
  });

  test('errors are listed before warnings', () => {
    const findings = findingsOf(buildArchitecture({ crossAz: 0, externalServiceName: 'com.amazonaws.vpce.eu-west-1.vpce-svc-0abc' }).app);
    expect(findings.map((f) => f.severity)).toEqual([FindingSeverity.ERROR, FindingSeverity.WARNING]);
  });
});
