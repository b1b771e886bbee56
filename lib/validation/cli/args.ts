import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';

/** Report formats of `gwlb-validate`. */
export enum ReportFormat {
  HUMAN = 'human',
  JSON = 'json',
  SARIF = 'sarif',
}

/** Exit codes of `gwlb-validate` (documented in the README). */
export enum ExitCode {
  /** No finding. */
  CLEAN = 0,
  /** At least one error: a proven routing fault (takes precedence over everything else). */
  ERRORS = 1,
  /** Warnings only: something could not be proven at synth time. */
  WARNINGS = 2,
  /** At least one input could not be read (and no routing error in the rest). */
  UNREADABLE = 3,
  /** Bad command line. */
  USAGE = 64,
}

export interface CliOptions {
  readonly inputs: string[];
  readonly format: ReportFormat;
  readonly output?: string;
  readonly inspectAllInternetFacing: boolean;
  readonly help: boolean;
}

export const USAGE = `Usage: gwlb-validate [options] <template | cdk.out directory>...

Checks the Gateway Load Balancer inspection path of CloudFormation templates (JSON or YAML,
CloudFormation, SAM or CDK output). Templates given together are validated as one app: references
between them (Fn::ImportValue, nested stacks) are followed.

Options:
  --format <human|json|sarif>      report format (default: human); sarif is SARIF 2.1.0 for CI code scanning
  --output <file>                  write the report to a file instead of standard output
  --inspect-all-internet-facing    check every internet-facing load balancer, not only those in
                                   VPCs with a GWLB endpoint or an internet gateway edge route table
  -h, --help                       show this help

A directory is read as a cloud assembly (its manifest.json, stages included) when it has one, else
every *.json, *.yaml, *.yml and *.template file in it is a template.

Exit codes:
  0  no finding
  1  at least one error (a proven routing fault)
  2  warnings only (something could not be proven at synth time)
  3  an input could not be read (and no error in the others)
  64 bad command line
`;

export class UsageError extends Error {}

export function parseCli(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        'format': { type: 'string', default: ReportFormat.HUMAN },
        'output': { type: 'string' },
        'inspect-all-internet-facing': { type: 'boolean', default: false },
        'help': { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  const format = values.format as string;
  if (!Object.values(ReportFormat).includes(format as ReportFormat)) {
    throw new UsageError(`--format must be one of ${Object.values(ReportFormat).join(', ')}, got '${format}'`);
  }
  if (!values.help && positionals.length === 0) {
    throw new UsageError('give at least one template file or cdk.out directory');
  }
  return {
    inputs: positionals,
    format: format as ReportFormat,
    output: values.output,
    inspectAllInternetFacing: values['inspect-all-internet-facing'] === true,
    help: values.help === true,
  };
}

const TEMPLATE_EXTENSIONS = /\.(json|ya?ml|template)$/i;

/**
 * The template files an argument names: the file itself, the stacks of a cloud assembly directory
 * (nested assemblies of stages included; nested stack templates are found by their parents), or the
 * template files of a plain directory. A path that does not exist is returned as is, so that it is
 * reported as unreadable.
 */
export function templateFilesOf(input: string): string[] {
  if (!fs.existsSync(input) || !fs.statSync(input).isDirectory()) {
    return [input];
  }
  const manifest = path.join(input, 'manifest.json');
  if (fs.existsSync(manifest)) {
    return assemblyTemplates(input, manifest);
  }
  const files = fs.readdirSync(input).filter((f) => TEMPLATE_EXTENSIONS.test(f) && !f.endsWith('.nested.template.json'))
    .map((f) => path.join(input, f)).filter((f) => fs.statSync(f).isFile()).sort();
  return files.length > 0 ? files : [input]; // a directory without templates is reported as unreadable
}

interface AssemblyManifest {
  readonly artifacts?: Record<string, { readonly type?: string; readonly properties?: { readonly templateFile?: string; readonly directoryName?: string } }>;
}

function assemblyTemplates(dir: string, manifestFile: string): string[] {
  let manifest: AssemblyManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf-8')) as AssemblyManifest;
  } catch {
    return [manifestFile]; // reported as unreadable
  }
  const out: string[] = [];
  for (const artifact of Object.values(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      out.push(path.join(dir, artifact.properties.templateFile));
    } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      out.push(...templateFilesOf(path.join(dir, artifact.properties.directoryName))); // a Stage
    }
  }
  return out.length > 0 ? out : [dir]; // an assembly without stacks is reported as unreadable
}
