/**
 * Publishes the agent's counters with PutMetricData, off the packet path: once per interval a
 * sample becomes datums (metric-datums.ts) that wait in a bounded queue; one request at a time
 * sends up to 1000 of them. A failed request keeps its datums queued and is retried after an
 * exponential backoff; a full queue drops its oldest datums, counted (`droppedDatums`, and the
 * TelemetryDropped metric) and logged. A request the service rejects as malformed is dropped,
 * so one bad datum cannot stall the queue. Nothing here throws into the caller.
 */
import { MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { Logger } from '../log';
import { deadline } from './aws-clients';
import { Backoff, describeAwsError, isPermanentRequestError } from './backoff';
import { buildMetricDatums, InstanceIdentity, TelemetrySample, zeroSample } from './metric-datums';

/** PutMetricData accepts up to 1000 datums per request. */
export const MAX_DATUMS_PER_REQUEST = 1000;
/** Datums kept while CloudWatch is unreachable (about 2.5 hours of a 2-AZ fleet at 60 s). */
export const DEFAULT_MAX_QUEUED_DATUMS = 10_000;

/** The part of the CloudWatch client the publisher uses. */
export interface MetricsClient {
  send(command: PutMetricDataCommand, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

export interface MetricsPublisherOptions {
  readonly client: MetricsClient;
  readonly namespace: string;
  readonly intervalSeconds: number;
  /** Called once per interval. */
  readonly sample: () => TelemetrySample;
  /** Resolves to the dimension values; until then samples are taken but nothing is sent. */
  readonly identity: () => InstanceIdentity | undefined;
  readonly log: Logger;
  /** @default DEFAULT_MAX_QUEUED_DATUMS */
  readonly maxQueuedDatums?: number;
  /** @default - new Backoff(1000, 300000) */
  readonly backoff?: Backoff;
  /** @default Date */
  readonly now?: () => Date;
}

export class MetricsPublisher {
  /** Datums dropped because the queue was full or the service refused them as malformed. */
  droppedDatums = 0;
  /** Successful PutMetricData requests. */
  requestsSent = 0;
  /** Failed PutMetricData requests. */
  requestsFailed = 0;
  private queue: MetricDatum[] = [];
  private prev: TelemetrySample = zeroSample();
  private inFlight = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private intervalTimer: NodeJS.Timeout | null = null;
  private failingSince: Date | null = null;
  private readonly maxQueued: number;
  private readonly backoff: Backoff;
  private readonly now: () => Date;
  private readonly storageResolution: number;

  constructor(private readonly o: MetricsPublisherOptions) {
    this.maxQueued = o.maxQueuedDatums ?? DEFAULT_MAX_QUEUED_DATUMS;
    this.backoff = o.backoff ?? new Backoff(1000, 300_000);
    this.now = o.now ?? (() => new Date());
    this.storageResolution = o.intervalSeconds < 60 ? 1 : 60;
  }

  start(): void {
    this.prev = this.safeSample() ?? zeroSample();
    this.intervalTimer = setInterval(() => this.tick(), this.o.intervalSeconds * 1000);
    this.intervalTimer.unref();
  }

  stop(): void {
    if (this.intervalTimer) clearInterval(this.intervalTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.intervalTimer = this.retryTimer = null;
  }

  get queuedDatums(): number {
    return this.queue.length;
  }

  /** One interval: sample, queue the datums, send (public for tests). */
  tick(): void {
    const cur = this.safeSample();
    if (cur === undefined) return;
    const id = this.o.identity();
    if (id === undefined) return; // keep the baseline: the first sent interval covers the wait
    this.enqueue(buildMetricDatums(cur, this.prev, id, this.now(), this.storageResolution));
    this.prev = cur;
    void this.flush();
  }

  private safeSample(): TelemetrySample | undefined {
    try {
      return this.o.sample();
    } catch (err) {
      this.o.log.error('metrics sample failed', { error: err });
      return undefined;
    }
  }

  private enqueue(datums: MetricDatum[]): void {
    this.queue.push(...datums);
    const excess = this.queue.length - this.maxQueued;
    if (excess > 0) {
      this.queue.splice(0, excess);
      this.droppedDatums += excess;
      this.o.log.warn('metrics queue full: oldest datums dropped', {
        dropped: excess, droppedTotal: this.droppedDatums, queued: this.queue.length,
      });
    }
  }

  /** Send queued datums, one request at a time, until the queue is empty or a request fails. */
  async flush(): Promise<void> {
    if (this.inFlight || this.retryTimer !== null) return;
    this.inFlight = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.slice(0, MAX_DATUMS_PER_REQUEST);
        try {
          await this.o.client.send(new PutMetricDataCommand({ Namespace: this.o.namespace, MetricData: batch }),
            { abortSignal: deadline() });
        } catch (err) {
          this.requestsFailed++;
          if (isPermanentRequestError(err)) {
            this.dropSent(batch);
            this.droppedDatums += batch.length;
            this.o.log.error('PutMetricData refused the datums; dropped', { datums: batch.length, error: describeAwsError(err) });
            continue;
          }
          this.scheduleRetry(err);
          return;
        }
        this.requestsSent++;
        this.dropSent(batch);
        this.recovered();
      }
    } finally {
      this.inFlight = false;
    }
  }

  /** Remove the sent batch (the queue may have lost its head to the bound meanwhile). */
  private dropSent(batch: MetricDatum[]): void {
    const j = batch.indexOf(this.queue[0]);
    if (j >= 0) this.queue.splice(0, batch.length - j);
  }

  private scheduleRetry(err: unknown): void {
    const wait = this.backoff.fail();
    if (this.failingSince === null) {
      this.failingSince = this.now();
      this.o.log.warn('PutMetricData failing; datums stay queued and are retried with backoff', {
        error: describeAwsError(err), queued: this.queue.length, retryInMs: wait,
      });
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.flush();
    }, wait);
    this.retryTimer.unref();
  }

  private recovered(): void {
    this.backoff.succeed();
    if (this.failingSince === null) return;
    this.o.log.info('PutMetricData recovered', {
      failingSince: this.failingSince.toISOString(), droppedTotal: this.droppedDatums, queued: this.queue.length,
    });
    this.failingSince = null;
  }
}
