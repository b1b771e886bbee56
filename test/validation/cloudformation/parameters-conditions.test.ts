/**
 * Parameters and Conditions of hand-written CloudFormation: defaults are evaluated (and named in the
 * finding), values without a default are warnings, never "missing"; undecided conditions are checked
 * in every deployable combination, and an error names the combination it holds for.
 */
import { InputRuleId, RuleId, UnresolvedRuleId } from '../../../lib/validation';
import { edit, errorsOf, ids, PROVIDER, SPOKE, validateTexts } from './templates';

const spoke = (text: string) => validateTexts({ 'spoke.yaml': text });
const SERVICE_WARNING = `warning ${UnresolvedRuleId.R4}`; // the spoke consumes a service of another stack

describe('parameters', () => {
  test('a default route whose destination is a parameter defaulting to 0.0.0.0/0 returns through the endpoint: no error', () => {
    expect(ids(spoke(SPOKE))).toEqual([SERVICE_WARNING]);
  });

  test('fails when that parameter defaults to something else, and says which default it assumed', () => {
    const findings = errorsOf(spoke(edit(SPOKE, 'Egress: {Type: String, Default: 0.0.0.0/0}', 'Egress: {Type: String, Default: 10.0.0.0/8}')));
    expect(findings.map((f) => f.ruleId)).toEqual([RuleId.RETURN_ROUTE_SYMMETRY, RuleId.RETURN_ROUTE_SYMMETRY]);
    expect(findings[0].assumedDefaults).toEqual(expect.arrayContaining(['Egress = "10.0.0.0/8"', 'WebBlockA = "10.20.1.0/24"']));
    expect(findings[0].message).toContain('10.20.1.0/24');
  });

  test('a destination parameter without a default is a warning, never a missing default route', () => {
    const findings = spoke(edit(SPOKE, 'Egress: {Type: String, Default: 0.0.0.0/0}', 'Egress: {Type: String}'));
    expect(errorsOf(findings)).toEqual([]);
    const r2 = findings.filter((f) => f.ruleId === UnresolvedRuleId.R2);
    expect(r2).toHaveLength(2);
    expect(r2[0].message).toContain('parameter Egress');
    expect(r2[0].message).not.toMatch(/has no 0\.0\.0\.0\/0 route/);
  });

  test('CIDRs from parameters without defaults still compare: the edge route and the subnet use the same parameter', () => {
    const noDefaults = edit(edit(SPOKE, 'WebBlockA: {Type: String, Default: 10.20.1.0/24}', 'WebBlockA: {Type: String}'),
      'WebBlockB: {Type: String, Default: 10.20.2.0/24}', 'WebBlockB: {Type: String}');
    expect(ids(spoke(noDefaults))).toEqual([SERVICE_WARNING]);
    // ... and a swap of the two parameters in the edge routes is still caught
    const swapped = edit(noDefaults, 'DestinationCidrBlock: !Ref WebBlockA, VpcEndpointId: !Ref EndpointA', 'DestinationCidrBlock: !Ref WebBlockB, VpcEndpointId: !Ref EndpointA');
    expect(errorsOf(spoke(swapped)).map((f) => f.ruleId)).toContain(RuleId.EDGE_ROUTE_SAME_AZ);
  });

  const WITH_LB = edit(SPOKE, 'Outputs:\n', `  LbSubnetA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref SpokeVpc, CidrBlock: 10.20.31.0/24, AvailabilityZone: !Select [0, !GetAZs ""]}
  LbSubnetB:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref SpokeVpc, CidrBlock: 10.20.32.0/24, AvailabilityZone: !Select [1, !GetAZs ""]}
  LbAssocA: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref LbSubnetA, RouteTableId: !Ref WebTableA}}
  LbAssocB: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref LbSubnetB, RouteTableId: !Ref WebTableB}}
  WebLb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Scheme: !Ref LbScheme
      Subnets: [!Ref LbSubnetA, !Ref LbSubnetB]
Outputs:
`);
  const withScheme = (parameter: string) => edit(WITH_LB, 'Parameters:\n', `Parameters:\n  LbScheme: ${parameter}\n`);

  test('fails for an internet-facing load balancer whose Scheme parameter defaults to internet-facing (its subnets have no edge route)', () => {
    const findings = errorsOf(spoke(withScheme('{Type: String, Default: internet-facing}')));
    expect(findings.map((f) => f.ruleId)).toEqual([RuleId.EDGE_ROUTE_SAME_AZ, RuleId.EDGE_ROUTE_SAME_AZ]);
    expect(findings[0].resources.map((r) => r.logicalId)).toContain('WebLb');
    expect(findings[0].assumedDefaults).toContain('LbScheme = "internet-facing"');
  });

  test('an internal load balancer (parameter default) is not an entry point', () => {
    expect(ids(spoke(withScheme('{Type: String, Default: internal}')))).toEqual([SERVICE_WARNING]);
  });

  test('a Scheme parameter without a default is a warning naming the parameter, not silence', () => {
    const findings = spoke(withScheme('{Type: String, AllowedValues: [internet-facing, internal]}'));
    expect(errorsOf(findings)).toEqual([]);
    const scheme = findings.find((f) => f.ruleId === UnresolvedRuleId.R1);
    expect(scheme?.message).toMatch(/Cannot tell whether load balancer WebLb is internet-facing: its Scheme is parameter LbScheme/);
  });
});

