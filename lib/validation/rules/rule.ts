import { Finding, RuleId, UnresolvedRuleId } from '../findings';
import { GwlbModel } from '../model';
import { InspectionScope, GwlbRuleOptions } from '../scope';

/** What every rule receives besides the model: the inspection scope, computed once. */
export interface RuleContext {
  readonly scope: InspectionScope;
  readonly options: GwlbRuleOptions;
}

/** One rule: an id, the id of its "could not evaluate" warnings, and a pure check. */
export interface GwlbRule {
  readonly id: RuleId;
  readonly unresolvedId: UnresolvedRuleId;
  /** One sentence: what the rule proves. */
  readonly description: string;
  check(model: GwlbModel, context: RuleContext): Finding[];
}
