/**
 * The SDK clients of the AWS integration, with timeouts that keep a hanging endpoint from
 * holding requests open and without the SDK's own retries (the callers back off and keep
 * their data in bounded buffers instead). Credentials come from the SDK's default chain:
 * environment, then the instance role through IMDSv2.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Milliseconds to connect; a refused or black-holed endpoint fails within it. */
export const CONNECT_TIMEOUT_MS = 3000;
/** Milliseconds a request may wait for its response (socket inactivity). */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Settings shared by every client. */
export interface AwsClientOptions {
  readonly region: string;
  /** An endpoint override (tests; AWS_ENDPOINT_URL works too). @default - the regional endpoint */
  readonly endpoint?: string;
  /** Static credentials (tests). @default - the SDK's default chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** @default CONNECT_TIMEOUT_MS */
  readonly connectTimeoutMs?: number;
  /** @default REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
}

function common(o: AwsClientOptions) {
  return {
    region: o.region,
    endpoint: o.endpoint,
    credentials: o.credentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: o.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      // Without throwOnRequestTimeout the handler only warns when the time is up.
      requestTimeout: o.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      socketTimeout: o.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    }),
  };
}

export class AwsClients {
  private cw?: CloudWatchClient;
  private logsClient?: CloudWatchLogsClient;
  private ssmClient?: SSMClient;

  constructor(readonly options: AwsClientOptions) {}

  get cloudWatch(): CloudWatchClient {
    return this.cw ??= new CloudWatchClient(common(this.options));
  }

  get logs(): CloudWatchLogsClient {
    return this.logsClient ??= new CloudWatchLogsClient(common(this.options));
  }

  get ssm(): SSMClient {
    return this.ssmClient ??= new SSMClient(common(this.options));
  }

  destroy(): void {
    this.cw?.destroy();
    this.logsClient?.destroy();
    this.ssmClient?.destroy();
  }
}

/** Milliseconds after which an in-flight call is aborted whatever the socket does. */
export const CALL_DEADLINE_MS = 15_000;

/** An AbortSignal that fires after `ms`. */
export function deadline(ms: number = CALL_DEADLINE_MS): AbortSignal {
  return AbortSignal.timeout(ms);
}
