/**
 * Sends the agent's JSON log lines (policy drops included) to CloudWatch Logs with
 * PutLogEvents, one stream per instance. Lines wait in a bounded buffer (events and bytes);
 * when it is full the oldest lines are dropped and counted, and a line saying how many is
 * sent once the service is reachable again. One request at a time, every `flushMs` or as soon
 * as a batch is full; failures back off exponentially. `push` is O(1) and never throws, so
 * logging never waits for the network.
 */
import { CreateLogStreamCommand, InputLogEvent, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { deadline } from './aws-clients';
import { Backoff, describeAwsError, isPermanentRequestError } from './backoff';

/** PutLogEvents limits: 10,000 events and 1,048,576 bytes per batch, 26 bytes of overhead per event. */
export const MAX_EVENTS_PER_BATCH = 10_000;
export const MAX_BATCH_BYTES = 1_048_576;
export const EVENT_OVERHEAD_BYTES = 26;
/** Lines longer than this are cut (the service limit per event is higher; agent lines are short). */
export const MAX_EVENT_BYTES = 64 * 1024;

export interface LogsClient {
  send(command: PutLogEventsCommand | CreateLogStreamCommand, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

export interface LogShipperOptions {
  readonly client: LogsClient;
  readonly logGroup: string;
  /** @default 5000 */
  readonly flushMs?: number;
  /** @default 10000 */
  readonly maxQueuedEvents?: number;
  /** @default 4 MiB */
  readonly maxQueuedBytes?: number;
  /** @default - new Backoff(1000, 300000) */
  readonly backoff?: Backoff;
  /** Where the shipper reports its own trouble (state changes only, so it may log through the shipper). */
  readonly warn: (msg: string, fields: Record<string, unknown>) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

interface Pending {
  readonly event: InputLogEvent;
  readonly bytes: number;
}

export class LogShipper {
  /** Events dropped from the full buffer or refused by the service. */
  droppedEvents = 0;
  sentEvents = 0;
  private queue: Pending[] = [];
  private head = 0;
  /** Events ever removed from the head (sent or dropped): batches are tracked by this sequence. */
  private headSeq = 0;
  private queuedBytes = 0;
  private stream: string | undefined;
  private streamReady = false;
  private inFlight = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private droppedUnreported = 0;
  private failing = false;
  private readonly maxEvents: number;
  private readonly maxBytes: number;
  private readonly backoff: Backoff;
  private readonly now: () => number;

  constructor(private readonly o: LogShipperOptions) {
    this.maxEvents = o.maxQueuedEvents ?? 10_000;
    this.maxBytes = o.maxQueuedBytes ?? 4 * 1024 * 1024;
    this.backoff = o.backoff ?? new Backoff(1000, 300_000);
    this.now = o.now ?? Date.now;
  }

  /** Start sending to `stream` (the instance id); lines pushed before are kept (within the bounds). */
  start(stream: string): void {
    this.stream = stream;
    this.flushTimer = setInterval(() => void this.flush(), this.o.flushMs ?? 5000);
    this.flushTimer.unref();
    void this.flush();
  }

  stop(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.flushTimer = this.retryTimer = null;
  }

  get queuedEvents(): number {
    return this.queue.length - this.head;
  }

  /** Queue one log line (a trailing newline is removed). */
  push(line: string): void {
    let message = line.endsWith('\n') ? line.slice(0, -1) : line;
    let bytes = Buffer.byteLength(message);
    if (bytes > MAX_EVENT_BYTES) {
      message = Buffer.from(message).subarray(0, MAX_EVENT_BYTES - 16).toString() + '...[truncated]';
      bytes = Buffer.byteLength(message);
    }
    this.queue.push({ event: { timestamp: this.now(), message }, bytes: bytes + EVENT_OVERHEAD_BYTES });
    this.queuedBytes += bytes + EVENT_OVERHEAD_BYTES;
    while (this.queuedEvents > this.maxEvents || this.queuedBytes > this.maxBytes) {
      this.removeHead();
      this.droppedEvents++;
      this.droppedUnreported++;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.queuedEvents >= MAX_EVENTS_PER_BATCH) void this.flush();
  }

  async flush(): Promise<void> {
    if (this.stream === undefined || this.inFlight || this.retryTimer !== null) return;
    this.inFlight = true;
    try {
      if (!this.streamReady) await this.createStream();
      while (this.queuedEvents > 0 || this.droppedUnreported > 0) {
        const batch = this.takeBatch();
        const endSeq = this.headSeq + batch.count;
        try {
          await this.o.client.send(new PutLogEventsCommand({
            logGroupName: this.o.logGroup, logStreamName: this.stream, logEvents: batch.events,
          }), { abortSignal: deadline() });
        } catch (err) {
          if ((err as { name?: string }).name === 'ResourceNotFoundException') this.streamReady = false;
          if (isPermanentRequestError(err)) {
            this.consumeUntil(endSeq);
            this.droppedEvents += batch.count;
            this.o.warn('PutLogEvents refused a batch; dropped', { events: batch.count, error: describeAwsError(err) });
            continue;
          }
          throw err;
        }
        this.consumeUntil(endSeq);
        this.droppedUnreported -= batch.reported;
        this.sentEvents += batch.count;
        this.recovered();
      }
    } catch (err) {
      this.scheduleRetry(err);
    } finally {
      this.inFlight = false;
    }
  }

  private async createStream(): Promise<void> {
    try {
      await this.o.client.send(new CreateLogStreamCommand({ logGroupName: this.o.logGroup, logStreamName: this.stream }),
        { abortSignal: deadline() });
    } catch (err) {
      if ((err as { name?: string }).name !== 'ResourceAlreadyExistsException') throw err;
    }
    this.streamReady = true;
  }

  /** The oldest events that fit one request, in time order, led by a note of dropped lines. */
  private takeBatch(): { events: InputLogEvent[]; count: number; reported: number } {
    const events: InputLogEvent[] = [];
    let bytes = 0;
    const reported = this.droppedUnreported;
    if (reported > 0) {
      const first = this.queuedEvents > 0 ? this.queue[this.head].event.timestamp! : this.now();
      const note = JSON.stringify({
        time: new Date(first).toISOString(), level: 'warn', msg: 'log lines dropped while CloudWatch Logs was unreachable',
        dropped: reported, droppedTotal: this.droppedEvents,
      });
      events.push({ timestamp: first, message: note });
      bytes += Buffer.byteLength(note) + EVENT_OVERHEAD_BYTES;
    }
    let i = this.head;
    while (i < this.queue.length && events.length < MAX_EVENTS_PER_BATCH && bytes + this.queue[i].bytes <= MAX_BATCH_BYTES) {
      events.push(this.queue[i].event);
      bytes += this.queue[i].bytes;
      i++;
    }
    // The service wants chronological order; a clock step backwards must not fail the batch.
    let last = 0;
    for (let k = 0; k < events.length; k++) {
      if (events[k].timestamp! < last) events[k] = { ...events[k], timestamp: last };
      last = events[k].timestamp!;
    }
    return { events, count: i - this.head, reported };
  }

  /**
   * Remove the events of a finished batch, up to sequence `endSeq`. Events the bound dropped
   * while the request was in flight are already gone (and counted as dropped, though sent).
   */
  private consumeUntil(endSeq: number): void {
    while (this.headSeq < endSeq && this.head < this.queue.length) this.removeHead();
  }

  private removeHead(): void {
    this.queuedBytes -= this.queue[this.head].bytes;
    this.head++;
    this.headSeq++;
  }

  private scheduleRetry(err: unknown): void {
    const wait = this.backoff.fail();
    if (!this.failing) {
      this.failing = true;
      this.o.warn('CloudWatch Logs failing; log lines stay buffered (bounded) and are retried with backoff', {
        error: describeAwsError(err), queued: this.queuedEvents, retryInMs: wait,
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
    if (!this.failing) return;
    this.failing = false;
    this.o.warn('CloudWatch Logs recovered', { droppedTotal: this.droppedEvents });
  }
}
