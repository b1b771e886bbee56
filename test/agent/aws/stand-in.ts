/**
 * A local stand-in for the AWS endpoints the agent calls (CloudWatch PutMetricData, CloudWatch
 * Logs CreateLogStream/PutLogEvents, SSM GetParameter; all AWS JSON protocols, told apart by
 * X-Amz-Target) and for the instance metadata service. It records every request and can be
 * told to fail: HTTP 500, throttling (400 ThrottlingException), hang (never answer), or refuse
 * (close the listening socket so connections are refused).
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type StandInMode = 'ok' | 'error500' | 'throttle' | 'hang' | 'invalid';

export interface RecordedCall {
  /** The operation, e.g. PutMetricData, PutLogEvents, GetParameter. */
  readonly operation: string;
  readonly body: Record<string, any>;
  readonly headers: http.IncomingHttpHeaders;
}

export class AwsStandIn {
  mode: StandInMode = 'ok';
  /** Per-operation modes, overriding `mode`. */
  readonly modes: Record<string, StandInMode> = {};
  readonly calls: RecordedCall[] = [];
  /** Answered requests per operation, whatever the mode. */
  readonly attempts: Record<string, number> = {};
  /** SSM parameters: name -> value and version. */
  readonly parameters = new Map<string, { value: string; version: number }>();
  private server: http.Server;
  private port = 0;
  private readonly hanging = new Set<http.ServerResponse>();

  private constructor() {
    this.server = this.createServer();
  }

  static async start(): Promise<AwsStandIn> {
    const s = new AwsStandIn();
    await s.listen(0);
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stop listening (connections are refused) until `reopen()`. */
  async refuse(): Promise<void> {
    await this.closeServer();
  }

  async reopen(): Promise<void> {
    this.server = this.createServer();
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.closeServer();
  }

  ofOperation(op: string): RecordedCall[] {
    return this.calls.filter((c) => c.operation === op);
  }

  setParameter(name: string, value: string): void {
    const version = (this.parameters.get(name)?.version ?? 0) + 1;
    this.parameters.set(name, { value, version });
  }

  private createServer(): http.Server {
    return http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks)));
    });
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve) => this.server.listen(port, '127.0.0.1', () => {
      this.port = (this.server.address() as AddressInfo).port;
      resolve();
    }));
  }

  private closeServer(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): void {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.lastIndexOf('.') + 1) || 'unknown';
    this.attempts[operation] = (this.attempts[operation] ?? 0) + 1;
    const mode = this.modes[operation] ?? this.mode;
    if (mode === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (mode === 'error500') return this.reply(res, 500, { __type: 'InternalFailure', message: 'stand-in failure' });
    if (mode === 'throttle') return this.reply(res, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
    if (mode === 'invalid') return this.reply(res, 400, { __type: 'InvalidParameterValueException', message: 'bad datum' });
    const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    const body = text === '' ? {} : JSON.parse(text);
    this.calls.push({ operation, body, headers: req.headers });
    if (operation === 'GetParameter') {
      const p = this.parameters.get(body.Name);
      if (p === undefined) return this.reply(res, 400, { __type: 'ParameterNotFound', message: `${body.Name} not found` });
      return this.reply(res, 200, { Parameter: { Name: body.Name, Type: 'String', Value: p.value, Version: p.version } });
    }
    this.reply(res, 200, {});
  }

  private reply(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }
}

/** An instance metadata service (IMDSv2) stand-in. */
export class ImdsStandIn {
  tokenRequests = 0;
  private constructor(private readonly server: http.Server, readonly paths: Record<string, string>) {}

  static async start(paths: Record<string, string>): Promise<ImdsStandIn> {
    let self: ImdsStandIn;
    const server = http.createServer((req, res) => {
      const url = (req.url ?? '').replace(/^\/+/, '/'); // the SDK joins the endpoint's "/" and the path
      if (req.method === 'PUT' && url === '/latest/api/token') {
        self.tokenRequests++;
        res.end('stand-in-token');
        return;
      }
      const value = req.headers['x-aws-ec2-metadata-token'] === 'stand-in-token' ? self.paths[url] : undefined;
      if (value === undefined) {
        res.writeHead(req.headers['x-aws-ec2-metadata-token'] ? 404 : 401);
        res.end();
        return;
      }
      res.end(value);
    });
    self = new ImdsStandIn(server, paths);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

export const FAKE_CREDENTIALS = { accessKeyId: 'AKIDSTANDIN000000000', secretAccessKey: 'stand-in-secret' };

export function instancePaths(asgName?: string): Record<string, string> {
  const paths: Record<string, string> = {
    '/latest/meta-data/instance-id': 'i-0123456789abcdef0',
    '/latest/meta-data/placement/availability-zone': 'eu-west-1b',
    '/latest/meta-data/placement/region': 'eu-west-1',
  };
  if (asgName !== undefined) paths['/latest/meta-data/tags/instance/aws:autoscaling:groupName'] = asgName;
  return paths;
}
