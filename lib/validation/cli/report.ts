import * as fs from 'fs';
import * as path from 'path';
import { SourcePosition, resourcePositions } from '../cfn-yaml';
import { describeResource, Finding, findingContext, FindingResource, FindingSeverity, InputRuleId, RuleId, UnresolvedRuleId } from '../findings';
import { GWLB_PATH_RULES } from '../rules';
import { ExitCode } from './args';

export const TOOL_NAME = 'gwlb-validate';
export const TOOL_VERSION = '0.1.0';

/** Where a finding points in a template: the resource at fault (or the file of an input finding). */
export interface FindingLocation {
  readonly file?: string;
  readonly resource?: FindingResource;
  readonly position?: SourcePosition;
}

/** Looks up resource positions, reading and parsing each template file once. */
export class Locator {
  private readonly cache = new Map<string, Map<string, SourcePosition>>();

  locate(finding: Finding): FindingLocation {
    const located = finding.resources.filter((r) => r.templatePath !== undefined);
    const resource = located.find((r) => r.location !== undefined) ?? located[0];
    if (!resource) {
      return { file: finding.templatePath };
    }
    return { file: resource.templatePath, resource, position: this.positions(resource.templatePath!).get(resource.logicalId) };
  }

  private positions(file: string): Map<string, SourcePosition> {
    let found = this.cache.get(file);
    if (!found) {
      try {
        found = resourcePositions(fs.readFileSync(file, 'utf-8'));
      } catch {
        found = new Map();
      }
      this.cache.set(file, found);
    }
    return found;
  }
}

export interface Summary {
  readonly errors: number;
  readonly warnings: number;
  readonly unreadable: number;
}

export function summarize(findings: readonly Finding[]): Summary {
  return {
    errors: findings.filter((f) => f.severity === FindingSeverity.ERROR && f.ruleId !== InputRuleId.UNREADABLE).length,
    warnings: findings.filter((f) => f.severity === FindingSeverity.WARNING).length,
    unreadable: findings.filter((f) => f.ruleId === InputRuleId.UNREADABLE).length,
  };
}

/** Errors win over unreadable input, which wins over warnings. */
export function exitCodeOf(summary: Summary): ExitCode {
  if (summary.errors > 0) {
    return ExitCode.ERRORS;
  }
  if (summary.unreadable > 0) {
    return ExitCode.UNREADABLE;
  }
  return summary.warnings > 0 ? ExitCode.WARNINGS : ExitCode.CLEAN;
}

function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

function where(location: FindingLocation): string {
  if (!location.file) {
    return '';
  }
  const at = location.position ? `:${location.position.line}:${location.position.column}` : '';
  return `${displayPath(location.file)}${at}`;
}

/** The default report: one block per finding, then a summary line. */
export function humanReport(findings: readonly Finding[], files: number, locator = new Locator()): string {
  const blocks = findings.map((f) => {
    const location = locator.locate(f);
    const az = f.availabilityZone ? ` [AZ ${f.availabilityZone}]` : '';
    const context = findingContext(f);
    return [
      `${f.severity.toUpperCase()} ${f.ruleId}${az}${location.file ? `  ${where(location)}` : ''}`,
      `  ${f.message}`,
      ...(context ? [`  ${context}`] : []),
      ...(f.resources.length ? [`  Resources: ${f.resources.map(describeResource).join('; ')}`] : []),
      `  Fix: ${f.fix}`,
    ].join('\n');
  });
  const s = summarize(findings);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const unreadable = s.unreadable ? `, ${plural(s.unreadable, 'unreadable file')}` : '';
  blocks.push(`${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}${unreadable} in ${plural(files, 'template file')}.`);
  return `${blocks.join('\n\n')}\n`;
}

/** `--format json`: the findings with their locations and a summary. */
export function jsonReport(findings: readonly Finding[], files: readonly string[], locator = new Locator()): string {
  return `${JSON.stringify({
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    files,
    summary: summarize(findings),
    findings: findings.map((f) => {
      const location = locator.locate(f);
      return { ...f, location: location.file ? { file: location.file, logicalId: location.resource?.logicalId, ...location.position } : undefined };
    }),
  }, null, 2)}\n`;
}

const OTHER_RULES: Record<string, string> = {
  [UnresolvedRuleId.R1]: 'GWLB-R1 (edge route) could not be proven at synth time.',
  [UnresolvedRuleId.R2]: 'GWLB-R2 (return route) could not be proven at synth time.',
  [UnresolvedRuleId.R3]: 'GWLB-R3 (endpoint subnet egress) could not be proven at synth time.',
  [UnresolvedRuleId.R4]: 'A GWLB-R4 rule (service, listener, appliances) could not be proven at synth time.',
  [UnresolvedRuleId.R5]: 'GWLB-R5 (private application targets) could not be proven at synth time.',
  [InputRuleId.UNREADABLE]: 'A template file cannot be read or parsed, so it was not validated.',
  [InputRuleId.NESTED_STACK_NOT_LOADED]: 'A nested stack template is not available locally, so its resources were not validated.',
  [InputRuleId.CONDITIONS_NOT_ALL_EVALUATED]: 'Not every combination of undecided conditions was evaluated.',
};

function ruleDescriptors(): Array<{ id: string; description: string; level: string }> {
  const rules = new Map<string, string>(GWLB_PATH_RULES.map((r) => [r.id, r.description]));
  for (const id of Object.values(RuleId)) {
    rules.set(id, rules.get(id) ?? id);
  }
  return [
    ...[...rules].map(([id, description]) => ({ id, description, level: 'error' })),
    ...Object.entries(OTHER_RULES).map(([id, description]) => ({ id, description, level: id === InputRuleId.UNREADABLE ? 'error' : 'warning' })),
  ];
}

function sarifUri(file: string): string {
  const relative = path.relative(process.cwd(), file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    return `file://${path.resolve(file).split(path.sep).join('/')}`;
  }
  return relative.split(path.sep).join('/');
}

/** `--format sarif`: SARIF 2.1.0, one result per finding at the line of the resource at fault. */
export function sarifReport(findings: readonly Finding[], locator = new Locator()): string {
  const rules = ruleDescriptors();
  const results = findings.map((f) => {
    const location = locator.locate(f);
    const context = findingContext(f);
    return {
      ruleId: f.ruleId,
      ruleIndex: rules.findIndex((r) => r.id === f.ruleId),
      level: f.severity === FindingSeverity.ERROR ? 'error' : 'warning',
      message: { text: `${f.availabilityZone ? `[AZ ${f.availabilityZone}] ` : ''}${f.message}${context ? ` ${context}` : ''} Fix: ${f.fix}` },
      locations: location.file ? [{
        physicalLocation: {
          artifactLocation: { uri: sarifUri(location.file) },
          ...(location.position ? { region: { startLine: location.position.line, startColumn: location.position.column } } : {}),
        },
        ...(location.resource ? { logicalLocations: [{ name: location.resource.logicalId, kind: 'resource', fullyQualifiedName: `${location.resource.stackName}/${location.resource.logicalId}` }] } : {}),
      }] : [],
      properties: { resources: f.resources.map(describeResource), ...(f.conditions ? { conditions: f.conditions } : {}), ...(f.assumedDefaults ? { assumedDefaults: f.assumedDefaults } : {}) },
    };
  });
  return `${JSON.stringify({
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: TOOL_NAME,
          version: TOOL_VERSION,
          rules: rules.map((r) => ({ id: r.id, shortDescription: { text: r.description }, defaultConfiguration: { level: r.level } })),
        },
      },
      results,
    }],
  }, null, 2)}\n`;
}
