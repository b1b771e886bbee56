import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GatewayLoadBalancerIpAddressType } from '../../lib/gwlb';
import { ApplicationIpProtocol, GwlbInspection, InspectedApplication, InspectionVpc, InspectionVpcProps } from '../../lib/patterns';
import { checkPerZonePaths } from './support/routing-paths';
import { logicalIdOf, onlyResource, resourcesOfType } from './support/synth';

const CDK_JSON = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
const { DUAL_STACK } = GatewayLoadBalancerIpAddressType;

function build(props: InspectionVpcProps = {}, stack = new Stack()) {
  const inspection = new InspectionVpc(stack, 'Inspection', props);
  return { stack, inspection, template: Template.fromStack(stack) };
}

/** The resources of the application side only (the inspection VPC's subnets carry other names). */
function applicationOnly(template: Template): any {
  return { Resources: Object.fromEntries(Object.entries(template.toJSON().Resources).filter(([id]) => !id.startsWith('GwlbInspection'))) };
}

describe('InspectionVpc with ipAddressType DUAL_STACK', () => {
  let stack: Stack;
  let inspection: InspectionVpc;
  let template: Template;
  beforeAll(() => ({ stack, inspection, template } = build({ ipAddressType: DUAL_STACK })));

  test('a dual-stack Gateway Load Balancer in subnets with IPv6 CIDR blocks', () => {
    const [, lb] = onlyResource(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(lb.Properties).toMatchObject({ Type: 'gateway', IpAddressType: 'dualstack' });
    expect(lb.Properties.Subnets).toEqual(inspection.applianceSubnets.map((s) => stack.resolve(s.subnetId)));
    template.hasResourceProperties('AWS::EC2::VPCCidrBlock', { AmazonProvidedIpv6CidrBlock: true, VpcId: { Ref: logicalIdOf(inspection.vpc as ec2.Vpc) } });
    const subnets = resourcesOfType(template, 'AWS::EC2::Subnet');
    expect(subnets).toHaveLength(4);
    for (const [, subnet] of subnets) {
      expect(subnet.Properties.Ipv6CidrBlock).toBeDefined();
      expect(subnet.Properties.AssignIpv6AddressOnCreation).toBe(false); // the appliances stay IPv4-only
    }
    expect(inspection.ipAddressType).toBe(DUAL_STACK);
    expect(inspection.dualStack).toBe(true);
    expect(inspection.gatewayLoadBalancer.ipAddressType).toBe(DUAL_STACK);
  });

  test('the endpoint service accepts IPv4 and IPv6', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpointService', {
      GatewayLoadBalancerArns: [{ Ref: logicalIdOf(inspection.gatewayLoadBalancer) }], SupportedIpAddressTypes: ['ipv4', 'ipv6'],
    });
    expect(inspection.supportedIpAddressTypes).toEqual([ec2.IpAddressType.IPV4, ec2.IpAddressType.IPV6]);
  });

  test('GENEVE stays IPv4: the appliance security group has no IPv6 rule', () => {
    const sg = template.toJSON().Resources[logicalIdOf(inspection.securityGroup)];
    const rules = [...sg.Properties.SecurityGroupIngress ?? [], ...sg.Properties.SecurityGroupEgress ?? []];
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.every((r: any) => r.CidrIpv6 === undefined)).toBe(true);
    expect(rules.filter((r: any) => r.FromPort === 6081).map((r: any) => r.CidrIp).sort())
      .toEqual(inspection.applianceSubnets.flatMap((s) => [s.ipv4CidrBlock, s.ipv4CidrBlock]).sort());
  });
});

