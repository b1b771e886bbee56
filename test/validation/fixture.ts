/**
 * Test fixture: a GWLB ingress-inspection architecture built from L1 resources only, correct by
 * default, with one parameter per fault the validator must find.
 *
 * App VPC 10.0.0.0/16, per AZ i:  EndpointSubnet i 10.0.i.0/24  (0.0.0.0/0 -> IGW, hosts GWLB endpoint i)
 *                                 AlbSubnet i      10.0.1i.0/24 (0.0.0.0/0 -> endpoint i, ALB nodes)
 *                                 AppSubnet i      10.0.2i.0/24 (no default route, app ASG)
 *   IGW edge route table: AlbSubnet i CIDR -> endpoint i.
 * Security VPC 10.1.0.0/16, per AZ i: GwlbSubnet i 10.1.i.0/24, ApplianceSubnet i 10.1.1i.0/24;
 *   GWLB -> listener -> GENEVE:6081 target group <- appliance ASG; endpoint service (GatewayLoadBalancerArns).
 */
import { App, Aws, CfnResource, Fn, NestedStack, Stack, Stage } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';

export interface ArchitectureOptions {
  /** @default 2 */
  readonly azCount?: number;
  /** Literal AZ names (env-aware stacks) instead of Fn::Select of Fn::GetAZs. @default false */
  readonly literalAzs?: boolean;
  /** The AZ whose ALB subnet is served (inbound and return) by the NEXT AZ's endpoint. */
  readonly crossAz?: number;
  /** The AZ whose ALB subnet's default route returns through the NEXT AZ's endpoint. */
  readonly asymmetricAz?: number;
  /** Leave the edge route table unassociated from the internet gateway. @default false */
  readonly omitEdgeAssociation?: boolean;
  /** The AZ whose endpoint subnet routes 0.0.0.0/0 back to its own endpoint. */
  readonly endpointLoopAz?: number;
  /** List the GWLB under NetworkLoadBalancerArns (what ec2.VpcEndpointService does). @default false */
  readonly gwlbInNlbField?: boolean;
  /** Create the service with aws-cdk-lib's ec2.VpcEndpointService (writes NetworkLoadBalancerArns). @default false */
  readonly l2EndpointService?: boolean;
  /** Protocol of the GWLB target group. @default 'GENEVE' */
  readonly applianceTargetProtocol?: string;
  /** AZ indices of the appliance ASG subnets. @default all */
  readonly applianceAzs?: number[];
  /** load_balancing.cross_zone.enabled. @default false */
  readonly crossZone?: boolean;
  /** The AZ whose application subnet gets a default route to the internet gateway. */
  readonly publicAppAz?: number;
  /** Security resources in their own stack (cross-stack references). @default false */
  readonly separateStacks?: boolean;
  /** Security resources in a NestedStack of the application stack. @default false */
  readonly nestedSecurity?: boolean;
  /** Put the stacks inside a Stage. @default false */
  readonly inStage?: boolean;
  /** No security resources: the endpoints consume this literal service name. */
  readonly externalServiceName?: string;
}

export interface Architecture {
  readonly app: App;
  readonly appStack: Stack;
  readonly securityScope?: Construct;
}

const REGION = 'eu-west-1';

/** A test App: path metadata on (as with the CLI), built-in CloudFormation validation off. */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:enable-path-metadata': true, ...context } });
}

export function buildArchitecture(options: ArchitectureOptions = {}, app = testApp()): Architecture {
  const root: Construct = options.inStage ? new Stage(app, 'Prod') : app;
  const env = options.literalAzs ? { region: REGION, account: '111111111111' } : undefined;
  const appStack = new Stack(root, 'AppStack', { env });
  let serviceName = options.externalServiceName;
  let securityScope: Construct | undefined;
  if (!serviceName) {
    securityScope = options.nestedSecurity ? new NestedStack(appStack, 'Security')
      : options.separateStacks ? new Stack(root, 'SecurityStack', { env }) : appStack;
    const service = buildSecurity(securityScope, options);
    serviceName = Fn.join('', ['com.amazonaws.vpce.', Aws.REGION, '.', service.ref]);
  }
  buildApplication(appStack, options, serviceName);
  return { app, appStack, securityScope };
}

function azCount(options: ArchitectureOptions): number {
  return options.azCount ?? 2;
}

function az(options: ArchitectureOptions, i: number): string {
  return options.literalAzs ? `${REGION}${'abc'[i]}` : Fn.select(i, Fn.getAzs());
}

