import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

export const ENV = { account: '123456789012', region: 'us-east-1' };

/** A stack in a concrete environment (availability zones dummy1a, dummy1b, dummy1c). */
export function newStack(id = 'Stack'): Stack {
  return new Stack(new App(), id, { env: ENV });
}

/** A VPC with public and private subnets in two availability zones. */
export function newVpc(stack: Stack, id = 'Vpc', props: ec2.VpcProps = {}): ec2.Vpc {
  return new ec2.Vpc(stack, id, { maxAzs: 2, natGateways: 0, subnetConfiguration: [
    { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
    { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
  ], ...props });
}

/** A dual-stack VPC (`ipProtocol: DUAL_STACK`) with public and isolated subnets in two availability zones. */
export function newDualStackVpc(stack: Stack, id = 'DualVpc', props: ec2.VpcProps = {}): ec2.Vpc {
  return newVpc(stack, id, { ipProtocol: ec2.IpProtocol.DUAL_STACK, ...props });
}
