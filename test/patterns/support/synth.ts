import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';

/** All resources of a type, as [logicalId, resource] pairs. */
export function resourcesOfType(template: Template, type: string): Array<[string, any]> {
  return Object.entries(template.findResources(type));
}

/** The single resource of a type. */
export function onlyResource(template: Template, type: string): [string, any] {
  const found = resourcesOfType(template, type);
  if (found.length !== 1) {
    throw new Error(`expected exactly one ${type}, found ${found.length}`);
  }
  return found[0];
}

/** The logical ID of the construct's default child (or of the CfnResource itself). */
export function logicalIdOf(construct: IConstruct): string {
  const stack = Stack.of(construct);
  const resource = (construct.node.defaultChild ?? construct) as any;
  return stack.resolve(resource.logicalId);
}

/**
 * The user data of a launch template as one string: literal parts are kept, intrinsic
 * functions are rendered as `${<json>}`.
 */
export function userDataText(launchTemplate: any): string {
  const encoded = launchTemplate.Properties.LaunchTemplateData.UserData['Fn::Base64'];
  if (typeof encoded === 'string') {
    return encoded;
  }
  const [separator, parts] = encoded['Fn::Join'];
  return parts.map((p: unknown) => (typeof p === 'string' ? p : '${' + JSON.stringify(p) + '}')).join(separator);
}

/** The acknowledged rule ids recorded on a construct (Validations.acknowledge). */
export function acknowledgedRuleIds(construct: IConstruct): string[] {
  return construct.node.metadata
    .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
    .flatMap((m) => Object.keys(m.data as Record<string, string>));
}
