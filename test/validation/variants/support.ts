/**
 * Variant test support: synthesize an app built from the library's patterns the way `cdk synth`
 * does (the project's cdk.json context, construct path metadata), with cdk-nag's AWS Solutions
 * checks and the GWLB path validator as policy-validation plugins, then read the validation
 * report and lint the templates with cfn-lint.
 */
import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { App, Validations } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Finding, GwlbModel, GwlbPathValidator, loadTemplateFiles, validateTemplateFiles } from '../../../lib/validation';
import { AddressFamily } from '../../../lib/validation/cidr';
import { edgeRouteFor } from '../../../lib/validation/paths';
import { ingressEndpoints, inspectionScope } from '../../../lib/validation/scope';

const CDK_JSON = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'cdk.json'), 'utf8'));

export const ACCOUNT = '111111111111';
export const CONSUMER_ACCOUNT = '222222222222';
export const REGION = 'eu-west-1';

/** Context that gives env-aware stacks of ACCOUNT/CONSUMER_ACCOUNT in REGION three AZs (a, b, c) without lookups. */
export const AZ_CONTEXT: Record<string, unknown> = Object.fromEntries([ACCOUNT, CONSUMER_ACCOUNT].map((account) => [
  `availability-zones:account=${account}:region=${REGION}`, [`${REGION}a`, `${REGION}b`, `${REGION}c`],
]));

/** One violation of the validation report, as `<severity> <rule>` plus where. */
export interface ReportedViolation {
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly constructPaths: string[];
}

export interface SynthesizedVariant {
  readonly app: App;
  readonly assembly: CloudAssembly;
  /** Every stack template, nested ones included. */
  readonly templates: string[];
  /** The unacknowledged violations of every plugin (from validation-report.json). */
  readonly violations: ReportedViolation[];
  /** The validator's findings (errors and warnings) on the synthesized templates. */
  readonly findings: Finding[];
  /** Remove the output directory. */
  dispose(): void;
}

/**
 * Build and synthesize an app with both validation plugins. Synthesis fails on an error of either
 * plugin; warnings are only reported. The environment variables the CLI would set are ignored.
 */
export function synthVariant(build: (app: App) => void, context: Record<string, unknown> = {}): SynthesizedVariant {
  const saved = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  delete process.env.CDK_DEFAULT_ACCOUNT;
  delete process.env.CDK_DEFAULT_REGION;
  const outdir = mkdtempSync(path.join(tmpdir(), 'gwlb-variant-'));
  try {
    const app = new App({ outdir, context: { ...CDK_JSON.context, 'aws:cdk:enable-path-metadata': true, ...context } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new GwlbPathValidator());
    build(app);
    const assembly = app.synth();
    const templates = assembly.stacksRecursively.map((s) => s.templateFullPath);
    return {
      app,
      assembly,
      templates,
      violations: reportedViolations(assembly.directory),
      findings: validateTemplateFiles(templates),
      dispose: () => rmSync(outdir, { recursive: true, force: true }),
    };
  } catch (e) {
    rmSync(outdir, { recursive: true, force: true });
    throw e;
  } finally {
    restore('CDK_DEFAULT_ACCOUNT', saved.account);
    restore('CDK_DEFAULT_REGION', saved.region);
  }
}

function restore(name: string, value: string | undefined): void {
  if (value !== undefined) {
    process.env[name] = value;
  }
}

function reportedViolations(directory: string): ReportedViolation[] {
  const file = path.join(directory, 'validation-report.json');
  if (!existsSync(file)) {
    return [];
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  return report.pluginReports.flatMap((r: any) => r.violations.map((v: any) => ({
    plugin: r.pluginName,
    rule: v.ruleName,
    severity: v.severity,
    constructPaths: v.violatingConstructs.map((c: any) => c.constructPath),
  })));
}

/** `<severity> <rule id>` of each violation, for exact comparisons. */
export function ruleSummary(violations: readonly ReportedViolation[]): string[] {
  return violations.map((v) => `${v.severity} ${v.rule}`);
}

/**
 * cfn-lint W3010 ("Avoid hardcoding availability zones") is about hand-written templates: an
 * env-aware CDK stack always writes the zone names of its account and region (from the
 * `availability-zones` context), so it is not checked for env-aware variants.
 */
const ENV_AWARE_IGNORED_CHECKS = ['W3010'];

/**
 * Run cfn-lint once on all the templates and return what it printed (empty when clean).
 * Fails when cfn-lint is not installed.
 */
export function cfnLint(templates: readonly string[], options: { readonly envAware?: boolean } = {}): string {
  const ignore = options.envAware ? ['--ignore-checks', ...ENV_AWARE_IGNORED_CHECKS] : [];
  const result = spawnSync('cfn-lint', ['--format', 'parseable', ...ignore, '--', ...templates], { encoding: 'utf8' });
  if (result.error) {
    throw new Error(`cfn-lint could not be run (install it with: pip install cfn-lint): ${result.error.message}`);
  }
  return `${result.stdout}${result.stderr}`.trim() || (result.status === 0 ? '' : `cfn-lint exited with ${result.status}`);
}

/** What the validator found to check, so that "no finding" is known not to be vacuous. */
export interface CheckedPaths {
  /** Subnets whose inbound internet traffic must pass an endpoint (the load balancer subnets). */
  readonly inspectedSubnets: number;
  /** GWLB endpoints that the IGW edge route tables send traffic to. */
  readonly ingressEndpoints: number;
  /** Endpoints whose endpoint service (and so GWLB, target group, appliances) is in the app. */
  readonly endpointsWithKnownService: number;
}

export function checkedPaths(templates: readonly string[]): CheckedPaths {
  const model = GwlbModel.fromTemplates(loadTemplateFiles(templates.map((templatePath) => ({ templatePath }))));
  const scope = inspectionScope(model);
  const endpoints = ingressEndpoints(model, scope);
  const services = [...model.endpointServices.keys()].map((key) => `{{ref:${key}}}`);
  return {
    inspectedSubnets: scope.subnets.length,
    ingressEndpoints: endpoints.length,
    endpointsWithKnownService: endpoints.filter(({ endpoint }) => typeof endpoint.serviceName === 'string'
      && services.some((ref) => (endpoint.serviceName as string).includes(ref))).length,
  };
}

/** How many IPv6 blocks of inspected subnets the IGW edge route table sends to a GWLB endpoint. */
export function ipv6EdgeRoutedBlocks(templates: readonly string[]): number {
  const model = GwlbModel.fromTemplates(loadTemplateFiles(templates.map((templatePath) => ({ templatePath }))));
  return inspectionScope(model).subnets.flatMap(({ subnet, vpcId }) => subnet.ipv6CidrBlocks
    .map((block) => edgeRouteFor(model, subnet, vpcId, AddressFamily.IPV6, block))
    .filter((edge) => edge.kind === 'route' && edge.endpoint !== undefined)).length;
}
