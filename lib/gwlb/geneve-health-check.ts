import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { durationSeconds, fail, isConcrete, validateDurationSeconds, validateIntegerRange } from './validation';

/** The protocol of a GENEVE target group's health check. */
export enum GeneveHealthCheckProtocol {
  HTTP = 'HTTP',
  HTTPS = 'HTTPS',
  TCP = 'TCP',
}

/** Health check of a GENEVE target group. */
export interface GeneveHealthCheck {
  /**
   * The protocol of the health check.
   * @default GeneveHealthCheckProtocol.TCP
   */
  readonly protocol?: GeneveHealthCheckProtocol;

  /**
   * The port of the health check, 1..65535.
   * @default 80 (the AWS default for GENEVE target groups), or the traffic port when `trafficPort` is true
   */
  readonly port?: number;

  /**
   * Probe the traffic port (`traffic-port`, i.e. 6081) instead of `port`.
   * @default false
   */
  readonly trafficPort?: boolean;

  /**
   * The path of an HTTP or HTTPS health check; not allowed with TCP.
   * @default '/' for HTTP and HTTPS
   */
  readonly path?: string;

  /**
   * The time between health checks, 5..300 seconds.
   * @default Duration.seconds(10) (the AWS default for GENEVE target groups)
   */
  readonly interval?: Duration;

  /**
   * The time without a response after which a check fails, 2..120 seconds, at most `interval`.
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;

  /**
   * Consecutive successes before an unhealthy target is healthy, 2..10.
   * @default 3 (always written: AWS's documented GENEVE default has changed from 3 to 5)
   */
  readonly healthyThresholdCount?: number;

  /**
   * Consecutive failures before a healthy target is unhealthy, 2..10.
   * @default 3 (always written: AWS's documented GENEVE default has changed from 3 to 2)
   */
  readonly unhealthyThresholdCount?: number;

  /**
   * HTTP codes of a successful HTTP or HTTPS check (`Matcher.HttpCode`). For Gateway Load
   * Balancers AWS accepts only `200-399` (ELBv2 API `Matcher`), so that is the only value
   * allowed here; not allowed with TCP.
   * @default - the AWS default (200-399); the matcher is not written
   */
  readonly healthyHttpCodes?: string;
}

/** Validate a health check and fill in every default. */
export function resolveHealthCheck(scope: IConstruct, hc: GeneveHealthCheck): GeneveHealthCheck {
  const protocol = hc.protocol ?? GeneveHealthCheckProtocol.TCP;
  const http = protocol !== GeneveHealthCheckProtocol.TCP;
  if (!Object.values(GeneveHealthCheckProtocol).includes(protocol)) {
    fail(scope, `healthCheck.protocol must be HTTP, HTTPS or TCP, got '${protocol}'`);
  }
  validateIntegerRange(scope, 'healthCheck.port', hc.port, 1, 65535);
  if (hc.port !== undefined && hc.trafficPort) {
    fail(scope, `healthCheck.port (${hc.port}) and healthCheck.trafficPort cannot both be set`);
  }
  if (!http && hc.path !== undefined) {
    fail(scope, `healthCheck.path is only allowed with HTTP or HTTPS health checks, got path '${hc.path}' with protocol TCP`);
  }
  if (!http && hc.healthyHttpCodes !== undefined) {
    fail(scope, `healthCheck.healthyHttpCodes is only allowed with HTTP or HTTPS health checks, got '${hc.healthyHttpCodes}' with protocol TCP`);
  }
  validatePath(scope, hc.path);
  validateHttpCodes(scope, hc.healthyHttpCodes);
  validateDurationSeconds(scope, 'healthCheck.interval', hc.interval, 5, 300);
  validateDurationSeconds(scope, 'healthCheck.timeout', hc.timeout, 2, 120);
  validateIntegerRange(scope, 'healthCheck.healthyThresholdCount', hc.healthyThresholdCount, 2, 10);
  validateIntegerRange(scope, 'healthCheck.unhealthyThresholdCount', hc.unhealthyThresholdCount, 2, 10);

  const interval = hc.interval ?? Duration.seconds(10);
  const timeout = hc.timeout ?? Duration.seconds(5);
  if (!interval.isUnresolved() && !timeout.isUnresolved()
    && durationSeconds(scope, 'healthCheck.timeout', timeout) > durationSeconds(scope, 'healthCheck.interval', interval)) {
    fail(scope, `healthCheck.timeout (${timeout.toSeconds()} s) must not exceed healthCheck.interval (${interval.toSeconds()} s)`);
  }
  return {
    protocol,
    port: hc.trafficPort ? undefined : hc.port ?? 80,
    trafficPort: hc.trafficPort ?? false,
    path: http ? hc.path ?? '/' : undefined,
    interval,
    timeout,
    healthyThresholdCount: hc.healthyThresholdCount ?? 3,
    unhealthyThresholdCount: hc.unhealthyThresholdCount ?? 3,
    healthyHttpCodes: hc.healthyHttpCodes === undefined ? undefined : GWLB_HTTP_CODES,
  };
}

/** The CfnTargetGroup health check properties of a resolved health check. */
export function renderHealthCheck(hc: GeneveHealthCheck) {
  return {
    healthCheckProtocol: hc.protocol,
    healthCheckPort: hc.trafficPort ? 'traffic-port' : String(hc.port),
    healthCheckPath: hc.path,
    healthCheckIntervalSeconds: hc.interval?.toSeconds(),
    healthCheckTimeoutSeconds: hc.timeout?.toSeconds(),
    healthyThresholdCount: hc.healthyThresholdCount,
    unhealthyThresholdCount: hc.unhealthyThresholdCount,
    matcher: hc.healthyHttpCodes === undefined ? undefined : { httpCode: hc.healthyHttpCodes },
  };
}

function validatePath(scope: IConstruct, path: string | undefined): void {
  if (isConcrete(path) && (!path.startsWith('/') || path.length > 1024)) {
    fail(scope, `healthCheck.path must start with '/' and be at most 1024 characters, got '${path}'`);
  }
}

/** The only `Matcher.HttpCode` AWS accepts for a Gateway Load Balancer target group. */
const GWLB_HTTP_CODES = '200-399';

function validateHttpCodes(scope: IConstruct, codes: string | undefined): void {
  if (codes === undefined || Token.isUnresolved(codes)) {
    return;
  }
  if (codes.replace(/\s/g, '') !== GWLB_HTTP_CODES) {
    fail(scope, `healthCheck.healthyHttpCodes must be '${GWLB_HTTP_CODES}' for a Gateway Load Balancer target group `
      + `(AWS rejects any other matcher for GENEVE; leave it unset for the same effect), got '${codes}'`);
  }
}
