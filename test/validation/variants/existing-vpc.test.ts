import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { InspectedApplication, InspectionVpc } from '../../../lib/patterns';
import { UnresolvedRuleId } from '../../../lib/validation';
import { ACCOUNT, AZ_CONTEXT, cfnLint, checkedPaths, REGION, ruleSummary, synthVariant, SynthesizedVariant } from './support';

const env = { account: ACCOUNT, region: REGION };
const AZS = [`${REGION}a`, `${REGION}b`];

/** A VPC the user built: CDK-named subnet groups of their own choosing, flow logs on. */
function userVpc(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'UserVpc', {
    ipAddresses: ec2.IpAddresses.cidr('10.20.0.0/16'),
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [
      { name: 'Edge', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 28, mapPublicIpOnLaunch: false },
      { name: 'Web', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      { name: 'App', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
    ],
    flowLogs: { All: { trafficType: ec2.FlowLogTrafficType.ALL } },
  });
}

/** An existing VPC imported by attributes, its subnets with zone, CIDR and route table. */
function importedNetwork(stack: Stack) {
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'ImportedVpc', { vpcId: 'vpc-0a1b2c3d4e5f60718', availabilityZones: AZS, vpcCidrBlock: '10.30.0.0/16' });
  const group = (name: string, third: number) => AZS.map((az, i) => ec2.Subnet.fromSubnetAttributes(stack, `${name}${i + 1}`, {
    subnetId: `subnet-${hexId(third + i)}`,
    availabilityZone: az,
    ipv4CidrBlock: `10.30.${third + i}.0/24`,
    routeTableId: `rtb-${hexId(third + i)}`,
  }));
  return { vpc, endpoints: group('Endpoint', 0), loadBalancers: group('LoadBalancer', 10), applications: group('Application', 20) };
}

/** A 17-digit hexadecimal resource id suffix. */
function hexId(n: number): string {
  return `0${n.toString(16).padStart(16, 'a')}`;
}

describe('variant: an existing application VPC', () => {
  let built: SynthesizedVariant;
  let imported: SynthesizedVariant;
  let builtApp: InspectedApplication;
  let importedApp: InspectedApplication;
  beforeAll(() => {
    built = synthVariant((app) => {
      const stack = new Stack(app, 'UserBuiltVpc', { env });
      const vpc = userVpc(stack);
      builtApp = new InspectedApplication(stack, 'Application', {
        existingVpc: vpc,
        inspectionService: new InspectionVpc(stack, 'Inspection'),
        endpointSubnets: { subnetGroupName: 'Edge' },
        loadBalancerSubnets: { subnetGroupName: 'Web' },
        applicationSubnets: { subnetGroupName: 'App' },
      });
    }, AZ_CONTEXT);
    imported = synthVariant((app) => {
      const stack = new Stack(app, 'ImportedVpc', { env });
      const network = importedNetwork(stack);
      importedApp = new InspectedApplication(stack, 'Application', {
        existingVpc: network.vpc,
        internetGatewayId: 'igw-0a1b2c3d4e5f60718',
        inspectionService: new InspectionVpc(stack, 'Inspection'),
        endpointSubnets: { subnets: network.endpoints },
        loadBalancerSubnets: { subnets: network.loadBalancers },
        applicationSubnets: { subnets: network.applications },
      });
    }, AZ_CONTEXT);
  });
  afterAll(() => {
    built?.dispose();
    imported?.dispose();
  });

  test('a user-built ec2.Vpc: the selected groups are routed through one endpoint per zone', () => {
    expect(builtApp.endpointSubnets.map((s) => s.node.path)).toEqual(['UserBuiltVpc/UserVpc/EdgeSubnet1', 'UserBuiltVpc/UserVpc/EdgeSubnet2']);
    expect(builtApp.routing.protectedSubnetRoutes.map((r) => r.node.path)).toEqual([
      'UserBuiltVpc/UserVpc/WebSubnet1/DefaultRoute', 'UserBuiltVpc/UserVpc/WebSubnet2/DefaultRoute',
    ]);
  });

  test('a user-built ec2.Vpc: cdk-nag and the validator report nothing unacknowledged', () => {
    expect(built.violations).toEqual([]);
    expect(built.findings).toEqual([]);
    expect(checkedPaths(built.templates)).toEqual({ inspectedSubnets: 2, ingressEndpoints: 2, endpointsWithKnownService: 2 });
  });

  test('an imported VPC: the endpoints and routes use the imported ids', () => {
    expect(importedApp.routing.protectedSubnetRoutes).toHaveLength(2);
    expect(importedApp.ingressRouteTable.internetGatewayId).toBe('igw-0a1b2c3d4e5f60718');
  });

  test('an imported VPC: cdk-nag is clean; the validator has no error, only the documented warnings', () => {
    // The template names imported subnets by literal id only (no zone, CIDR or route table), so the
    // validator cannot follow the load balancer's subnets (R1) or the endpoints' egress (R3).
    // The imported subnets' existing routes are invisible too: the constructs say so, once per route table.
    const annotations = imported.violations.filter((v) => v.plugin === 'Construct Annotations');
    expect(annotations.map((v) => `${v.severity} ${v.rule} ${v.constructPaths.join(',')}`).sort()).toEqual([
      'warning Annotation::cdk-gwlb-inspection:egressRouteUnknown ImportedVpc/Application/Routing',
      'warning Annotation::cdk-gwlb-inspection:egressRouteUnknown ImportedVpc/Application/Routing',
      'warning Annotation::cdk-gwlb-inspection:importedProtectedRouteTable ImportedVpc/Application/Routing',
      'warning Annotation::cdk-gwlb-inspection:importedProtectedRouteTable ImportedVpc/Application/Routing',
    ]);
    expect(imported.violations.filter((v) => v.plugin !== 'GwlbPathValidator' && v.plugin !== 'Construct Annotations')).toEqual([]);
    expect(ruleSummary(imported.violations.filter((v) => v.plugin === 'GwlbPathValidator')).sort()).toEqual(imported.findings.map((f) => `${f.severity} ${f.ruleId}`).sort());
    expect(imported.findings.map((f) => `${f.severity} ${f.ruleId} ${f.resources[0].constructPath}`)).toEqual([
      `warning ${UnresolvedRuleId.R1} ImportedVpc/Application/LoadBalancer/Resource`,
      `warning ${UnresolvedRuleId.R1} ImportedVpc/Application/LoadBalancer/Resource`,
      `warning ${UnresolvedRuleId.R3} ImportedVpc/Application/Routing/Endpoint1/Resource`,
      `warning ${UnresolvedRuleId.R3} ImportedVpc/Application/Routing/Endpoint2/Resource`,
    ]);
    expect(imported.findings[0].message).toContain(`Cannot follow subnet ${importedApp.loadBalancerSubnets[0].subnetId}`);
  });

  test('cfn-lint reports nothing (literal zone names are expected in env-aware stacks)', () => {
    expect(cfnLint([...built.templates, ...imported.templates], { envAware: true })).toBe('');
  });
});
