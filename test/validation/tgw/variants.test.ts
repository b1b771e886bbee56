/**
 * Correct centralized-inspection architectures built with the library: each synthesizes with
 * cdk-nag's AWS Solutions pack and the path validator as plugins and nothing unacknowledged,
 * the validator finds nothing on the templates, cfn-lint is clean, and the TGW rules had real
 * paths to check.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  CentralizedEgress, CentralizedInspection, GatewayLoadBalancerEndpointService, InspectedSpoke, InspectionVpc, TransitGateway,
} from '../../../lib';
import { ACCOUNT, AZ_CONTEXT, cfnLint, REGION, ruleSummary, synthVariant, SynthesizedVariant } from '../variants/support';
import { TgwCoverage, tgwCoverage } from './support';

const env = { account: ACCOUNT, region: REGION };

interface Variant {
  readonly name: string;
  readonly build: (app: App) => void;
  readonly coverage: TgwCoverage;
  /** Validator warnings expected on the raw templates (rule ids). */
  readonly warnings?: string[];
}

const VARIANTS: Variant[] = [
  {
    name: 'two AZs, appliances in the inspection VPC, two new spokes',
    build: (app) => {
      const hub = new CentralizedInspection(new Stack(app, 'Hub', { env }), 'Hub');
      hub.addSpoke('SpokeA', { cidr: '10.1.0.0/16' });
      hub.addSpoke('SpokeB', { cidr: '10.2.0.0/16' });
    },
    coverage: { inspectionAttachments: 1, attachmentSubnets: 2, spokeAttachments: 2, knownSpokeCidrs: 2 },
  },
  {
    name: 'three AZs',
    build: (app) => {
      const hub = new CentralizedInspection(new Stack(app, 'Hub', { env }), 'Hub', { maxAzs: 3, inspectionVpcProps: { minCapacity: 3 } });
      hub.addSpoke('SpokeA', { cidr: '10.1.0.0/16', maxAzs: 3 });
      hub.addSpoke('SpokeB', { cidr: '10.2.0.0/16', maxAzs: 3 });
    },
    coverage: { inspectionAttachments: 1, attachmentSubnets: 3, spokeAttachments: 2, knownSpokeCidrs: 2 },
  },
  {
    name: 'an existing Transit Gateway, summary route for the spokes',
    build: (app) => {
      const stack = new Stack(app, 'Hub', { env });
      const hub = new CentralizedInspection(stack, 'Hub', {
        transitGateway: TransitGateway.fromTransitGatewayId(stack, 'Tgw', 'tgw-0123456789abcdef0'),
        spokeSummaryCidrs: ['10.0.0.0/8'],
      });
      hub.addSpoke('SpokeA', { cidr: '10.1.0.0/16' });
      hub.addSpoke('SpokeB', { cidr: '10.2.0.0/16' });
    },
    coverage: { inspectionAttachments: 1, attachmentSubnets: 2, spokeAttachments: 2, knownSpokeCidrs: 2 },
    warnings: ['GWLB-T-UNRESOLVED'], // its default association/propagation settings cannot be seen
  },
  {
    name: 'a separate security VPC, hub and spokes in three stacks',
    build: (app) => {
      const security = new InspectionVpc(new Stack(app, 'Security', { env }), 'Inspection');
      const hub = new CentralizedInspection(new Stack(app, 'Hub', { env }), 'Hub', { inspectionService: security });
      const spokes = new Stack(app, 'Spokes', { env });
      new InspectedSpoke(spokes, 'SpokeA', { hub, cidr: '10.1.0.0/16' });
      new InspectedSpoke(spokes, 'SpokeB', { hub, cidr: '10.2.0.0/16' });
    },
    coverage: { inspectionAttachments: 1, attachmentSubnets: 2, spokeAttachments: 2, knownSpokeCidrs: 2 },
  },
  {
    name: 'a security VPC in another account (service imported by name)',
    build: (app) => {
      const stack = new Stack(app, 'Hub', { env });
      const hub = new CentralizedInspection(stack, 'Hub', {
        inspectionService: GatewayLoadBalancerEndpointService.fromServiceName(stack, 'Svc', `com.amazonaws.vpce.${REGION}.vpce-svc-0123456789abcdef0`),
      });
      hub.addSpoke('SpokeA', { cidr: '10.1.0.0/16' });
      hub.addSpoke('SpokeB', { cidr: '10.2.0.0/16' });
    },
    coverage: { inspectionAttachments: 1, attachmentSubnets: 2, spokeAttachments: 2, knownSpokeCidrs: 2 },
    warnings: ['GWLB-R4-UNRESOLVED'],
  },
  {
    name: 'egress off (east-west only)',
    build: (app) => {
      const hub = new CentralizedInspection(new Stack(app, 'Hub', { env }), 'Hub', { egress: CentralizedEgress.NONE });
      hub.addSpoke('SpokeA', { cidr: '10.1.0.0/16' });
      hub.addSpoke('SpokeB', { cidr: '10.2.0.0/16' });
    },
    coverage: { inspectionAttachments: 1, attachmentSubnets: 2, spokeAttachments: 2, knownSpokeCidrs: 2 },
  },
  {
    name: 'an existing spoke VPC of which one subnet group is routed',
    build: (app) => {
      const hubStack = new Stack(app, 'Hub', { env });
      const hub = new CentralizedInspection(hubStack, 'Hub');
      const vpc = new ec2.Vpc(hubStack, 'Existing', {
        ipAddresses: ec2.IpAddresses.cidr('10.3.0.0/16'), natGateways: 0,
        subnetConfiguration: [{ name: 'App', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
        flowLogs: { FlowLog: {} },
      });
      hub.addSpoke('Existing', { vpc, subnets: { subnetGroupName: 'App' } });
      hub.addSpoke('SpokeB', { cidr: '10.2.0.0/16' });
    },
    coverage: { inspectionAttachments: 1, attachmentSubnets: 2, spokeAttachments: 2, knownSpokeCidrs: 2 },
  },
];

describe.each(VARIANTS)('centralized inspection variant: $name', ({ build, coverage, warnings }) => {
  let variant: SynthesizedVariant;
  beforeAll(() => { variant = synthVariant(build, AZ_CONTEXT); });
  afterAll(() => variant?.dispose());

  test('cdk-nag and the validator report nothing unacknowledged (errors; warnings only where expected)', () => {
    expect(ruleSummary(variant.violations)).toEqual((warnings ?? []).map((w) => `warning ${w}`));
  });

  test('the validator finds no fault in the templates, with real paths to check', () => {
    expect(variant.findings.map((f) => f.ruleId)).toEqual(warnings ?? []);
    expect(tgwCoverage(variant.templates)).toEqual(coverage);
  });

  test('cfn-lint reports nothing', () => {
    expect(cfnLint(variant.templates, { envAware: true })).toBe('');
  });
});
