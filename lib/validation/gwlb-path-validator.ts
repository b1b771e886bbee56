import {
  IPolicyValidationContext, IPolicyValidationContextBeta1, IPolicyValidationPlugin, IPolicyValidationPluginBeta1,
  PolicyValidationPluginReportBeta1, PolicyViolationBeta1,
} from 'aws-cdk-lib';
import { describeResource, Finding, findingContext, FindingSeverity, formatFinding, InputRuleId, RuleId, UnresolvedRuleId } from './findings';
import { TemplateFile, TemplateInput } from './templates';
import { validateTemplateFiles, validateTemplates } from './validate';

export interface GwlbPathValidatorProps {
  /**
   * Check every internet-facing load balancer of the app. By default only load balancers in VPCs
   * that have a GWLB endpoint or an IGW edge route table are expected to be inspected.
   * @default false
   */
  readonly inspectAllInternetFacing?: boolean;
}

/**
 * A CDK policy-validation plugin that proves the Gateway Load Balancer inspection path of the
 * whole app at synth time (all stacks, nested stacks and stages):
 *
 * ```ts
 * Validations.of(app).addPlugins(new GwlbPathValidator());
 * ```
 *
 * Routing faults (rules GWLB-R1..R5, IPv4 and IPv6) are reported with severity `error` and fail
 * synthesis; values that cannot be resolved at synth time are reported as `warning`
 * (GWLB-Rn-UNRESOLVED). Cross-stack references are followed, strong (`Fn::ImportValue`) and
 * weak (`Fn::GetStackOutput`, the producer found by its deployed stack name in the cloud assembly manifest).
 */
export class GwlbPathValidator implements IPolicyValidationPluginBeta1, IPolicyValidationPlugin {
  /**
   * Validate template files (JSON or YAML; e.g. the stacks of a `cdk.out` directory) without CDK;
   * nested stack templates are read too. A file that cannot be read is reported as a
   * GWLB-INPUT-UNREADABLE finding. Errors come first.
   */
  public static validateTemplateFiles(files: TemplateFile[], props: GwlbPathValidatorProps = {}): Finding[] {
    return validateTemplateFiles(files, props);
  }

  /**
   * Validate the templates of one app, already parsed (e.g. `Template.fromStack(s).toJSON()`); all
   * stacks, nested stacks as separate inputs with `parent` set. Parameters resolve to their defaults;
   * conditions that depend on parameters without a default are checked in every deployable
   * combination. Errors come first.
   */
  public static validateTemplates(templates: TemplateInput[], props: GwlbPathValidatorProps = {}): Finding[] {
    return validateTemplates(templates, props);
  }

  /** One line of text for a finding, as used in reports and logs. */
  public static formatFinding(finding: Finding): string {
    return formatFinding(finding);
  }

  public readonly name = 'GwlbPathValidator';
  /** The plugin's version (always set; optional only as in `IPolicyValidationPluginBeta1`). */
  public readonly version?: string = '0.1.0';
  /** The ids of every rule and finding this plugin reports (always set; optional only as in `IPolicyValidationPluginBeta1`). */
  public readonly ruleIds?: string[] = [...Object.values(RuleId), ...Object.values(UnresolvedRuleId), ...Object.values(InputRuleId)];

  constructor(private readonly props: GwlbPathValidatorProps = {}) {}

  public validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    // The stable context also says which region each stack is in; Beta1 only has the paths.
    const stacks = (context as Partial<IPolicyValidationContext>).stackTemplates;
    const files: TemplateFile[] = stacks
      ? stacks.map((s) => ({ templatePath: s.templatePath, stackName: s.stackConstructPath, region: s.region, account: s.accountId }))
      : context.templatePaths.map((templatePath) => ({ templatePath }));
    const findings = validateTemplateFiles(files, this.props);
    return {
      success: !findings.some((f) => f.severity === FindingSeverity.ERROR),
      violations: findings.map(toViolation),
      pluginVersion: this.version,
      metadata: {
        errors: String(findings.filter((f) => f.severity === FindingSeverity.ERROR).length),
        warnings: String(findings.filter((f) => f.severity === FindingSeverity.WARNING).length),
      },
    };
  }
}

/**
 * One violation per finding. The violating resource is the first one with the property at fault
 * (e.g. the route whose target is wrong), else the first involved resource: acknowledge the rule on
 * its construct or an ancestor. Every involved resource is named in the description.
 */
export function toViolation(finding: Finding): PolicyViolationBeta1 {
  const az = finding.availabilityZone ? `[${finding.availabilityZone}] ` : '';
  const involved = finding.resources.length ? finding.resources.map(describeResource).join('; ') : finding.templatePath ?? '(no resource)';
  const context = findingContext(finding);
  const located = finding.resources.filter((r) => r.templatePath !== undefined);
  const primary = located.find((r) => r.location !== undefined) ?? located[0];
  return {
    ruleName: finding.ruleId,
    description: `${finding.ruleId}: ${az}${finding.message}${context ? ` ${context}` : ''} Involved: ${involved}.`,
    fix: finding.fix,
    severity: finding.severity,
    ruleMetadata: finding.availabilityZone ? { availabilityZone: finding.availabilityZone } : undefined,
    violatingResources: primary ? [{
      resourceLogicalId: primary.logicalId,
      templatePath: primary.templatePath!,
      locations: [primary.location ?? 'Properties'],
    }] : [],
  };
}
