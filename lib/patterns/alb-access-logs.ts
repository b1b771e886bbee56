import { Stack, Token } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { FactName } from 'aws-cdk-lib/region-info';

/**
 * Send an Application Load Balancer's access logs to a bucket (SSE-S3 only: ELB cannot write
 * to KMS-encrypted buckets).
 *
 * In a stack with a concrete region this is `alb.logAccessLogs()`. In an environment-agnostic
 * stack (where `logAccessLogs()` refuses to work) the same attributes and bucket policy are
 * written, with the regional Elastic Load Balancing account looked up at deploy time from a
 * CloudFormation mapping of the regions aws-cdk-lib knows (deploy such stacks with a concrete
 * region if yours is newer than your aws-cdk-lib).
 */
export function enableAccessLogs(alb: elbv2.ApplicationLoadBalancer, bucket: s3.IBucket, prefix: string): void {
  const stack = Stack.of(alb);
  if (!Token.isUnresolved(stack.region)) {
    alb.logAccessLogs(bucket, prefix);
    return;
  }
  alb.setAttribute('access_logs.s3.enabled', 'true');
  alb.setAttribute('access_logs.s3.bucket', bucket.bucketName);
  alb.setAttribute('access_logs.s3.prefix', prefix);
  const objects = bucket.arnForObjects(`${prefix ? prefix + '/' : ''}AWSLogs/${stack.account}/*`);
  const elbAccount = stack.regionalFact(FactName.ELBV2_ACCOUNT);
  const logDelivery = new iam.ServicePrincipal('delivery.logs.amazonaws.com');
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:PutObject'],
    principals: [new iam.AccountPrincipal(elbAccount)],
    resources: [objects],
  }));
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:PutObject'],
    principals: [logDelivery],
    resources: [objects],
    conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
  }));
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:GetBucketAcl'],
    principals: [logDelivery],
    resources: [bucket.bucketArn],
  }));
  // ELB checks that it can write when the attribute is set: create the policy first.
  if (bucket.policy) {
    alb.node.addDependency(bucket.policy);
  }
}
