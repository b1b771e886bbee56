import * as fs from 'fs';
import * as path from 'path';
import { parseTemplateText } from './cfn-yaml';
import { Finding, FindingSeverity, inputFinding, InputRuleId } from './findings';
import type { CfnResourceJson, CfnTemplate, TemplateFile, TemplateInput } from './templates';

const NESTED_STACK_TYPE = 'AWS::CloudFormation::Stack';
const ASSET_PATH_METADATA = 'aws:asset:path';
const NESTED_TEMPLATE_SUFFIX = '.nested.template.json';
const REMOTE_URL = /^(https?|s3):\/\//i;

/** Templates read from disk, and findings about the files that could not be read or followed. */
export interface TemplateFiles {
  readonly inputs: TemplateInput[];
  readonly findings: Finding[];
}

/**
 * Read stack templates (JSON or YAML with CloudFormation short-form tags) from disk, and every
 * nested stack template they create (recursively). A nested template is found through the
 * `aws:asset:path` metadata of its `AWS::CloudFormation::Stack` resource (written by the CDK CLI),
 * else through the asset manifests next to the template (the asset hash appears in TemplateURL),
 * else through a TemplateURL that is a local file path (as before `aws cloudformation package`).
 * A file that cannot be read is a GWLB-INPUT-UNREADABLE error finding and the others are still
 * read; a nested stack whose template is elsewhere (an S3 URL) is a GWLB-INPUT-NESTED-STACK warning.
 */
export function readTemplateFiles(files: readonly TemplateFile[]): TemplateFiles {
  const inputs: TemplateInput[] = [];
  const findings: Finding[] = [];
  const assetIndex = new Map<string, Map<string, string>>();
  const manifests = new Map<string, Map<string, ManifestStack>>();
  const loading = new Set<string>();
  const load = (file: TemplateFile, parent?: TemplateInput['parent']): void => {
    const template = readTemplate(file.templatePath, findings);
    if (!template) {
      return;
    }
    const index = inputs.length;
    inputs.push({ ...file, template, parent });
    const dir = path.dirname(file.templatePath);
    loading.add(path.resolve(file.templatePath));
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (resource?.Type !== NESTED_STACK_TYPE) {
        continue;
      }
      const nestedFile = nestedTemplateFile(dir, resource, () => nestedAssets(dir, assetIndex, findings));
      if (nestedFile && !loading.has(path.resolve(nestedFile))) {
        const cdkPath = resource.Metadata?.['aws:cdk:path'];
        load({
          templatePath: nestedFile,
          stackName: typeof cdkPath === 'string' ? cdkPath.replace(/\.NestedStack\/.*$/, '') : `${logicalId} (nested in ${file.stackName ?? path.basename(file.templatePath)})`,
          region: file.region,
          account: file.account,
        }, { index, logicalId });
      } else if (!nestedFile) {
        const url = describeUrl(resource.Properties?.TemplateURL);
        findings.push(inputFinding(InputRuleId.NESTED_STACK_NOT_LOADED, FindingSeverity.WARNING, file.templatePath,
          `Nested stack ${logicalId} in ${file.templatePath} takes its template from ${url}, which is not available locally: its resources and the references to its outputs are not validated.`,
          'Validate the nested template too: pass it as its own file, or keep it next to the parent and use a local TemplateURL (as before `aws cloudformation package`).'));
      }
    }
    loading.delete(path.resolve(file.templatePath));
  };
  for (const file of files) {
    const known = manifestStacks(path.dirname(file.templatePath), manifests, findings).get(path.basename(file.templatePath));
    load({
      ...file,
      stackName: file.stackName ?? known?.displayName,
      region: file.region ?? known?.region,
      account: file.account ?? known?.account,
      cloudFormationStackName: file.cloudFormationStackName ?? known?.stackName,
    });
  }
  return { inputs, findings };
}

function describeUrl(url: unknown): string {
  return typeof url === 'string' ? url : (url === undefined ? 'no TemplateURL' : `TemplateURL ${JSON.stringify(url)}`);
}

function readTemplate(file: string, findings: Finding[]): CfnTemplate | undefined {
  try {
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
      throw new Error('it is a directory without CloudFormation templates (*.json, *.yaml, *.yml, *.template) or stacks in a manifest.json');
    }
    const template = parseTemplateText(fs.readFileSync(file, 'utf-8')) as CfnTemplate;
    if (template.Resources !== undefined && (typeof template.Resources !== 'object' || Array.isArray(template.Resources))) {
      throw new Error('its Resources section is not a mapping');
    }
    return template;
  } catch (e) {
    findings.push(inputFinding(InputRuleId.UNREADABLE, FindingSeverity.ERROR, file,
      `Cannot read template ${file}: ${(e as Error).message.split('\n')[0]}`,
      'Pass a readable CloudFormation template (JSON or YAML); the other files were still validated.'));
    return undefined;
  }
}

function readJson(file: string, findings: Finding[]): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf-8'));
  } catch (e) {
    findings.push(inputFinding(InputRuleId.UNREADABLE, FindingSeverity.ERROR, file, `Cannot read ${file}: ${(e as Error).message}`,
      'Re-synthesize the cloud assembly.'));
    return {};
  }
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
function manifestStacks(dir: string, cache: Map<string, Map<string, ManifestStack>>, findings: Finding[]): Map<string, ManifestStack> {
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
  const manifest = readJson(file, findings) as { artifacts?: Record<string, ManifestArtifact> };
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
  const templateUrl = resource.Properties?.TemplateURL;
  const url = JSON.stringify(templateUrl ?? '');
  for (const [hash, file] of assets()) {
    if (url.includes(hash)) {
      return file;
    }
  }
  if (typeof templateUrl === 'string' && !REMOTE_URL.test(templateUrl)) {
    const candidate = path.resolve(dir, templateUrl.replace(/^file:\/\//, ''));
    return fs.existsSync(candidate) && fs.statSync(candidate).isFile() ? candidate : undefined;
  }
  return undefined;
}

/** asset hash -> nested template file, from the `*.assets.json` manifests of a cloud assembly directory. */
function nestedAssets(dir: string, cache: Map<string, Map<string, string>>, findings: Finding[]): Map<string, string> {
  let found = cache.get(dir);
  if (found) {
    return found;
  }
  found = new Map();
  cache.set(dir, found);
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.assets.json'))) {
    const manifest = readJson(path.join(dir, name), findings) as { files?: Record<string, { source?: { path?: string } }> };
    for (const [hash, asset] of Object.entries(manifest.files ?? {})) {
      const source = asset.source?.path;
      if (source?.endsWith(NESTED_TEMPLATE_SUFFIX) && fs.existsSync(path.join(dir, source))) {
        found.set(hash, path.join(dir, source));
      }
    }
  }
  return found;
}
