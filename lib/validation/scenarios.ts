import { planScenarios, Scenario } from './conditions';
import { Finding, FindingSeverity, inputFinding, InputRuleId } from './findings';
import { GwlbModel } from './model';
import { StackTemplate } from './templates';

/**
 * Why CloudFormation would reject the templates in this scenario, if it would: a created resource
 * (or an unconditional output) refers to a resource whose condition is false. Such a combination
 * of condition outcomes cannot be deployed, so no finding may rest on it.
 */
export function undeployable(model: GwlbModel): string | undefined {
  const resolver = model.resolver;
  for (const stack of model.stacks) {
    const resources = stack.template.Resources ?? {};
    const missing = (name: string) => resources[name] !== undefined && !resolver.isPresent(stack.key, name);
    const check = (owner: string, value: unknown): string | undefined => {
      const absent = referencesIn(value, (c) => resolver.conditions.condition(stack.key, c)).find(missing);
      return absent ? `${owner} refers to ${absent}, which is not created` : undefined;
    };
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (!resolver.isPresent(stack.key, logicalId)) {
        continue;
      }
      const dependsOn = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
      const reason = dependsOn.find(missing) ? `${logicalId} depends on ${dependsOn.find(missing)}, which is not created`
        : check(logicalId, resource.Properties);
      if (reason) {
        return reason;
      }
    }
    for (const [name, output] of Object.entries(stack.template.Outputs ?? {})) {
      const present = output.Condition === undefined || resolver.conditions.condition(stack.key, output.Condition) !== false;
      const reason = present ? check(`output ${name}`, output) : undefined;
      if (reason) {
        return reason;
      }
    }
  }
  return undefined;
}

/** Logical ids a value refers to (Ref, Fn::GetAtt, Fn::Sub), following only the taken branch of each Fn::If. */
function referencesIn(value: unknown, condition: (name: string) => boolean | undefined): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    if (!v || typeof v !== 'object') {
      return;
    }
    const entries = Object.entries(v as Record<string, unknown>);
    const [fn, arg] = entries.length === 1 ? entries[0] : [undefined, undefined];
    if (fn === 'Ref' && typeof arg === 'string') {
      out.push(arg);
    } else if (fn === 'Fn::GetAtt') {
      const target = typeof arg === 'string' ? arg.split('.')[0] : Array.isArray(arg) ? arg[0] : undefined;
      if (typeof target === 'string') {
        out.push(target);
      }
    } else if (fn === 'Fn::Sub') {
      const [text, variables] = Array.isArray(arg) ? [arg[0], (arg[1] ?? {}) as Record<string, unknown>] : [arg, {}];
      for (const match of typeof text === 'string' ? text.matchAll(/\$\{([^!}][^}]*)\}/g) : []) {
        if (!(match[1] in variables)) {
          out.push(match[1].split('.')[0]);
        }
      }
      walk(variables);
    } else if (fn === 'Fn::If' && Array.isArray(arg) && arg.length === 3 && typeof arg[0] === 'string') {
      const taken = condition(arg[0]);
      if (taken !== false) {
        walk(arg[1]);
      }
      if (taken !== true) {
        walk(arg[2]);
      }
    } else {
      entries.forEach(([, inner]) => walk(inner));
    }
  };
  walk(value);
  return out;
}

/** One model per deployable scenario (every combination of undecided conditions), plus findings about the plan. */
export interface ScenarioModels {
  readonly models: GwlbModel[];
  readonly findings: Finding[];
}

export function scenarioModels(stacks: readonly StackTemplate[]): ScenarioModels {
  const plan = planScenarios(stacks);
  const all = plan.scenarios.map((scenario) => new GwlbModel(stacks, scenario));
  // With a single scenario there is nothing to choose from: it is checked whether or not it deploys.
  const deployable = all.length === 1 ? all : all.filter((model) => undeployable(model) === undefined);
  const findings: Finding[] = [];
  if (plan.omitted > 0) {
    findings.push(inputFinding(InputRuleId.CONDITIONS_NOT_ALL_EVALUATED, FindingSeverity.WARNING, stacks[0]?.templatePath,
      `The conditions depend on ${plan.variables.length} parameters without defaults (${plan.variables.join(', ')}): ${plan.scenarios.length} combinations were checked, ${plan.omitted} were not.`,
      'Give the parameters that select the network layout a Default, or validate each layout separately.'));
  }
  // A template that no combination can deploy is still checked (in every combination) rather than not at all.
  return { models: deployable.length > 0 ? deployable : all, findings };
}

/**
 * Merge the findings of every scenario: one finding per rule, message and resources (in their
 * stacks). A finding that holds in only some scenarios says for which parameter values.
 */
export function mergeScenarioFindings(runs: ReadonlyArray<{ scenario: Scenario; findings: Finding[] }>): Finding[] {
  const merged = new Map<string, { finding: Finding; scenarios: Scenario[] }>();
  for (const { scenario, findings } of runs) {
    for (const finding of findings) {
      const key = findingKey(finding);
      const entry = merged.get(key) ?? { finding, scenarios: [] };
      if (!entry.scenarios.includes(scenario)) {
        entry.scenarios.push(scenario);
      }
      merged.set(key, entry);
    }
  }
  return [...merged.values()].map(({ finding, scenarios }) => {
    if (scenarios.length === runs.length || scenarios.every((s) => s.label === '')) {
      return finding;
    }
    const shown = scenarios.slice(0, 3).map((s) => s.label);
    const more = scenarios.length > 3 ? ` (and ${scenarios.length - 3} more combinations)` : '';
    return { ...finding, conditions: `${shown.join('; or ')}${more}` };
  });
}

/** Findings are the same when rule, message and every involved resource (by stack) are. */
export function findingKey(finding: Finding): string {
  const resources = finding.resources.map((r) => `${r.stackName}/${r.templatePath ?? ''}/${r.logicalId}`).sort();
  return `${finding.ruleId}|${finding.message}|${resources.join(',')}|${finding.templatePath ?? ''}`;
}
