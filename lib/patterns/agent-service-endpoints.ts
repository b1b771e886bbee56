import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/**
 * Interface endpoints for the AWS APIs the bundled agent and its user data call, for appliance
 * subnets without a NAT gateway (`natGateways: 0`): SSM (the policy parameter), CloudWatch
 * (metrics), CloudWatch Logs and CloudFormation (cfn-signal). Without them the agent could not
 * read its policy and the group's signals would never arrive. The group launches after them.
 */
export function addAgentServiceEndpoints(
  scope: Construct, vpc: ec2.IVpc, subnets: ec2.ISubnet[], group: autoscaling.AutoScalingGroup,
): ec2.InterfaceVpcEndpoint[] {
  const services: Array<[string, ec2.InterfaceVpcEndpointAwsService]> = [
    ['SsmEndpoint', ec2.InterfaceVpcEndpointAwsService.SSM],
    ['CloudWatchEndpoint', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING],
    ['CloudWatchLogsEndpoint', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
    ['CloudFormationEndpoint', ec2.InterfaceVpcEndpointAwsService.CLOUDFORMATION],
  ];
  return services.map(([id, service]) => {
    const endpoint = new ec2.InterfaceVpcEndpoint(scope, id, { vpc, service, subnets: { subnets }, privateDnsEnabled: true });
    group.node.addDependency(endpoint);
    return endpoint;
  });
}