describe('conditions', () => {
  // Egress of zone A either through the endpoint or straight to the IGW, chosen at deploy time.
  const choice = (order: 'inspected-first' | 'direct-first', edgeConditional = true) => {
    const inspected = `  WebEgressA:
    Type: AWS::EC2::Route
    Condition: Inspect
    Properties: {RouteTableId: !Ref WebTableA, DestinationCidrBlock: !Ref Egress, VpcEndpointId: !Ref EndpointA}
`;
    const direct = `  WebDirectA:
    Type: AWS::EC2::Route
    Condition: Direct
    Properties: {RouteTableId: !Ref WebTableA, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}
`;
    let text = edit(SPOKE, `  WebEgressA:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref WebTableA, DestinationCidrBlock: !Ref Egress, VpcEndpointId: !Ref EndpointA}
`, order === 'inspected-first' ? inspected + direct : direct + inspected);
    text = edit(text, 'Conditions:\n', 'Conditions:\n  Inspect: !Equals [!Ref InspectZoneA, "on"]\n  Direct: !Not [!Condition Inspect]\n');
    text = edit(text, 'Parameters:\n', 'Parameters:\n  InspectZoneA: {Type: String, AllowedValues: ["on", "off"]}\n');
    if (edgeConditional) {
      text = edit(text, '  EdgeToA:\n    Type: AWS::EC2::Route\n', '  EdgeToA:\n    Type: AWS::EC2::Route\n    Condition: Inspect\n');
    }
    return text;
  };

  test.each(['inspected-first', 'direct-first'] as const)('two mutually exclusive default routes (%s): no error in either outcome', (order) => {
    expect(ids(spoke(choice(order)))).toEqual([SERVICE_WARNING]);
  });

  test('fails only in the outcome that is faulty, and names it', () => {
    // the edge route stays when zone A egresses directly: inbound inspected, replies not
    const findings = errorsOf(spoke(choice('direct-first', false)));
    expect(findings.map((f) => f.ruleId)).toEqual([RuleId.RETURN_ROUTE_SYMMETRY]);
    expect(findings[0].conditions).toBe("InspectZoneA = 'off'");
    expect(findings[0].message).toMatch(/Asymmetric path/);
  });

  test('a condition decided by a parameter default removes its resources; the finding names the default', () => {
    const conditional = edit(edit(SPOKE, 'Conditions:\n', 'Conditions:\n  InspectB: !Equals [!Ref InspectZoneB, "true"]\n'),
      '  EdgeToB:\n    Type: AWS::EC2::Route\n', '  EdgeToB:\n    Type: AWS::EC2::Route\n    Condition: InspectB\n');
    const off = errorsOf(spoke(edit(conditional, 'Parameters:\n', 'Parameters:\n  InspectZoneB: {Type: String, Default: "false"}\n')));
    expect(off.map((f) => `${f.ruleId} ${f.resources[0].logicalId}`)).toEqual([`${RuleId.EDGE_ROUTE_SAME_AZ} WebSubnetB`]);
    expect(off[0].assumedDefaults).toContain('InspectZoneB = "false"');
    expect(off[0].message).toMatch(/asymmetric/);
    expect(ids(spoke(edit(conditional, 'Parameters:\n', 'Parameters:\n  InspectZoneB: {Type: String, Default: "true"}\n')))).toEqual([SERVICE_WARNING]);
  });

  test('Fn::If in a route target is evaluated (fails when the default picks the other zone\'s endpoint)', () => {
    const swap = (value: string) => edit(edit(edit(SPOKE, 'Parameters:\n', `Parameters:\n  SwapZones: {Type: String, Default: "${value}"}\n`),
      'Conditions:\n', 'Conditions:\n  Swap: !Equals [!Ref SwapZones, "yes"]\n'),
      'DestinationCidrBlock: !Ref WebBlockA, VpcEndpointId: !Ref EndpointA', 'DestinationCidrBlock: !Ref WebBlockA, VpcEndpointId: !If [Swap, !Ref EndpointB, !Ref EndpointA]');
    expect(ids(spoke(swap('no')))).toEqual([SERVICE_WARNING]);
    expect(errorsOf(spoke(swap('yes'))).map((f) => f.ruleId)).toEqual([RuleId.EDGE_ROUTE_SAME_AZ, RuleId.RETURN_ROUTE_SYMMETRY]);
  });

  test('Fn::If in target group Targets is evaluated', () => {
    const targets = (value: string) => edit(edit(edit(PROVIDER, 'Parameters:\n', `Parameters:\n  SecondAppliance: {Type: String, Default: "${value}"}\n`),
      'Resources:\n', 'Conditions:\n  Two: !Equals [!Ref SecondAppliance, "yes"]\nResources:\n'),
      '        - Id: !Ref Appliance2\n', '        - !If [Two, {Id: !Ref Appliance2}, !Ref "AWS::NoValue"]\n');
    expect(errorsOf(validateTexts({ 'p.yaml': targets('no') })).map((f) => f.ruleId)).toEqual([RuleId.APPLIANCE_MULTI_AZ]);
    expect(errorsOf(validateTexts({ 'p.yaml': targets('yes') }))).toEqual([]);
  });

  const TRANSIT = (dependsOn: boolean) => {
    let text = edit(SPOKE, 'Parameters:\n', 'Parameters:\n  TransitId: {Type: String}\n');
    text = edit(text, 'Conditions:\n', 'Conditions:\n  Attached: !Not [!Equals [!Ref TransitId, ""]]\n');
    text = edit(text, '  WebEgressA:\n    Type: AWS::EC2::Route\n', '  WebEgressA:\n    Type: AWS::EC2::Route\n    Condition: Attached\n');
    return dependsOn ? edit(text, '  WebServerA:\n    Type: AWS::EC2::Instance\n', '  WebServerA:\n    Type: AWS::EC2::Instance\n    DependsOn: WebEgressA\n') : text;
  };

  test('an outcome CloudFormation cannot deploy (a created resource depends on one that is not) gives no error', () => {
    expect(errorsOf(spoke(TRANSIT(true)))).toEqual([]);
  });

  test('fails in the deployable outcome without the route', () => {
    const findings = errorsOf(spoke(TRANSIT(false)));
    expect(findings.map((f) => f.ruleId)).toEqual([RuleId.RETURN_ROUTE_SYMMETRY]);
    expect(findings[0].conditions).toBe("TransitId = ''");
  });
});

