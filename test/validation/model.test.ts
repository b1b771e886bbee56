import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { GwlbModel, loadTemplateFiles, RouteTargetKind } from '../../lib/validation';
import { serviceOfEndpoint } from '../../lib/validation/gwlb-chain';
import { edgeRouteFor, subnetRoutes } from '../../lib/validation/paths';
import { isUnresolved } from '../../lib/validation/resolve';
import { inspectionScope } from '../../lib/validation/scope';
import { targetPlacements } from '../../lib/validation/targets';
import { buildArchitecture, testApp } from './fixture';

function modelOf(options = {}, context: Record<string, unknown> = {}): GwlbModel {
  const assembly = buildArchitecture(options, testApp(context)).app.synth();
  return GwlbModel.fromTemplates(loadTemplateFiles(assembly.stacksRecursively.map((s) => ({ templatePath: s.templateFullPath, stackName: s.hierarchicalId }))));
}

function byLogicalId<T extends { meta: { logicalId: string } }>(items: Iterable<T>, logicalId: string): T {
  const found = [...items].find((i) => i.meta.logicalId === logicalId);
  if (!found) {
    throw new Error(`no ${logicalId}`);
  }
  return found;
}

describe('GwlbModel', () => {
  const model = modelOf();

  test('parses every networking and load-balancing resource of the 2-AZ architecture', () => {
    expect(model.subnets.size).toBe(10); // 3 app + 2 security subnets per AZ
    expect(model.routeTables.size).toBe(7); // 3 per AZ + edge
    expect(model.endpoints.size).toBe(2);
    expect(model.endpointServices.size).toBe(1);
    expect(model.loadBalancers.size).toBe(2);
    expect(model.targetGroups.size).toBe(2);
    expect(model.autoScalingGroups).toHaveLength(2);
    expect(model.gatewayAssociations).toHaveLength(1);
    expect(model.internetGateways.size).toBe(1);
  });

  test('keeps construct paths from aws:cdk:path metadata', () => {
    expect(byLogicalId(model.subnets.values(), 'AlbSubnet0').meta.constructPath).toBe('AppStack/AlbSubnet0');
  });

  test('subnet AZs stay symbolic Fn::GetAZs selections in an env-agnostic stack', () => {
    expect(byLogicalId(model.subnets.values(), 'AlbSubnet1').availabilityZone).toBe('{{az:AWS::Region#1}}');
  });

  test('classifies route targets: IGW, GWLB endpoint', () => {
    const kinds = Object.fromEntries(model.routes.map((r) => [r.meta.logicalId, r.target.kind]));
    expect(kinds.EndpointDefaultRoute0).toBe(RouteTargetKind.INTERNET_GATEWAY);
    expect(kinds.AlbDefaultRoute0).toBe(RouteTargetKind.GWLB_ENDPOINT);
    expect(kinds.EdgeRoute1).toBe(RouteTargetKind.GWLB_ENDPOINT);
  });

  test('edge route destinations written as Fn::GetAtt Subnet.CidrBlock resolve to the subnet CIDR', () => {
    expect(byLogicalId(model.routes, 'EdgeRoute1').destination).toBe('10.0.11.0/24');
  });

  test('reads the GWLB cross-zone attribute and type', () => {
    const gwlb = byLogicalId(model.loadBalancers.values(), 'Gwlb');
    expect(gwlb.lbType).toBe('gateway');
    expect(gwlb.crossZoneEnabled).toBe(false);
    expect(byLogicalId(modelOf({ crossZone: true }).loadBalancers.values(), 'Gwlb').crossZoneEnabled).toBe(true);
  });

  test('follows a subnet to its route table and the edge route to the endpoint of the same AZ', () => {
    const subnet = byLogicalId(model.subnets.values(), 'AlbSubnet0');
    expect(subnetRoutes(model, subnet).table?.meta.logicalId).toBe('AlbRouteTable0');
    const edge = edgeRouteFor(model, subnet, subnet.vpcId as string);
    expect(edge.kind === 'route' && edge.endpoint?.meta.logicalId).toBe('GwlbEndpoint0');
  });

  test('inspection scope: the ALB subnets of the VPC with GWLB endpoints', () => {
    const scope = inspectionScope(model);
    expect(scope.subnets.map((s) => s.subnet.meta.logicalId).sort()).toEqual(['AlbSubnet0', 'AlbSubnet1']);
    expect(scope.loadBalancers.map((l) => l.meta.logicalId)).toEqual(['Alb']);
  });

  test('appliance placements come from the ASG VPCZoneIdentifier subnets', () => {
    const tg = byLogicalId(model.targetGroups.values(), 'ApplianceTargetGroup');
    const { asgs, placements } = targetPlacements(model, tg);
    expect(asgs.map((a) => a.meta.logicalId)).toEqual(['ApplianceAsg']);
    expect(placements.map((p) => p.availabilityZone)).toEqual(['{{az:AWS::Region#0}}', '{{az:AWS::Region#1}}']);
  });

  test.each([
    ['separate stacks (Fn::ImportValue)', { separateStacks: true }, {}],
    ['a nested stack found through the asset manifest', { nestedSecurity: true }, {}],
    ['a nested stack found through aws:asset:path metadata', { nestedSecurity: true }, { 'aws:cdk:enable-asset-metadata': true }],
    ['stacks inside a Stage', { inStage: true, separateStacks: true }, {}],
  ])('resolves the endpoint service across %s', (_name, options, context) => {
    const m = modelOf(options, context);
    const endpoint = byLogicalId(m.endpoints.values(), 'GwlbEndpoint0');
    const { service } = serviceOfEndpoint(m, endpoint);
    expect(service?.meta.logicalId).toBe('EndpointService');
    expect(service?.meta.key.split('.')[0]).not.toBe(endpoint.meta.key.split('.')[0]);
    const gwlb = m.lookup(m.loadBalancers, service?.gatewayLoadBalancerArns[0]);
    expect(gwlb?.meta.logicalId).toBe('Gwlb');
  });

  test('an external service name is kept as a literal and reported as not in the app', () => {
    const m = modelOf({ externalServiceName: 'com.amazonaws.vpce.eu-west-1.vpce-svc-0abc' });
    const result = serviceOfEndpoint(m, byLogicalId(m.endpoints.values(), 'GwlbEndpoint0'));
    expect(result.service).toBeUndefined();
    expect(result.name).toBe('com.amazonaws.vpce.eu-west-1.vpce-svc-0abc');
  });

  test('accepts Template.toJSON() input and imported (literal) ids stay unresolvable targets', () => {
    const stack = new Stack();
    new ec2.CfnRoute(stack, 'R', { routeTableId: 'rtb-1', destinationCidrBlock: '0.0.0.0/0', vpcEndpointId: 'vpce-123' });
    new ec2.CfnRoute(stack, 'I', { routeTableId: 'rtb-1', destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-123' });
    const m = GwlbModel.fromTemplates([{ template: Template.fromStack(stack).toJSON() }]);
    expect(byLogicalId(m.routes, 'R').target.kind).toBe(RouteTargetKind.UNRESOLVED);
    expect(byLogicalId(m.routes, 'I').target.kind).toBe(RouteTargetKind.INTERNET_GATEWAY);
  });

  test('an unresolvable property is kept as Unresolved with its reason', () => {
    const m = GwlbModel.fromTemplates([{
      template: { Resources: { S: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { 'Fn::ImportValue': 'Gone' }, CidrBlock: '10.0.0.0/24' } } } },
    }]);
    const vpcId = byLogicalId(m.subnets.values(), 'S').vpcId;
    expect(isUnresolved(vpcId) && vpcId.reason).toMatch(/'Gone'/);
  });
});
