import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  EndpointRoutes, GatewayLoadBalancer, GatewayLoadBalancerEndpoint, GatewayLoadBalancerEndpointService,
} from '../../lib/gwlb';
import { InspectedApplication, InspectedApplicationOptions, InspectionRouting, InspectionVpc } from '../../lib/patterns';

const SERVICE_NAME = 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0';

function application(options: InspectedApplicationOptions, stack = new Stack()) {
  const inspectionService = GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Service', SERVICE_NAME);
  const app = new InspectedApplication(stack, 'App', { ...options, inspectionService });
  return { stack, app, template: Template.fromStack(stack) };
}

/** An environment-agnostic stack: the subnets' zones are Fn::Select tokens. */
function agnosticEndpoints() {
  const stack = new Stack();
  const isolated = { natGateways: 0, subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] };
  const securityVpc = new ec2.Vpc(stack, 'SecurityVpc', isolated);
  const appVpc = new ec2.Vpc(stack, 'AppVpc', { ...isolated, ipAddresses: ec2.IpAddresses.cidr('10.1.0.0/16') });
  const lb = new GatewayLoadBalancer(stack, 'Gwlb', { vpc: securityVpc });
  const service = new GatewayLoadBalancerEndpointService(stack, 'Service', { gatewayLoadBalancers: [lb] });
  const endpoint = new GatewayLoadBalancerEndpoint(stack, 'Endpoint', { vpc: appVpc, service, subnet: appVpc.isolatedSubnets[0] });
  return { stack, appVpc, endpoint };
}

describe('zone checks of the route helpers', () => {
  test('fails routeThroughEndpoint on the table of a subnet in another zone than the endpoint', () => {
    const { stack, appVpc, endpoint } = agnosticEndpoints();
    expect(() => EndpointRoutes.routeThroughEndpoint(stack, 'Route', {
      routeTableId: appVpc.isolatedSubnets[1].routeTable.routeTableId, destinationCidrBlock: '0.0.0.0/0', endpoint,
    })).toThrow(/^Default: routeTableId is the route table of subnet Default\/AppVpc\/IsolatedSubnet2 in availability zone #2 of the region .* but endpoint Default\/Endpoint is in availability zone #1/);
  });

  test('routeThroughEndpoint accepts the table of a subnet in the endpoint\'s zone', () => {
    const { stack, appVpc, endpoint } = agnosticEndpoints();
    expect(() => EndpointRoutes.routeThroughEndpoint(stack, 'Route', {
      routeTableId: appVpc.isolatedSubnets[0].routeTable.routeTableId, destinationCidrBlock: '0.0.0.0/0', endpoint,
    })).not.toThrow();
  });

  test('fails routeSubnetThroughEndpoint across zones in an environment-agnostic stack (zone tokens compared by index)', () => {
    const { stack, appVpc, endpoint } = agnosticEndpoints();
    expect(() => EndpointRoutes.routeSubnetThroughEndpoint(stack, 'Route', { subnet: appVpc.isolatedSubnets[1], endpoint }))
      .toThrow(/endpoint Default\/Endpoint is in availability zone #1 of the region \(Fn::Select 0 of Fn::GetAZs\) but subnet Default\/AppVpc\/IsolatedSubnet2 is in availability zone #2/);
  });
});

describe('InspectedApplication web server port and health check', () => {
  test('targetPort and healthCheckPath reach the target group and the security groups', () => {
    const userData = ec2.UserData.forLinux();
    userData.addCommands('python3 -m http.server 8080');
    const { template, stack, app } = application({ targetPort: 8080, healthCheckPath: '/health', userData });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 8080, HealthCheckPath: '/health', Protocol: 'HTTP' });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 8080, ToPort: 8080, GroupId: stack.resolve(app.webServers.securityGroup.securityGroupId),
      SourceSecurityGroupId: stack.resolve(app.loadBalancerSecurityGroup.securityGroupId),
    });
  });

  test('defaults: port 80, path /', () => {
    const { template } = application({});
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 80, HealthCheckPath: '/' });
  });

  test('fails a targetPort the default user data does not serve', () => {
    expect(() => application({ targetPort: 8080 }))
      .toThrow(/Default\/App: targetPort is 8080 but the default user data serves HTTP on port 80 only: pass userData/);
  });

  test.each([[0, /targetPort must be an integer between 1 and 65535, got 0/], [70000, /got 70000/]])('fails targetPort %p', (port, message) => {
    expect(() => application({ targetPort: port, userData: ec2.UserData.forLinux() })).toThrow(message);
  });

  test('fails a health-check path without a leading slash', () => {
    expect(() => application({ healthCheckPath: 'health' })).toThrow(/healthCheckPath must start with '\/' .*got 'health'/);
  });
});