function subnet(scope: Construct, id: string, vpc: ec2.CfnVPC, cidr: string, zone: string): ec2.CfnSubnet {
  return new ec2.CfnSubnet(scope, id, { vpcId: vpc.ref, cidrBlock: cidr, availabilityZone: zone });
}

function routeTable(scope: Construct, id: string, vpc: ec2.CfnVPC, subnets: ec2.CfnSubnet[]): ec2.CfnRouteTable {
  const table = new ec2.CfnRouteTable(scope, id, { vpcId: vpc.ref });
  subnets.forEach((s, i) => new ec2.CfnSubnetRouteTableAssociation(scope, `${id}Assoc${i}`, { subnetId: s.ref, routeTableId: table.ref }));
  return table;
}

function buildSecurity(scope: Construct, options: ArchitectureOptions): { ref: string } {
  const n = azCount(options);
  const vpc = new ec2.CfnVPC(scope, 'SecurityVpc', { cidrBlock: '10.1.0.0/16' });
  const gwlbSubnets: ec2.CfnSubnet[] = [];
  const applianceSubnets: ec2.CfnSubnet[] = [];
  for (let i = 0; i < n; i++) {
    gwlbSubnets.push(subnet(scope, `GwlbSubnet${i}`, vpc, `10.1.${i}.0/24`, az(options, i)));
    applianceSubnets.push(subnet(scope, `ApplianceSubnet${i}`, vpc, `10.1.${10 + i}.0/24`, az(options, i)));
  }
  const gwlb = new elbv2.CfnLoadBalancer(scope, 'Gwlb', {
    type: 'gateway',
    subnets: gwlbSubnets.map((s) => s.ref),
    loadBalancerAttributes: [{ key: 'load_balancing.cross_zone.enabled', value: String(options.crossZone ?? false) }],
  });
  const targetGroup = new elbv2.CfnTargetGroup(scope, 'ApplianceTargetGroup', {
    protocol: options.applianceTargetProtocol ?? 'GENEVE',
    port: 6081,
    vpcId: vpc.ref,
    targetType: 'instance',
    healthCheckProtocol: 'TCP',
    healthCheckPort: '80',
  });
  new elbv2.CfnListener(scope, 'GwlbListener', {
    loadBalancerArn: gwlb.ref,
    defaultActions: [{ type: 'forward', targetGroupArn: targetGroup.ref }],
  });
  const template = new ec2.CfnLaunchTemplate(scope, 'ApplianceLaunchTemplate', {
    launchTemplateData: { imageId: 'ami-12345678', instanceType: 'c6in.large' },
  });
  const applianceAzs = options.applianceAzs ?? [...Array(n).keys()];
  new autoscaling.CfnAutoScalingGroup(scope, 'ApplianceAsg', {
    minSize: String(applianceAzs.length),
    maxSize: String(2 * applianceAzs.length),
    launchTemplate: { launchTemplateId: template.ref, version: template.attrLatestVersionNumber },
    vpcZoneIdentifier: applianceAzs.map((i) => applianceSubnets[i].ref),
    targetGroupArns: [targetGroup.ref],
  });
  if (options.l2EndpointService) {
    const service = new ec2.VpcEndpointService(scope, 'EndpointService', {
      vpcEndpointServiceLoadBalancers: [{ loadBalancerArn: gwlb.ref }], acceptanceRequired: false,
    });
    return { ref: service.vpcEndpointServiceId };
  }
  return new ec2.CfnVPCEndpointService(scope, 'EndpointService', {
    acceptanceRequired: false,
    ...(options.gwlbInNlbField ? { networkLoadBalancerArns: [gwlb.ref] } : { gatewayLoadBalancerArns: [gwlb.ref] }),
  });
}