describe('InspectionVpc ipAddressType options', () => {
  test('default: IPv4 only, nothing IPv6 in the template', () => {
    const { template, inspection } = build();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { IpAddressType: Match.absent() });
    template.hasResourceProperties('AWS::EC2::VPCEndpointService', { SupportedIpAddressTypes: Match.absent() });
    template.resourceCountIs('AWS::EC2::VPCCidrBlock', 0);
    expect(inspection.supportedIpAddressTypes).toEqual([ec2.IpAddressType.IPV4]);
    expect(inspection.dualStack).toBe(false);
  });

  test('DUAL_STACK without NAT gateways: isolated dual-stack appliance subnets', () => {
    const { template, inspection } = build({ ipAddressType: DUAL_STACK, natGateways: 0 });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { IpAddressType: 'dualstack' });
    expect(inspection.applianceSubnets).toHaveLength(2);
  });

  test('DUAL_STACK in an existing dual-stack VPC', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Own', { maxAzs: 2, ipProtocol: ec2.IpProtocol.DUAL_STACK });
    const { template } = build({ ipAddressType: DUAL_STACK, existingVpc: vpc }, stack);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      IpAddressType: 'dualstack', Subnets: vpc.privateSubnets.map((s) => stack.resolve(s.subnetId)),
    });
  });

  test('fails DUAL_STACK in an existing IPv4-only VPC, naming the subnets', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Own', { maxAzs: 2 });
    expect(() => build({ ipAddressType: DUAL_STACK, existingVpc: vpc }, stack))
      .toThrow(/Default\/Inspection\/GatewayLoadBalancer: ipAddressType is DUAL_STACK but subnet\(s\) Default\/Own\/PrivateSubnet1, Default\/Own\/PrivateSubnet2 have no IPv6 CIDR block/);
  });

  test('fails a dual-stack application on an IPv4-only InspectionVpc, naming both', () => {
    const stack = new Stack();
    const inspection = new InspectionVpc(stack, 'Inspection');
    expect(() => new InspectedApplication(stack, 'App', { inspectionService: inspection, ipProtocol: ApplicationIpProtocol.DUAL_STACK }))
      .toThrow(/^Default\/App: ipProtocol is DUAL_STACK but the inspection service Default\/Inspection does not support IPv6 \(supportedIpAddressTypes: ipv4\): create the InspectionVpc with ipAddressType: GatewayLoadBalancerIpAddressType.DUAL_STACK/);
  });
});

describe('GwlbInspection dual-stack', () => {
  test('a dual-stack application makes the inspection side dual-stack; every zone has both paths', () => {
    const stack = new Stack(undefined, 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
    const gwlb = new GwlbInspection(stack, 'Gwlb', {
      inspectedApplicationProps: { ipProtocol: ApplicationIpProtocol.DUAL_STACK, maxAzs: 3 }, inspectionVpcProps: { maxAzs: 3 },
    });
    const template = Template.fromStack(stack);
    expect(gwlb.inspectionVpc.ipAddressType).toBe(DUAL_STACK);
    expect(gwlb.application.ipProtocol).toBe(ApplicationIpProtocol.DUAL_STACK);
    expect(checkPerZonePaths(applicationOnly(template), { ipv6: true })).toHaveLength(3);
    template.resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', { IpAddressType: 'dualstack' }, 2);
    template.hasResourceProperties('AWS::EC2::VPCEndpointService', { SupportedIpAddressTypes: ['ipv4', 'ipv6'] });
  });

  test('fails a dual-stack application with an explicitly IPv4 inspection side', () => {
    expect(() => new GwlbInspection(new Stack(), 'Gwlb', {
      inspectedApplicationProps: { ipProtocol: ApplicationIpProtocol.DUAL_STACK },
      inspectionVpcProps: { ipAddressType: GatewayLoadBalancerIpAddressType.IPV4 },
    })).toThrow(/Default\/Gwlb\/Application: ipProtocol is DUAL_STACK but the inspection service Default\/Gwlb\/Inspection does not support IPv6/);
  });

  describe('synthesized with cdk-nag (AWS Solutions) as the example app is', () => {
    let outdir: string;
    let templateFile: string;
    let report: any;
    beforeAll(() => {
      outdir = mkdtempSync(path.join(tmpdir(), 'gwlb-dual-stack-'));
      const app = new App({ outdir, context: CDK_JSON.context });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      const stack = new Stack(app, 'DualStack');
      new GwlbInspection(stack, 'Gwlb', { inspectedApplicationProps: { ipProtocol: ApplicationIpProtocol.DUAL_STACK } });
      const assembly = app.synth();
      templateFile = assembly.getStackByName('DualStack').templateFullPath;
      report = JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
    });
    afterAll(() => rmSync(outdir, { recursive: true, force: true }));

    test('AWS Solutions checks ran and find nothing unacknowledged', () => {
      expect(report.pluginReports.length).toBeGreaterThan(0);
      expect(report.pluginReports.flatMap((r: any) => r.violations)).toEqual([]);
    });

    test('cfn-lint reports nothing', () => {
      const result = spawnSync('cfn-lint', ['--format', 'parseable', '--', templateFile], { encoding: 'utf8' });
      if (result.error) {
        throw new Error(`cfn-lint could not be run: ${result.error.message}`);
      }
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    });

    test('the template has both paths in every zone', () => {
      const template = JSON.parse(readFileSync(templateFile, 'utf8'));
      const app = { Resources: Object.fromEntries(Object.entries(template.Resources).filter(([id]) => !id.startsWith('GwlbInspection'))) };
      expect(checkPerZonePaths(app as any, { ipv6: true })).toHaveLength(2);
    });
  });
});