describe('new VPCs in stacks that cannot know their zones', () => {
  test('fails InspectedApplication maxAzs 3 in an environment-agnostic stack', () => {
    expect(() => application({ maxAzs: 3 }))
      .toThrow(/Default\/App: maxAzs is 3 but stack Default is environment-agnostic, so CDK knows only 2 availability zones and would silently build 2/);
  });

  test('maxAzs 3 with the fallback zones in the context builds three zones', () => {
    const stack = new Stack();
    stack.node.setContext('aws:cdk:availability-zones:fallback', ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    const { app } = application({ maxAzs: 3 }, stack);
    expect(app.loadBalancerSubnets.map((s) => s.availabilityZone)).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    expect(app.autoScalingGroup.node.defaultChild).toBeDefined();
  });

  test('web servers default to one per zone', () => {
    const stack = new Stack(undefined, 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
    stack.node.setContext('availability-zones:account=111122223333:region=eu-west-1', ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    const { template } = application({ maxAzs: 3 }, stack);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '3', MaxSize: '4' });
  });
});

describe('hints fit the case', () => {
  test('an imported VPC without subnet CIDRs is told which Vpc.fromVpcAttributes list to give', () => {
    const stack = new Stack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetNames: ['Endpoint', 'LoadBalancer'],
      publicSubnetIds: ['subnet-0e000000000000001', 'subnet-0e000000000000002', 'subnet-0b000000000000001', 'subnet-0b000000000000002'],
      publicSubnetRouteTableIds: ['rtb-0e000000000000001', 'rtb-0e000000000000002', 'rtb-0b000000000000001', 'rtb-0b000000000000002'],
      isolatedSubnetNames: ['Application'], isolatedSubnetIds: ['subnet-0a000000000000001', 'subnet-0a000000000000002'],
    });
    expect(() => application({ existingVpc: vpc, internetGatewayId: 'igw-0123456789abcdef0' }, stack))
      .toThrow(/the IPv4 CIDR block of subnet Default\/Imported\/LoadBalancerSubnet3 is unknown: give Vpc.fromVpcAttributes \(Default\/Imported\) the publicSubnetIpv4CidrBlocks list/);
  });

  test('an imported security VPC without CIDRs names privateSubnetIpv4CidrBlocks', () => {
    const stack = new Stack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-0a000000000000001', 'subnet-0a000000000000002'],
    });
    expect(() => new InspectionVpc(stack, 'Inspection', { existingVpc: vpc }))
      .toThrow(/applianceSubnets: the IPv4 CIDR block of subnet Default\/Imported\/PrivateSubnet1 is unknown; give Vpc.fromVpcAttributes \(Default\/Imported\) the privateSubnetIpv4CidrBlocks list/);
  });
});

describe('InspectionRouting subnet roles', () => {
  const vpc = (stack: Stack) => new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2, natGateways: 0,
    subnetConfiguration: [
      { name: 'Endpoint', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'Web', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
    ],
  });

  test('fails an endpoint subnet that is also protected', () => {
    const stack = new Stack();
    expect(() => new InspectionRouting(stack, 'Routing', {
      vpc: vpc(stack),
      inspectionService: GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Service', SERVICE_NAME),
      endpointSubnets: { subnetGroupName: 'Endpoint' },
      protectedSubnets: { subnetType: ec2.SubnetType.PUBLIC },
    })).toThrow(/protectedSubnets includes endpoint subnet Default\/Vpc\/EndpointSubnet1/);
  });

  test('fails a protected subnet sharing the route table of an endpoint subnet', () => {
    const stack = new Stack();
    const imported = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetNames: ['Endpoint', 'Web'],
      publicSubnetIds: ['subnet-0e000000000000001', 'subnet-0e000000000000002', 'subnet-0b000000000000001', 'subnet-0b000000000000002'],
      publicSubnetRouteTableIds: ['rtb-0000000000000000a', 'rtb-0000000000000000a', 'rtb-0000000000000000a', 'rtb-0000000000000000a'],
      publicSubnetIpv4CidrBlocks: ['10.2.0.0/28', '10.2.0.16/28', '10.2.1.0/24', '10.2.2.0/24'],
    });
    expect(() => new InspectionRouting(stack, 'Routing', {
      vpc: imported,
      internetGatewayId: 'igw-0123456789abcdef0',
      inspectionService: GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Service', SERVICE_NAME),
      endpointSubnets: { subnetGroupName: 'Endpoint' },
      protectedSubnets: { subnetGroupName: 'Web' },
    })).toThrow(/protected subnet Default\/Imported\/WebSubnet3 shares its route table with endpoint subnet Default\/Imported\/EndpointSubnet1/);
  });
});