function buildApplication(scope: Stack, options: ArchitectureOptions, serviceName: string): void {
  const n = azCount(options);
  const next = (i: number) => (i + 1) % n;
  const vpc = new ec2.CfnVPC(scope, 'AppVpc', { cidrBlock: '10.0.0.0/16' });
  const igw = new ec2.CfnInternetGateway(scope, 'Igw');
  const attachment = new ec2.CfnVPCGatewayAttachment(scope, 'IgwAttachment', { vpcId: vpc.ref, internetGatewayId: igw.ref });
  const edge = new ec2.CfnRouteTable(scope, 'EdgeRouteTable', { vpcId: vpc.ref });
  if (!options.omitEdgeAssociation) {
    new ec2.CfnGatewayRouteTableAssociation(scope, 'EdgeAssociation', { gatewayId: igw.ref, routeTableId: edge.ref });
  }
  const endpoints: ec2.CfnVPCEndpoint[] = [];
  const endpointSubnets: ec2.CfnSubnet[] = [];
  const albSubnets: ec2.CfnSubnet[] = [];
  const appSubnets: ec2.CfnSubnet[] = [];
  for (let i = 0; i < n; i++) {
    endpointSubnets.push(subnet(scope, `EndpointSubnet${i}`, vpc, `10.0.${i}.0/24`, az(options, i)));
    albSubnets.push(subnet(scope, `AlbSubnet${i}`, vpc, `10.0.${10 + i}.0/24`, az(options, i)));
    appSubnets.push(subnet(scope, `AppSubnet${i}`, vpc, `10.0.${20 + i}.0/24`, az(options, i)));
    endpoints.push(new ec2.CfnVPCEndpoint(scope, `GwlbEndpoint${i}`, {
      vpcId: vpc.ref, serviceName, vpcEndpointType: 'GatewayLoadBalancer', subnetIds: [endpointSubnets[i].ref],
    }));
  }
  for (let i = 0; i < n; i++) {
    const endpointTable = routeTable(scope, `EndpointRouteTable${i}`, vpc, [endpointSubnets[i]]);
    const egress = options.endpointLoopAz === i ? { vpcEndpointId: endpoints[i].ref } : { gatewayId: igw.ref };
    new ec2.CfnRoute(scope, `EndpointDefaultRoute${i}`, { routeTableId: endpointTable.ref, destinationCidrBlock: '0.0.0.0/0', ...egress })
      .node.addDependency(attachment);

    const inbound = options.crossAz === i ? endpoints[next(i)] : endpoints[i];
    const outbound = options.asymmetricAz === i ? endpoints[next(i)] : inbound;
    new ec2.CfnRoute(scope, `EdgeRoute${i}`, {
      routeTableId: edge.ref, destinationCidrBlock: albSubnets[i].attrCidrBlock, vpcEndpointId: inbound.ref,
    });
    const albTable = routeTable(scope, `AlbRouteTable${i}`, vpc, [albSubnets[i]]);
    new ec2.CfnRoute(scope, `AlbDefaultRoute${i}`, { routeTableId: albTable.ref, destinationCidrBlock: '0.0.0.0/0', vpcEndpointId: outbound.ref });

    const appTable = routeTable(scope, `AppRouteTable${i}`, vpc, [appSubnets[i]]);
    if (options.publicAppAz === i) {
      new ec2.CfnRoute(scope, `AppDefaultRoute${i}`, { routeTableId: appTable.ref, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.ref })
        .node.addDependency(attachment);
    }
  }
  buildLoadBalancedApp(scope, vpc, albSubnets, appSubnets);
}

function buildLoadBalancedApp(scope: Construct, vpc: ec2.CfnVPC, albSubnets: ec2.CfnSubnet[], appSubnets: ec2.CfnSubnet[]): void {
  const alb = new elbv2.CfnLoadBalancer(scope, 'Alb', {
    type: 'application', scheme: 'internet-facing', subnets: albSubnets.map((s) => s.ref),
  });
  const appTargets = new elbv2.CfnTargetGroup(scope, 'AppTargetGroup', { protocol: 'HTTP', port: 80, vpcId: vpc.ref });
  new elbv2.CfnListener(scope, 'AlbListener', {
    loadBalancerArn: alb.ref, port: 80, protocol: 'HTTP',
    defaultActions: [{ type: 'forward', targetGroupArn: appTargets.ref }],
  });
  const template = new ec2.CfnLaunchTemplate(scope, 'AppLaunchTemplate', {
    launchTemplateData: { imageId: 'ami-87654321', instanceType: 't3.micro' },
  });
  new autoscaling.CfnAutoScalingGroup(scope, 'AppAsg', {
    minSize: '2', maxSize: '4',
    launchTemplate: { launchTemplateId: template.ref, version: template.attrLatestVersionNumber },
    vpcZoneIdentifier: appSubnets.map((s) => s.ref),
    targetGroupArns: [appTargets.ref],
  });
}

/** Find an L1 by construct id under a scope (to break one more thing in a test). */
export function child<T extends CfnResource>(scope: Construct, id: string): T {
  return scope.node.findChild(id) as T;
}
