// Public API of the patterns. Helpers (user data and unit renderers, network layouts, launch
// template, access logs) stay internal to this folder: jsii exports classes, interfaces and enums
// only, so free functions and constants would vanish from the other languages.
export { AgentAsset } from './agent-asset';
export { AgentAwsOptions, AgentLogLevel, AgentReplyMode, AgentServiceOptions } from './agent-systemd-unit';
export { AgentApplianceOptions, Appliance, ApplianceBindOptions, ApplianceConfig, CustomApplianceOptions } from './appliance';
export * from './appliance-fleet';
export * from './appliance-policy';
export * from './appliance-scaling';
export { ApplicationEgress, ApplicationIpProtocol } from './application-vpc-layout';
export * from './gwlb-inspection';
export * from './inspected-application';
export * from './inspection-routing';
export * from './inspection-vpc';
export * from './uninspected-egress';
export * from './web-server-fleet';
export * from './centralized';
