// The public (jsii) API: classes, interfaces, structs and enums only. The validator's model,
// rules and free functions stay internal to lib/validation (see lib/validation/index.ts).
export * from './gwlb';
export * from './monitoring';
export * from './patterns';
export * from './tgw';
export { GwlbPathValidator, GwlbPathValidatorProps } from './validation/gwlb-path-validator';
export { Finding, FindingResource, FindingSeverity, InputRuleId, RuleId, UnresolvedRuleId } from './validation/findings';
export { NestedStackParent, TemplateFile, TemplateInput } from './validation/templates';
