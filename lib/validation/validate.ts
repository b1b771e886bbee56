import { Finding, FindingSeverity } from './findings';
import { GwlbModel } from './model';
import { GWLB_PATH_RULES, GwlbRule } from './rules';
import { inspectionScope, GwlbRuleOptions } from './scope';
import { loadTemplateFiles, TemplateFile, TemplateInput } from './templates';

export interface ValidateOptions extends GwlbRuleOptions {
  /**
   * The rules to run.
   * @default GWLB_PATH_RULES (all)
   */
  readonly rules?: readonly GwlbRule[];
}

/** Run the GWLB path rules over an already built model. Errors first, duplicates removed. */
export function validateModel(model: GwlbModel, options: ValidateOptions = {}): Finding[] {
  const context = { scope: inspectionScope(model, options), options };
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const rule of options.rules ?? GWLB_PATH_RULES) {
    for (const finding of rule.check(model, context)) {
      const key = `${finding.ruleId}|${finding.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        findings.push(finding);
      }
    }
  }
  const rank = (f: Finding) => (f.severity === FindingSeverity.ERROR ? 0 : 1);
  return findings.sort((a, b) => rank(a) - rank(b));
}

/**
 * Validate the packet path of the templates of one app (all stacks, nested stacks included as
 * separate inputs with `parent` set). Accepts parsed templates, e.g. `Template.fromStack(s).toJSON()`.
 */
export function validateTemplates(templates: readonly TemplateInput[], options: ValidateOptions = {}): Finding[] {
  return validateModel(GwlbModel.fromTemplates(templates), options);
}

/** Validate template files (e.g. a cdk.out directory's stacks); nested stack templates are read too. */
export function validateTemplateFiles(files: ReadonlyArray<TemplateFile | string>, options: ValidateOptions = {}): Finding[] {
  const normalized = files.map((f) => (typeof f === 'string' ? { templatePath: f } : f));
  return validateTemplates(loadTemplateFiles(normalized), options);
}
