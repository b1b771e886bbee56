import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { GatewayLoadBalancerEndpointService } from '../../lib/gwlb';
import {
  ApplicationEgress, ApplicationIpProtocol, InspectedApplication, InspectedApplicationOptions, InspectionVpc, InspectionVpcProps,
} from '../../lib/patterns';
import { logicalIdOf, resourcesOfType } from './support/synth';

const SERVICE_NAME = 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0';

/** The DependsOn list of the Auto Scaling group launched by the construct. */
function asgDependsOn(template: Template, asgId: string): string[] {
  return template.toJSON().Resources[asgId].DependsOn ?? [];
}

/** Logical ids of the subnets' `0.0.0.0/0` routes. */
function defaultRouteIds(template: Template, routeTableIds: string[]): string[] {
  return resourcesOfType(template, 'AWS::EC2::Route')
    .filter(([, r]) => r.Properties.DestinationCidrBlock === '0.0.0.0/0' && routeTableIds.includes(r.Properties.RouteTableId.Ref))
    .map(([id]) => id);
}

function gatewayEndpointIds(template: Template): string[] {
  return resourcesOfType(template, 'AWS::EC2::VPCEndpoint').filter(([, e]) => e.Properties.VpcEndpointType === 'Gateway').map(([id]) => id);
}

describe('instances launch only after their outbound path exists', () => {
  function application(options: InspectedApplicationOptions) {
    const stack = new Stack();
    const inspectionService = GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Service', SERVICE_NAME);
    const app = new InspectedApplication(stack, 'App', { ...options, inspectionService });
    return { stack, app, template: Template.fromStack(stack) };
  }

  function inspectionVpc(props: InspectionVpcProps) {
    const stack = new Stack();
    const inspection = new InspectionVpc(stack, 'Inspection', props);
    return { stack, inspection, template: Template.fromStack(stack) };
  }

  test.each([ApplicationIpProtocol.IPV4_ONLY, ApplicationIpProtocol.DUAL_STACK])(
    'web servers wait for the application subnets\' NAT routes (%s)', (ipProtocol) => {
      const { app, template } = application({ ipProtocol });
      const tables = app.applicationSubnets.map((s) => logicalIdOf(s.node.findChild('RouteTable')));
      const natRoutes = defaultRouteIds(template, tables);
      expect(natRoutes).toHaveLength(2);
      expect(asgDependsOn(template, logicalIdOf(app.autoScalingGroup))).toEqual(expect.arrayContaining(natRoutes));
    });

  test('web servers without NAT gateways wait for the S3 gateway endpoint', () => {
    const { app, template } = application({ egress: ApplicationEgress.NONE });
    const endpoints = gatewayEndpointIds(template);
    expect(endpoints).toHaveLength(1);
    expect(asgDependsOn(template, logicalIdOf(app.autoScalingGroup))).toEqual(expect.arrayContaining(endpoints));
  });

  test('appliances wait for their subnets\' NAT routes and the S3 gateway endpoint', () => {
    const { inspection, template } = inspectionVpc({});
    const tables = inspection.applianceSubnets.map((s) => logicalIdOf(s.node.findChild('RouteTable')));
    const natRoutes = defaultRouteIds(template, tables);
    expect(natRoutes).toHaveLength(2);
    expect(asgDependsOn(template, logicalIdOf(inspection.autoScalingGroup)))
      .toEqual(expect.arrayContaining([...natRoutes, ...gatewayEndpointIds(template)]));
  });

  test('isolated appliances (natGateways: 0) wait for the S3 gateway endpoint', () => {
    const { inspection, template } = inspectionVpc({ natGateways: 0 });
    const endpoints = gatewayEndpointIds(template);
    expect(endpoints).toHaveLength(1);
    expect(asgDependsOn(template, logicalIdOf(inspection.autoScalingGroup))).toEqual(expect.arrayContaining(endpoints));
  });
});
