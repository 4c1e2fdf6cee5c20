import { loadConfig, type AppConfig } from '../config/app-config';
import { openDatabase, type DatabaseConnection } from '../database/database';
import type { ConferEvent } from '../policies/event-sink';
import { WebhookReceiver } from '../../test/support/webhook-receiver';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { signWebhook, verifyWebhook } from './webhook-signature';

const SECRET = 'w'.repeat(40);

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('webhook signature', () => {
  it('verifies its own signature, refuses a changed body, a wrong secret, an old timestamp and garbage', () => {
    const now = 1_800_000_000;
    const header = signWebhook(SECRET, '{"a":1}', now);
    expect(verifyWebhook(SECRET, '{"a":1}', header, now)).toBeNull();
    expect(verifyWebhook(SECRET, '{"a":2}', header, now)).toBe('signature mismatch');
    expect(verifyWebhook('x'.repeat(40), '{"a":1}', header, now)).toBe('signature mismatch');
    expect(verifyWebhook(SECRET, '{"a":1}', header, now + 301)).toBe('timestamp outside the replay window');
    expect(verifyWebhook(SECRET, '{"a":1}', 't=abc,v1=zz', now)).toBe('malformed signature header');
    expect(verifyWebhook(SECRET, '{"a":1}', undefined, now)).toBe('missing signature header');
  });
});

describe('WebhookDeliveryService against real HTTP receivers', () => {
  let db: DatabaseConnection;
  let good: WebhookReceiver;
  let flaky: WebhookReceiver;
  let service: WebhookDeliveryService;
  const event: ConferEvent = { type: 'room.started', at: 1, roomId: 'r1' };

  beforeEach(async () => {
    db = await openDatabase({ kind: 'embedded', dir: null });
    good = new WebhookReceiver(SECRET);
    flaky = new WebhookReceiver(SECRET);
    const urls = [await good.start(), await flaky.start()];
    const config: AppConfig = loadConfig({ DEV_TOKENS: 'true', WEBHOOK_URLS: urls.join(','), WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_MAX_ATTEMPTS: '4', WEBHOOK_TIMEOUT_MS: '500' });
    service = new WebhookDeliveryService(config, db);
  });
  afterEach(async () => {
    await service.onApplicationShutdown();
    await Promise.all([good.stop(), flaky.stop()]);
    await db.close();
  });

  it('delivers each event signed to every endpoint; a receiver that fails then recovers gets it on a retry; every attempt is logged', async () => {
    flaky.script = [500, 0, 503];
    service.emit(event);
    await until(() => good.received.length === 1 && flaky.received.length === 3);
    // The dropped connection (0) never reached the receiver's log: 500, 503, then 200.
    const ids = new Set([...good.received, ...flaky.received].map((r) => r.payload.id));
    expect(ids.size).toBe(1);
    for (const r of [...good.received, ...flaky.received]) {
      expect(r.verdict).toBeNull();
      expect(r.payload.event).toEqual(event);
      expect(r.headers['confer-event-type']).toBe('room.started');
    }
    expect(flaky.received.map((r) => r.headers['confer-delivery-attempt'])).toEqual(['1', '3', '4']);
    await until(async () => (await service.list({ limit: 50 })).items.length === 5);
    const log = (await service.list({ limit: 50 })).items.reverse();
    const flakyUrl = log.find((d) => d.statusCode === 500)?.endpoint;
    expect(log.filter((d) => d.endpoint === flakyUrl).map((d) => [d.attempt, d.statusCode, d.outcome])).toEqual([
      [1, 500, 'retrying'],
      [2, null, 'retrying'],
      [3, 503, 'retrying'],
      [4, 200, 'delivered'],
    ]);
    expect(log.filter((d) => d.endpoint !== flakyUrl).map((d) => d.outcome)).toEqual(['delivered']);
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS and says so in the log', async () => {
    flaky.script = [500, 500, 500, 500];
    service.emit(event);
    await until(async () => (await service.list({ limit: 50, outcome: 'gave_up' })).items.length === 1);
    const attempts = (await service.list({ limit: 50 })).items.filter((d) => d.statusCode === 500);
    expect(attempts.map((d) => d.attempt).sort()).toEqual([1, 2, 3, 4]);
  });
});
