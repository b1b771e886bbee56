import { App } from 'aws-cdk-lib';
import { Finding, FindingSeverity, validateTemplateFiles, ValidateOptions } from '../../lib/validation';

/** Synthesize the app (no plugins) and validate every stack template of it, nested ones included. */
export function findingsOf(app: App, options: ValidateOptions = {}): Finding[] {
  const assembly = app.synth();
  return validateTemplateFiles(assembly.stacksRecursively.map((s) => ({
    templatePath: s.templateFullPath,
    stackName: s.hierarchicalId,
    region: s.environment.region === 'unknown-region' ? undefined : s.environment.region,
  })), options);
}

export function errors(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.severity === FindingSeverity.ERROR);
}

export function summary(findings: Finding[]): string[] {
  return findings.map((f) => `${f.severity} ${f.ruleId} ${f.availabilityZone ?? '-'}`);
}
