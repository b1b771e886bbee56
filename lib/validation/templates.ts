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
  /** The deployed stack name (top-level stacks only). */
  readonly cloudFormationStackName?: string;
  readonly parent?: { readonly key: string; readonly logicalId: string };
}

export function toStackTemplates(inputs: readonly TemplateInput[]): StackTemplate[] {
  return inputs.map((input, index) => ({
    key: `S${index}`,
    name: input.stackName ?? (input.templatePath ? path.basename(input.templatePath).replace(/(\.template)?\.json$/, '') : `Stack${index}`),
    templatePath: input.templatePath,
    template: input.template,
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

const NESTED_STACK_TYPE = 'AWS::CloudFormation::Stack';
const ASSET_PATH_METADATA = 'aws:asset:path';
const NESTED_TEMPLATE_SUFFIX = '.nested.template.json';

/**
 * Read stack templates from disk, and every nested stack template they create (recursively).
 * A nested template is found through the `aws:asset:path` metadata of its
 * `AWS::CloudFormation::Stack` resource (written when asset metadata is enabled, as by the CLI),
 * else through the asset manifests next to the template: the asset hash appears in TemplateURL.
 */
export function loadTemplateFiles(files: readonly TemplateFile[]): TemplateInput[] {
  const inputs: TemplateInput[] = [];
  const assetIndex = new Map<string, Map<string, string>>();
  const manifests = new Map<string, Map<string, ManifestStack>>();
  const load = (file: TemplateFile, parent?: TemplateInput['parent']): void => {
    const template = readJson(file.templatePath) as CfnTemplate;
    const index = inputs.length;
    inputs.push({ ...file, template, parent });
    const dir = path.dirname(file.templatePath);
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type !== NESTED_STACK_TYPE) {
        continue;
      }
      const nestedFile = nestedTemplateFile(dir, resource, () => nestedAssets(dir, assetIndex));
      if (nestedFile) {
        const cdkPath = resource.Metadata?.['aws:cdk:path'];
        load({
          templatePath: nestedFile,
          stackName: typeof cdkPath === 'string' ? cdkPath.replace(/\.NestedStack\/.*$/, '') : path.basename(nestedFile, '.json'),
          region: file.region,
          account: file.account,
        }, { index, logicalId });
      }
    }
  };
  for (const file of files) {
    const known = manifestStacks(path.dirname(file.templatePath), manifests).get(path.basename(file.templatePath));
    load({
      ...file,
      stackName: file.stackName ?? known?.displayName,
      region: file.region ?? known?.region,
      account: file.account ?? known?.account,
      cloudFormationStackName: file.cloudFormationStackName ?? known?.stackName,
    });
  }
  return inputs;
}

/** What a cloud assembly manifest says about one stack artifact. */
interface ManifestStack {
  readonly stackName: string;
  /** The construct path of the stack (`displayName`), else the artifact id. */
  readonly displayName: string;
  readonly region?: string;
  readonly account?: string;
}

const MANIFEST_FILE = 'manifest.json';
const STACK_ARTIFACT_TYPE = 'aws:cloudformation:stack';
const ENVIRONMENT = /^aws:\/\/([^/]+)\/([^/]+)$/;

/**
 * template file name -> stack, from the `manifest.json` of a cloud assembly directory (empty when
 * there is none). The deployed stack name is `properties.stackName`, else the artifact id.
 */
function manifestStacks(dir: string, cache: Map<string, Map<string, ManifestStack>>): Map<string, ManifestStack> {
  let found = cache.get(dir);
  if (found) {
    return found;
  }
  found = new Map();
  cache.set(dir, found);
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) {
    return found;
  }
  const manifest = readJson(file) as { artifacts?: Record<string, ManifestArtifact> };
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    const templateFile = artifact.properties?.templateFile;
    if (artifact.type !== STACK_ARTIFACT_TYPE || typeof templateFile !== 'string') {
      continue;
    }
    const env = ENVIRONMENT.exec(artifact.environment ?? '');
    const known = (value: string | undefined) => (value && !value.startsWith('unknown-') ? value : undefined);
    found.set(templateFile, {
      stackName: artifact.properties?.stackName ?? id,
      displayName: artifact.displayName ?? id,
      account: known(env?.[1]),
      region: known(env?.[2]),
    });
  }
  return found;
}

interface ManifestArtifact {
  readonly type?: string;
  readonly displayName?: string;
  readonly environment?: string;
  readonly properties?: { readonly templateFile?: unknown; readonly stackName?: string };
}

function nestedTemplateFile(dir: string, resource: CfnResourceJson, assets: () => Map<string, string>): string | undefined {
  const assetPath = resource.Metadata?.[ASSET_PATH_METADATA];
  if (typeof assetPath === 'string') {
    const candidate = path.resolve(dir, assetPath);
    return fs.existsSync(candidate) ? candidate : undefined;
  }
  const url = JSON.stringify(resource.Properties?.TemplateURL ?? '');
  for (const [hash, file] of assets()) {
    if (url.includes(hash)) {
      return file;
    }
  }
  return undefined;
}

/** asset hash -> nested template file, from the `*.assets.json` manifests of a cloud assembly directory. */
function nestedAssets(dir: string, cache: Map<string, Map<string, string>>): Map<string, string> {
  let found = cache.get(dir);
  if (found) {
    return found;
  }
  found = new Map();
  cache.set(dir, found);
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.assets.json'))) {
    const manifest = readJson(path.join(dir, name)) as { files?: Record<string, { source?: { path?: string } }> };
    for (const [hash, asset] of Object.entries(manifest.files ?? {})) {
      const source = asset.source?.path;
      if (source?.endsWith(NESTED_TEMPLATE_SUFFIX) && fs.existsSync(path.join(dir, source))) {
        found.set(hash, path.join(dir, source));
      }
    }
  }
  return found;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf-8'));
  } catch (e) {
    throw new Error(`GwlbPathValidator: cannot read template ${file}: ${(e as Error).message}`);
  }
}
