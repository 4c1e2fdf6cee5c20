import { Module, type OnModuleInit } from '@nestjs/common';
import { EventsService } from '../events/events.service';
import { WebhookDeliveryService } from './webhook-delivery.service';

/** Signed webhook deliveries of every event to WEBHOOK_URLS, with retries and a delivery log. */
@Module({
  providers: [WebhookDeliveryService],
  exports: [WebhookDeliveryService],
})
export class WebhooksModule implements OnModuleInit {
  constructor(
    private readonly events: EventsService,
    private readonly deliveries: WebhookDeliveryService,
  ) {}

  onModuleInit(): void {
    this.events.attach(this.deliveries);
  }
}
