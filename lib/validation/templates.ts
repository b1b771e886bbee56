import * as fs from 'fs';
import * as path from 'path';

/** A CloudFormation template as parsed JSON. */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResourceJson>;
  readonly Outputs?: Record<string, { readonly Value?: unknown; readonly Export?: { readonly Name?: unknown } }>;
  readonly Parameters?: Record<string, { readonly Type?: string; readonly Default?: unknown }>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
}

/** One template handed to the validator. */
export interface TemplateInput {
  /** The parsed template. */
  readonly template: CfnTemplate;
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
   * For a nested stack: the index (in the same input list) of the parent template and the logical id
   * of the `AWS::CloudFormation::Stack` resource that creates it.
   * @default - a top-level stack
   */
  readonly parent?: { readonly index: number; readonly logicalId: string };
}

/** A template with its stable key (`S<index>`) as used by the resolver and the model. */
export interface StackTemplate {
  readonly key: string;
  readonly name: string;
  readonly templatePath?: string;
  readonly template: CfnTemplate;
  readonly region?: string;
  readonly account?: string;
  readonly parent?: { readonly key: string; readonly logicalId: string };
}

export function toStackTemplates(inputs: readonly TemplateInput[]): StackTemplate[] {
  return inputs.map((input, index) => ({
    key: `S${index}`,
    name: input.stackName ?? (input.templatePath ? path.basename(input.templatePath, '.json') : `Stack${index}`),
    templatePath: input.templatePath,
    template: input.template,
    region: input.region,
    account: input.account,
    parent: input.parent ? { key: `S${input.parent.index}`, logicalId: input.parent.logicalId } : undefined,
  }));
}

/** A stack template file on disk and what is known about its environment. */
export interface TemplateFile {
  readonly templatePath: string;
  /** @default - the file name */
  readonly stackName?: string;
  /** @default - env-agnostic */
  readonly region?: string;
  /** @default - env-agnostic */
  readonly account?: string;
}

const NESTED_STACK_TYPE = 'AWS::CloudFormation::Stack';
const ASSET_PATH_METADATA = 'aws:asset:path';

/**
 * Read stack templates from disk, and every nested stack template they create (recursively).
 * Nested templates are found through the `aws:asset:path` metadata that the CDK writes on
 * `AWS::CloudFormation::Stack` resources; they live next to the parent template.
 */
export function loadTemplateFiles(files: readonly TemplateFile[]): TemplateInput[] {
  const inputs: TemplateInput[] = [];
  const load = (file: TemplateFile, parent?: TemplateInput['parent']): void => {
    const template = JSON.parse(fs.readFileSync(file.templatePath, 'utf-8')) as CfnTemplate;
    const index = inputs.length;
    inputs.push({ ...file, template, parent });
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      const assetPath = resource.Type === NESTED_STACK_TYPE ? resource.Metadata?.[ASSET_PATH_METADATA] : undefined;
      if (typeof assetPath !== 'string') {
        continue;
      }
      const nestedPath = path.resolve(path.dirname(file.templatePath), assetPath);
      if (fs.existsSync(nestedPath)) {
        const cdkPath = resource.Metadata?.['aws:cdk:path'];
        load({
          templatePath: nestedPath,
          stackName: typeof cdkPath === 'string' ? cdkPath.replace(/\.NestedStack\/.*$/, '') : path.basename(nestedPath),
          region: file.region,
          account: file.account,
        }, { index, logicalId });
      }
    }
  };
  for (const file of files) {
    load(file);
  }
  return inputs;
}
