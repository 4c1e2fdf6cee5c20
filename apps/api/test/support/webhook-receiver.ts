import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookPayload } from '../../src/webhooks/webhook-delivery.service';
import { verifyWebhook } from '../../src/webhooks/webhook-signature';

export interface Delivery {
  payload: WebhookPayload;
  headers: IncomingHttpHeaders;
  verdict: string | null;
  status: number;
}

/**
 * A portal's webhook endpoint on loopback, as a receiver would write it: it
 * verifies each delivery's signature with `secret`. `script` lists the
 * statuses to answer next (0: drop the connection without answering; such a
 * request is not recorded); after it, 200.
 */
export class WebhookReceiver {
  /** Every delivery that got an answer: what came, whether its signature verified (null: yes), the status given. */
  readonly received: Delivery[] = [];
  script: number[] = [];
  private server!: Server;

  constructor(private readonly secret: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const status = this.script.shift() ?? 200;
        if (status === 0) {
          req.socket.destroy();
          return;
        }
        const verdict = verifyWebhook(this.secret, body, req.headers['confer-signature'] as string);
        this.received.push({ payload: JSON.parse(body) as WebhookPayload, headers: req.headers, verdict, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Deliveries answered 2xx. */
  accepted(): Delivery[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300);
  }

  /** Event types of the accepted deliveries, in arrival order. */
  types(): string[] {
    return this.accepted().map((r) => r.payload.event.type);
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
