import { Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { InspectedApplicationOptions } from './inspected-application';
import { fail } from './validation';

/** The web servers' port and health-check path, validated (the default user data serves port 80 only). */
export function validateWebServerPort(scope: Construct, props: InspectedApplicationOptions): { targetPort: number; healthCheckPath: string } {
  const targetPort = props.targetPort ?? 80;
  const healthCheckPath = props.healthCheckPath ?? '/';
  if (!Token.isUnresolved(targetPort) && (!Number.isInteger(targetPort) || targetPort < 1 || targetPort > 65535)) {
    fail(scope, `targetPort must be an integer between 1 and 65535, got ${targetPort}`);
  }
  if (!Token.isUnresolved(targetPort) && targetPort !== 80 && props.userData === undefined) {
    fail(scope, `targetPort is ${targetPort} but the default user data serves HTTP on port 80 only: `
      + 'pass userData that serves the port, or leave targetPort at 80');
  }
  if (!Token.isUnresolved(healthCheckPath) && (!healthCheckPath.startsWith('/') || healthCheckPath.length > 1024)) {
    fail(scope, `healthCheckPath must start with '/' and be at most 1024 characters, got '${healthCheckPath}'`);
  }
  return { targetPort, healthCheckPath };
}
