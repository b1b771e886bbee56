import { CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The stack-wide provider behind `restrictDefaultSecurityGroup` of `ec2.Vpc`. */
const RESTRICT_DEFAULT_SG_PROVIDER = 'Custom::VpcRestrictDefaultSGCustomResourceProvider';

/**
 * aws-cdk-lib's custom resource provider function declares `DependsOn` its role although its
 * `Role` property already references the role with `Fn::GetAtt` (cfn-lint W3005). Drop the
 * redundant `DependsOn`; the `GetAtt` still orders the two. Does nothing if the provider is absent
 * or laid out differently.
 */
export function dropRedundantProviderDependency(scope: IConstruct): void {
  const provider = Stack.of(scope).node.tryFindChild(RESTRICT_DEFAULT_SG_PROVIDER);
  const handler = provider?.node.tryFindChild('Handler');
  const role = provider?.node.tryFindChild('Role');
  if (handler instanceof CfnResource && role instanceof CfnResource && handler.obtainDependencies().includes(role)) {
    handler.removeResourceDependency(role);
  }
}
