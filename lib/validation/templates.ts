import * as path from 'path';
import { readTemplateFiles } from './template-files';

/** A CloudFormation template as parsed JSON. */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResourceJson>;
  readonly Outputs?: Record<string, { readonly Value?: unknown; readonly Export?: { readonly Name?: unknown }; readonly Condition?: string }>;
  readonly Parameters?: Record<string, CfnParameterJson>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Conditions?: Record<string, unknown>;
}

export interface CfnParameterJson {
  readonly Type?: string;
  readonly Default?: unknown;
  readonly AllowedValues?: readonly unknown[];
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
  readonly DependsOn?: string | readonly string[];
}

/** The template of a nested stack: where its parent is in the same input list. */
export interface NestedStackParent {
  /** The index of the parent template in the input list. */
  readonly index: number;
  /** The logical id of the parent's `AWS::CloudFormation::Stack` resource that creates the nested stack. */
  readonly logicalId: string;
}

/** One template handed to the validator. */
export interface TemplateInput {
  /** The parsed template (JSON), e.g. `Template.fromStack(stack).toJSON()`. */
  readonly template: { [key: string]: any };
  /**
   * A display name for the stack (construct path of the stack, or its artifact id).
   * @default - the template file name, else `Stack<n>`
   */
  readonly stackName?: string;
  /**
   * Where the template was read from; copied into findings.
   * @default - no path
   */
  readonly templatePath?: string;
  /**
   * The stack's region when it is known (env-aware stack).
   * @default - env-agnostic: `Fn::GetAZs` and `AWS::Region` stay symbolic
   */
  readonly region?: string;
  /**
   * The stack's account when it is known.
   * @default - symbolic
   */
  readonly account?: string;
  /**
   * The name of the deployed CloudFormation stack (`Stack.stackName`), which `Fn::GetStackOutput`
   * uses to name the producer of a weak cross-stack reference.
   * @default - `stackName` for a top-level stack; none for a nested stack
   */
  readonly cloudFormationStackName?: string;
  /**
   * For a nested stack: the index (in the same input list) of the parent template and the logical id
   * of the `AWS::CloudFormation::Stack` resource that creates it.
   * @default - a top-level stack
   */
  readonly parent?: NestedStackParent;
}

/** A template with its stable key (`S<index>`) as used by the resolver and the model. */
export interface StackTemplate {
  readonly key: string;
  readonly name: string;
  readonly templatePath?: string;
  readonly template: CfnTemplate;
  readonly region?: string;
  readonly account?: string;
  /** The deployed stack name (top-level stacks only). */
  readonly cloudFormationStackName?: string;
  readonly parent?: { readonly key: string; readonly logicalId: string };
}

export function toStackTemplates(inputs: readonly TemplateInput[]): StackTemplate[] {
  return inputs.map((input, index) => ({
    key: `S${index}`,
    name: input.stackName ?? (input.templatePath ? path.basename(input.templatePath).replace(/(\.template)?\.(json|ya?ml)$/, '') : `Stack${index}`),
    templatePath: input.templatePath,
    template: input.template as CfnTemplate,
    region: input.region,
    account: input.account,
    cloudFormationStackName: input.parent ? undefined : input.cloudFormationStackName ?? input.stackName,
    parent: input.parent ? { key: `S${input.parent.index}`, logicalId: input.parent.logicalId } : undefined,
  }));
}

/**
 * A stack template file on disk and what is known about its environment. Whatever is not given is
 * read from the cloud assembly manifest (`manifest.json`) next to the template, when there is one.
 */
export interface TemplateFile {
  readonly templatePath: string;
  /** @default - the stack's construct path from the manifest, else the file name */
  readonly stackName?: string;
  /** @default - from the manifest, else env-agnostic */
  readonly region?: string;
  /** @default - from the manifest, else env-agnostic */
  readonly account?: string;
  /** @default - from the manifest, else `stackName` */
  readonly cloudFormationStackName?: string;
}

/**
 * Read stack templates (JSON or YAML) from disk, and every nested stack template they create
 * (recursively), see `readTemplateFiles`. Throws when a file cannot be read or parsed; the
 * validator itself (`validateTemplateFiles`) reports such a file as a finding and goes on.
 */
export function loadTemplateFiles(files: readonly TemplateFile[]): TemplateInput[] {
  const { inputs, findings } = readTemplateFiles(files);
  const unreadable = findings.find((f) => f.severity === 'error');
  if (unreadable) {
    throw new Error(`GwlbPathValidator: ${unreadable.message}`);
  }
  return inputs;
}
