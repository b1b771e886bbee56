// The validator folder's barrel, for the CLI, the benchmark and the tests. The package's public (jsii) API is
// the subset lib/index.ts re-exports: GwlbPathValidator with its static validateTemplateFiles / validateTemplates /
// formatFinding, Finding, FindingResource, the rule id enums and TemplateFile / TemplateInput.
export { GwlbPathValidator } from './gwlb-path-validator';
export type { GwlbPathValidatorProps } from './gwlb-path-validator';
export { validateModel, validateTemplateFiles, validateTemplates } from './validate';
export type { ValidateOptions } from './validate';
export { FindingSeverity, formatFinding, InputRuleId, RuleId, UnresolvedRuleId } from './findings';
export type { Finding, FindingResource } from './findings';
export { loadTemplateFiles } from './templates';
export { readTemplateFiles } from './template-files';
export type { TemplateFiles } from './template-files';
export type { CfnTemplate, TemplateFile, TemplateInput } from './templates';
export { GwlbModel } from './model';
export * from './model-types';
export { GWLB_PATH_RULES } from './rules';
export type { GwlbRule, RuleContext } from './rules';
export type { GwlbRuleOptions } from './scope';
