import { App, CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { RuleId, UnresolvedRuleId } from '../../lib/validation';
import { buildArchitecture, child, testApp } from './fixture';
import { findingsOf, summary } from './helpers';

describe('values that cannot be resolved give warnings, not guesses', () => {
  test('an internet-facing load balancer in imported subnets', () => {
    const { app, appStack } = buildArchitecture();
    new elbv2.CfnLoadBalancer(appStack, 'ImportedAlb', { scheme: 'internet-facing', subnets: ['subnet-0aaa', 'subnet-0bbb'] });
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`warning ${UnresolvedRuleId.R1} -`, `warning ${UnresolvedRuleId.R1} -`]);
    expect(findings[0].message).toContain('subnet-0aaa');
    expect(findings[0].resources[0]).toMatchObject({ logicalId: 'ImportedAlb', location: 'Properties/Subnets' });
  });

  test('an endpoint AZ that is literal while the inspected subnet AZ is Fn::GetAZs', () => {
    const { app, appStack } = buildArchitecture();
    child<ec2.CfnSubnet>(appStack, 'EndpointSubnet1').addPropertyOverride('AvailabilityZone', 'eu-west-1b');
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`warning ${UnresolvedRuleId.R1} GetAZs[1]`]);
    expect(findings[0].message).toMatch(/Cannot prove that endpoint .*GwlbEndpoint1 \(eu-west-1b\)/);
  });

  test('a service name imported from an export that no stack of the app defines', () => {
    const { app, appStack } = buildArchitecture();
    for (const id of ['GwlbEndpoint0', 'GwlbEndpoint1']) {
      child<ec2.CfnVPCEndpoint>(appStack, id).serviceName = Fn.importValue('ProviderApp:GwlbServiceName');
    }
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`warning ${UnresolvedRuleId.R4} -`]);
    expect(findings[0].message).toContain("Fn::ImportValue 'ProviderApp:GwlbServiceName' matches no Export.Name");
  });

  test('a cross-zone attribute set from a parameter without a default', () => {
    const { app, appStack } = buildArchitecture({ azCount: 3, applianceAzs: [0, 1] });
    const crossZone = new CfnParameter(appStack, 'CrossZone', { type: 'String' });
    child<elbv2.CfnLoadBalancer>(appStack, 'Gwlb').loadBalancerAttributes = [{ key: 'load_balancing.cross_zone.enabled', value: crossZone.valueAsString }];
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`warning ${UnresolvedRuleId.R4} -`]);
    expect(findings[0].message).toMatch(/cross-zone/);
  });

  test('fails with the default of a cross-zone parameter (false), and says which default it assumed', () => {
    const { app, appStack } = buildArchitecture({ azCount: 3, applianceAzs: [0, 1] });
    const crossZone = new CfnParameter(appStack, 'CrossZone', { type: 'String', default: 'false' });
    child<elbv2.CfnLoadBalancer>(appStack, 'Gwlb').loadBalancerAttributes = [{ key: 'load_balancing.cross_zone.enabled', value: crossZone.valueAsString }];
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`error ${RuleId.AZ_APPLIANCE_COVERAGE} GetAZs[2]`]);
    expect(findings[0].assumedDefaults).toEqual(['CrossZone = "false"']);
  });

  test('an edge route to a literal (imported) endpoint id', () => {
    const { app, appStack } = buildArchitecture();
    child<ec2.CfnRoute>(appStack, 'EdgeRoute0').vpcEndpointId = 'vpce-0123456789abcdef0';
    expect(summary(findingsOf(app))).toEqual([`warning ${UnresolvedRuleId.R1} GetAZs[0]`]);
  });

  test('an edge route destination from a parameter cannot be compared with the subnet CIDR', () => {
    const { app, appStack } = buildArchitecture();
    const cidr = new CfnParameter(appStack, 'AlbCidr0', { type: 'String' });
    child<ec2.CfnRoute>(appStack, 'EdgeRoute0').destinationCidrBlock = cidr.valueAsString;
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`warning ${UnresolvedRuleId.R1} GetAZs[0]`]);
    expect(findings[0].message).toContain('cannot compare edge route destination');
  });
});

describe('edge cases that are proven faults', () => {
  test('fails when an inspected subnet has no explicit route table (main table: local route only)', () => {
    const { app, appStack } = buildArchitecture();
    appStack.node.tryRemoveChild('AlbRouteTable0Assoc0');
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`error ${RuleId.RETURN_ROUTE_SYMMETRY} GetAZs[0]`]);
    expect(findings[0].message).toContain('has no 0.0.0.0/0 route');
  });

  test('fails when the edge route table has no route for an inspected subnet', () => {
    const { app, appStack } = buildArchitecture();
    appStack.node.tryRemoveChild('EdgeRoute1');
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`error ${RuleId.EDGE_ROUTE_SAME_AZ} GetAZs[1]`]);
    expect(findings[0].message).toContain('no route for subnet AppStack/AlbSubnet1 (10.0.11.0/24)');
  });

  test('fails when the endpoint subnet default route goes to a NAT gateway instead of the IGW', () => {
    const { app, appStack } = buildArchitecture();
    const route = child<ec2.CfnRoute>(appStack, 'EndpointDefaultRoute1');
    route.gatewayId = undefined;
    route.natGatewayId = 'nat-0123';
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`error ${RuleId.ENDPOINT_SUBNET_EGRESS} GetAZs[1]`]);
    expect(findings[0].message).toContain('NAT gateway');
  });

  test('fails when an edge route sends an inspected subnet to a network interface instead of a GWLB endpoint', () => {
    const { app, appStack } = buildArchitecture();
    const route = child<ec2.CfnRoute>(appStack, 'EdgeRoute0');
    route.vpcEndpointId = undefined;
    route.networkInterfaceId = 'eni-0123';
    expect(summary(findingsOf(app))).toEqual([`error ${RuleId.EDGE_ROUTE_SAME_AZ} GetAZs[0]`]);
  });
});

