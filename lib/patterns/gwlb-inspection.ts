import { Construct } from 'constructs';
import { GatewayLoadBalancerIpAddressType } from '../gwlb';
import { ApplicationIpProtocol } from './application-vpc-layout';
import { InspectedApplication, InspectedApplicationOptions } from './inspected-application';
import { InspectionVpc, InspectionVpcProps } from './inspection-vpc';

/** Properties of a {@link GwlbInspection}. */
export interface GwlbInspectionProps {
  /**
   * The security side. When the application side is dual-stack
   * (`inspectedApplicationProps.ipProtocol: ApplicationIpProtocol.DUAL_STACK`), `ipAddressType`
   * defaults to `GatewayLoadBalancerIpAddressType.DUAL_STACK`.
   * @default - InspectionVpc defaults: a new VPC, two appliances running the bundled agent
   */
  readonly inspectionVpcProps?: InspectionVpcProps;

  /**
   * The application side; its inspection service is the security side built here.
   * @default - InspectedApplication defaults: a new VPC, an HTTP load balancer and two web servers
   */
  readonly inspectedApplicationProps?: InspectedApplicationOptions;
}

/**
 * Both sides of a Gateway Load Balancer inspection architecture in one statement: an
 * {@link InspectionVpc} and an {@link InspectedApplication} that routes its internet traffic
 * through it. To put them in separate stacks or accounts, use the two constructs directly.
 */
export class GwlbInspection extends Construct {
  public readonly inspectionVpc: InspectionVpc;
  public readonly application: InspectedApplication;

  constructor(scope: Construct, id: string, props: GwlbInspectionProps = {}) {
    super(scope, id);
    const dualStack = props.inspectedApplicationProps?.ipProtocol === ApplicationIpProtocol.DUAL_STACK;
    this.inspectionVpc = new InspectionVpc(this, 'Inspection', dualStack
      ? { ...props.inspectionVpcProps, ipAddressType: props.inspectionVpcProps?.ipAddressType ?? GatewayLoadBalancerIpAddressType.DUAL_STACK }
      : props.inspectionVpcProps);
    this.application = new InspectedApplication(this, 'Application', {
      ...props.inspectedApplicationProps,
      inspectionService: this.inspectionVpc,
    });
  }
}
