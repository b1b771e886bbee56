import { Finding, FindingSeverity } from './findings';
import { GwlbModel } from './model';
import { GWLB_PATH_RULES, GwlbRule } from './rules';
import { findingKey, mergeScenarioFindings, scenarioModels } from './scenarios';
import { inspectionScope, GwlbRuleOptions } from './scope';
import { readTemplateFiles } from './template-files';
import { TemplateFile, TemplateInput, toStackTemplates } from './templates';

export interface ValidateOptions extends GwlbRuleOptions {
  /**
   * The rules to run.
   * @default GWLB_PATH_RULES (all)
   */
  readonly rules?: readonly GwlbRule[];
}


/**
 * Run the GWLB path rules over an already built model (one scenario). Errors first; a finding
 * reported twice for the same resources (in the same stacks) is kept once.
 */
export function validateModel(model: GwlbModel, options: ValidateOptions = {}): Finding[] {
  const context = { scope: inspectionScope(model, options), options };
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const rule of options.rules ?? GWLB_PATH_RULES) {
    for (const finding of rule.check(model, context)) {
      const key = findingKey(finding);
      if (!seen.has(key)) {
        seen.add(key);
        findings.push(finding);
      }
    }
  }
  return sortFindings(findings);
}

function sortFindings(findings: Finding[]): Finding[] {
  const rank = (f: Finding) => (f.severity === FindingSeverity.ERROR ? 0 : 1);
  return findings.sort((a, b) => rank(a) - rank(b));
}

/**
 * Validate the packet path of the templates of one app (all stacks, nested stacks included as
 * separate inputs with `parent` set). Accepts parsed templates, e.g. `Template.fromStack(s).toJSON()`.
 * Parameters resolve to their defaults; conditions that depend on parameters without a default are
 * checked in every deployable combination (see conditions.ts).
 */
export function validateTemplates(templates: readonly TemplateInput[], options: ValidateOptions = {}): Finding[] {
  const { models, findings } = scenarioModels(toStackTemplates(templates));
  const runs = models.map((model) => ({ scenario: model.scenario, findings: validateModel(model, options) }));
  return sortFindings([...findings, ...mergeScenarioFindings(runs)]);
}

/**
 * Validate template files (JSON or YAML; e.g. a cdk.out directory's stacks); nested stack templates
 * are read too. A file that cannot be read is reported as a GWLB-INPUT-UNREADABLE finding.
 */
export function validateTemplateFiles(files: ReadonlyArray<TemplateFile | string>, options: ValidateOptions = {}): Finding[] {
  const normalized = files.map((f) => (typeof f === 'string' ? { templatePath: f } : f));
  const { inputs, findings } = readTemplateFiles(normalized);
  return sortFindings([...findings, ...(inputs.length > 0 ? validateTemplates(inputs, options) : [])]);
}