describe('the GWLB side', () => {
  test('fails a GWLB without a listener', () => {
    const { app, appStack } = buildArchitecture();
    appStack.node.tryRemoveChild('GwlbListener');
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`error ${RuleId.GENEVE_LISTENER} -`]);
    expect(findings[0].message).toContain('has no listener');
  });

  test('fails a GENEVE target group that no appliance registers into', () => {
    const { app, appStack } = buildArchitecture();
    appStack.node.tryRemoveChild('ApplianceAsg');
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`error ${RuleId.APPLIANCE_MULTI_AZ} -`]);
    expect(findings[0].message).toContain('No appliance registers');
  });

  test('fails an endpoint service used by GWLB endpoints that lists no load balancer', () => {
    const { app, appStack } = buildArchitecture();
    child<ec2.CfnVPCEndpointService>(appStack, 'EndpointService').gatewayLoadBalancerArns = undefined;
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`error ${RuleId.SERVICE_GWLB_ARNS} -`]);
    expect(findings[0].message).toContain('lists no Gateway Load Balancer');
  });

  function withStaticTargets(targets: (appStack: Stack) => elbv2.CfnTargetGroup.TargetDescriptionProperty[]) {
    const { app, appStack } = buildArchitecture();
    appStack.node.tryRemoveChild('ApplianceAsg');
    child<elbv2.CfnTargetGroup>(appStack, 'ApplianceTargetGroup').targets = targets(appStack);
    return findingsOf(app);
  }

  test('static instance targets in two AZs count as a multi-AZ fleet', () => {
    const findings = withStaticTargets((stack) => [0, 1].map((i) => ({
      id: new ec2.CfnInstance(stack, `Appliance${i}`, { imageId: 'ami-12345678', subnetId: child<ec2.CfnSubnet>(stack, `ApplianceSubnet${i}`).ref }).ref,
    })));
    expect(findings).toEqual([]);
  });

  test('fails static IP targets that all sit in one AZ', () => {
    const findings = withStaticTargets(() => [{ id: '10.1.10.5' }, { id: '10.1.10.6' }]);
    expect(summary(findings)).toEqual([
      `error ${RuleId.APPLIANCE_MULTI_AZ} GetAZs[0]`,
      `error ${RuleId.AZ_APPLIANCE_COVERAGE} GetAZs[1]`,
    ]);
  });
});

describe('real-world traps', () => {
  test('fails aws-cdk-lib ec2.VpcEndpointService fronting a GWLB (it writes NetworkLoadBalancerArns)', () => {
    const findings = findingsOf(buildArchitecture({ l2EndpointService: true }).app);
    expect(summary(findings)).toEqual([`error ${RuleId.SERVICE_GWLB_ARNS} -`]);
    expect(findings[0].resources[0]).toMatchObject({ resourceType: 'AWS::EC2::VPCEndpointService', location: 'Properties/NetworkLoadBalancerArns' });
  });

  test('fails an inspected subnet whose default route goes straight to the internet gateway', () => {
    const { app, appStack } = buildArchitecture();
    const route = child<ec2.CfnRoute>(appStack, 'AlbDefaultRoute0');
    route.vpcEndpointId = undefined;
    route.gatewayId = child<ec2.CfnInternetGateway>(appStack, 'Igw').ref;
    const findings = findingsOf(app);
    expect(summary(findings)).toEqual([`error ${RuleId.RETURN_ROUTE_SYMMETRY} GetAZs[0]`]);
    expect(findings[0].message).toContain('returns through internet gateway Igw');
  });
});

describe('scope', () => {
  function plainAlbApp(): App {
    const app = testApp();
    const stack = new Stack(app, 'Plain');
    const vpc = new ec2.CfnVPC(stack, 'Vpc', { cidrBlock: '10.5.0.0/16' });
    const subnets = [0, 1].map((i) => new ec2.CfnSubnet(stack, `Public${i}`, {
      vpcId: vpc.ref, cidrBlock: `10.5.${i}.0/24`, availabilityZone: Fn.select(i, Fn.getAzs()),
    }));
    new elbv2.CfnLoadBalancer(stack, 'Alb', { scheme: 'internet-facing', subnets: subnets.map((s) => s.ref) });
    return app;
  }

  test('an internet-facing ALB in a VPC without GWLB endpoints or edge route table is out of scope by default', () => {
    expect(findingsOf(plainAlbApp())).toEqual([]);
  });

  test('fails that ALB with inspectAllInternetFacing', () => {
    const findings = findingsOf(plainAlbApp(), { inspectAllInternetFacing: true });
    expect(summary(findings)).toEqual([`error ${RuleId.EDGE_ROUTE_SAME_AZ} GetAZs[0], GetAZs[1]`]);
  });

  test('an internal load balancer is never an entry point', () => {
    const { app, appStack } = buildArchitecture();
    // Were it an entry point, its imported subnet would produce a GWLB-R1-UNRESOLVED warning.
    new elbv2.CfnLoadBalancer(appStack, 'InternalAlb', { scheme: 'internal', subnets: ['subnet-0aaa'] });
    expect(findingsOf(app)).toEqual([]);
  });
});
