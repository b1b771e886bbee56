import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { IGatewayLoadBalancerEndpointService } from '../gwlb';
import { describeService, subnetHasIpv6 } from '../gwlb/validation';
import { fail } from './validation';

/**
 * Fail unless the inspection service can take IPv6 from dual-stack endpoints. Services whose
 * supported IP address types are unknown (imported by name) pass.
 */
export function validateDualStackService(scope: Construct, service: IGatewayLoadBalancerEndpointService): void {
  const supported = service.supportedIpAddressTypes;
  if (supported === undefined || supported.includes(ec2.IpAddressType.IPV6)) {
    return;
  }
  fail(scope, `ipProtocol is DUAL_STACK but the inspection service ${describeService(service)} does not support IPv6 `
    + `(supportedIpAddressTypes: ${supported.join(', ')}): create the InspectionVpc with `
    + 'ipAddressType: GatewayLoadBalancerIpAddressType.DUAL_STACK (GwlbInspection does so when '
    + 'inspectedApplicationProps.ipProtocol is DUAL_STACK), or give the service ec2.IpAddressType.IPV6 '
    + 'and dual-stack Gateway Load Balancers');
}

/**
 * Fail unless every subnet is known to have an IPv6 CIDR block: dual-stack endpoints and load
 * balancers need one, and the IPv6 routes need its value (imported subnets do not carry it).
 */
export function validateDualStackSubnets(scope: Construct, prop: string, subnets: ec2.ISubnet[]): void {
  for (const subnet of subnets) {
    const hasIpv6 = subnetHasIpv6(subnet);
    if (hasIpv6 === undefined) {
      fail(scope, `ipProtocol is DUAL_STACK but ${prop} subnet ${subnet.node.path} is imported, so its IPv6 CIDR block `
        + 'is unknown: with DUAL_STACK, use an existingVpc defined in this app (ec2.Vpc with ipProtocol DUAL_STACK)');
    }
    if (!hasIpv6) {
      fail(scope, `ipProtocol is DUAL_STACK but ${prop} subnet ${subnet.node.path} has no IPv6 CIDR block: `
        + 'create the existingVpc with ipProtocol: ec2.IpProtocol.DUAL_STACK');
    }
  }
}
