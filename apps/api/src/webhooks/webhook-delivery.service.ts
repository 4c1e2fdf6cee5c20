import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DATABASE, type DatabaseConnection } from '../database/database';
import { cursorValue, toPage, type Page, type PageRequest } from '../database/paging';
import { webhookDeliveries } from '../database/schema';
import type { ConferEvent, EventSink } from '../policies/event-sink';
import { signWebhook } from './webhook-signature';

/** The JSON body of every delivery. */
export interface WebhookPayload {
  /** Unique per event (the same on every attempt and every endpoint): deduplicate on it. */
  id: string;
  event: ConferEvent;
}

export interface DeliveryRecord {
  id: string;
  eventId: string;
  eventType: string;
  endpoint: string;
  attempt: number;
  at: string;
  statusCode: number | null;
  /** `delivered`, `retrying` (this attempt failed, another follows) or `gave_up` (the last attempt failed). */
  outcome: 'delivered' | 'retrying' | 'gave_up';
  error: string | null;
  durationMs: number;
}

export interface DeliveryQuery extends PageRequest {
  eventId?: string;
  outcome?: string;
}

const MAX_DELAY_MS = 5 * 60_000;

/**
 * Delivers every event to each WEBHOOK_URLS endpoint as a signed POST,
 * retrying failures (non-2xx, timeout, refused connection) with exponential
 * backoff, and logging every attempt in `webhook_deliveries`. Deliveries to one
 * endpoint are independent of the others; nothing here blocks the meeting.
 */
@Injectable()
export class WebhookDeliveryService implements EventSink, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDeliveryService.name);
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATABASE) private readonly database: DatabaseConnection,
  ) {}

  emit(event: ConferEvent): void {
    const { urls, secret } = this.config.portal.webhooks;
    if (!secret || urls.length === 0 || this.stopped) return;
    const eventId = randomUUID();
    const body = JSON.stringify({ id: eventId, event } satisfies WebhookPayload);
    for (const url of urls) this.attempt(url, eventId, event.type, body, 1);
  }

  async list(query: DeliveryQuery): Promise<Page<DeliveryRecord>> {
    const conditions: SQL[] = [];
    const cursor = cursorValue(query);
    if (cursor !== null) conditions.push(lt(webhookDeliveries.id, cursor));
    if (query.eventId) conditions.push(eq(webhookDeliveries.eventId, query.eventId));
    if (query.outcome) conditions.push(eq(webhookDeliveries.outcome, query.outcome));
    const rows = await this.database.db
      .select()
      .from(webhookDeliveries)
      .where(conditions.length ? and(...conditions) : undefined)
      .orderBy(desc(webhookDeliveries.id))
      .limit(query.limit + 1);
    return toPage(rows, query.limit, (r) => r.id, (r) => ({
      ...r,
      id: String(r.id),
      at: r.at.toISOString(),
      outcome: r.outcome as DeliveryRecord['outcome'],
    }));
  }

  /** Waits for the attempts running now (not for scheduled retries). */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.settled();
  }

  private attempt(url: string, eventId: string, eventType: string, body: string, attempt: number): void {
    const run = this.send(url, eventId, eventType, body, attempt).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private async send(url: string, eventId: string, eventType: string, body: string, attempt: number): Promise<void> {
    const { secret, timeoutMs, maxAttempts, retryBaseMs } = this.config.portal.webhooks;
    const started = Date.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'confer-signature': signWebhook(secret as string, body, Math.floor(Date.now() / 1000)),
          'confer-event-id': eventId,
          'confer-event-type': eventType,
          'confer-delivery-attempt': String(attempt),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      statusCode = response.status;
      await response.body?.cancel().catch(() => undefined);
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      error = (e as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : cause ?? (e as Error).message;
    }
    const outcome = error === null ? 'delivered' : attempt >= maxAttempts || this.stopped ? 'gave_up' : 'retrying';
    await this.log({ eventId, eventType, endpoint: url, attempt, statusCode, outcome, error, durationMs: Date.now() - started });
    if (outcome === 'gave_up') this.logger.warn(`webhook gave up | event=${eventType} id=${eventId} endpoint=${url} attempts=${attempt} | ${error}`);
    if (outcome !== 'retrying') return;
    const delay = Math.min(MAX_DELAY_MS, retryBaseMs * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) this.attempt(url, eventId, eventType, body, attempt + 1);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private async log(row: typeof webhookDeliveries.$inferInsert): Promise<void> {
    try {
      await this.database.db.insert(webhookDeliveries).values(row);
    } catch (error) {
      this.logger.error(`webhook delivery log write failed | event=${row.eventType} endpoint=${row.endpoint} | ${(error as Error).message}`);
    }
  }
}
