/**
 * The TypeScript twin of test/python/app.py: the same stacks, construct ids and props.
 *
 *   npx ts-node --transpile-only test/python/reference-app.ts <outdir>
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import {
  Appliance, AppliancePolicy, GwlbInspection, GwlbPathValidator, InspectedApplication, InspectionVpc, PortRange,
  RuleAction, RuleProtocol,
} from '../../lib';

const app = new App({ outdir: process.argv[2], analyticsReporting: false });
Validations.of(app).addPlugins(new GwlbPathValidator());

// The one-statement composite.
new GwlbInspection(new Stack(app, 'OneStatement'), 'Inspection');

// A two-stack app: the security stack's inspection VPC serves the application stack.
const security = new Stack(app, 'Security');
const inspection = new InspectionVpc(security, 'Inspection', {
  appliance: Appliance.agent({
    policy: AppliancePolicy.fromRules({
      defaultAction: RuleAction.ALLOW,
      rules: [
        { name: 'no-telnet', action: RuleAction.DROP, protocol: RuleProtocol.TCP, destinationPorts: [PortRange.port(23)] },
        { name: 'no-high-udp', action: RuleAction.DROP, protocol: RuleProtocol.UDP, destinationPorts: [PortRange.between(40000, 40100)] },
      ],
    }),
  }),
});
new InspectedApplication(new Stack(app, 'Application'), 'Application', { inspectionService: inspection });

app.synth();
