import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * Launch the group's instances only once their subnets' outbound path exists: the default
 * routes to NAT gateways (`internetConnectivityEstablished`, which waits for the NAT gateways)
 * and the VPC's gateway endpoints (S3, which serves the Amazon Linux repositories and the CDK
 * assets). Without it the instances can boot before those routes are created, their user data
 * (`dnf install`, `aws s3 cp`, under `set -e`) fails, and the group only recovers when the load
 * balancer health checks replace them.
 */
export function launchAfterEgressPath(autoScalingGroup: autoscaling.AutoScalingGroup, vpc: ec2.IVpc, subnets: ec2.SelectedSubnets): void {
  autoScalingGroup.node.addDependency(subnets.internetConnectivityEstablished);
  for (const child of vpc.node.children) {
    if (child instanceof ec2.GatewayVpcEndpoint) {
      autoScalingGroup.node.addDependency(child);
    }
  }
}
