"""The Python twin of test/python/reference-app.ts: the same stacks, construct ids and props.

    python app.py <outdir>

Run by test/python/synth-check.sh, which compares the templates with the TypeScript ones.
"""
import sys

import aws_cdk as cdk
from cdk_gwlb_inspection import (
    Appliance,
    AppliancePolicy,
    ApplianceRule,
    GwlbInspection,
    GwlbPathValidator,
    InspectedApplication,
    InspectionVpc,
    PortRange,
    RuleAction,
    RuleProtocol,
)

app = cdk.App(outdir=sys.argv[1], analytics_reporting=False)
cdk.Validations.of(app).add_plugins(GwlbPathValidator())

# The one-statement composite.
GwlbInspection(cdk.Stack(app, "OneStatement"), "Inspection")

# A two-stack app: the security stack's inspection VPC serves the application stack.
security = cdk.Stack(app, "Security")
inspection = InspectionVpc(
    security,
    "Inspection",
    appliance=Appliance.agent(
        policy=AppliancePolicy.from_rules(
            default_action=RuleAction.ALLOW,
            rules=[
                ApplianceRule(name="no-telnet", action=RuleAction.DROP, protocol=RuleProtocol.TCP,
                              destination_ports=[PortRange.port(23)]),
                ApplianceRule(name="no-high-udp", action=RuleAction.DROP, protocol=RuleProtocol.UDP,
                              destination_ports=[PortRange.between(40000, 40100)]),
            ],
        ),
    ),
)
InspectedApplication(cdk.Stack(app, "Application"), "Application", inspection_service=inspection)

app.synth()