describe('many undecided conditions', () => {
  test('more combinations than the limit give a GWLB-INPUT-CONDITIONS warning naming the parameters', () => {
    const names = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7'];
    let text = edit(SPOKE, 'Parameters:\n', `Parameters:\n${names.map((n) => `  ${n}: {Type: String}\n`).join('')}`);
    text = edit(text, 'Conditions:\n', `Conditions:\n${names.map((n) => `  Is${n}: !Equals [!Ref ${n}, "x"]\n`).join('')}`);
    text = edit(text, '  JumpServer:\n    Type: AWS::EC2::Instance\n    Condition: JumpHost\n', `${names.map((n) => `  Host${n}:\n    Type: AWS::EC2::Instance\n    Condition: Is${n}\n    Properties: {ImageId: ami-1, SubnetId: !Ref EndpointSubnetA}\n`).join('')}  JumpServer:\n    Type: AWS::EC2::Instance\n    Condition: JumpHost\n`);
    const findings = spoke(text);
    const warning = findings.find((f) => f.ruleId === InputRuleId.CONDITIONS_NOT_ALL_EVALUATED);
    expect(warning?.message).toBe('The conditions depend on 7 parameters without defaults (P1, P2, P3, P4, P5, P6, P7): 64 combinations were checked, 64 were not.');
    expect(errorsOf(findings)).toEqual([]);
  });
});
