// Public API of the GWLB path validator. Helpers (resolver, tokens, paths, ...) stay internal.
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
