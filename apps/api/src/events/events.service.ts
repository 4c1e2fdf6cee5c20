import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_SINKS, type ConferEvent, type EventSink } from '../policies/event-sink';

/** A {@link ConferEvent} as the API raises it: the time is added here. */
export type RaisedEvent = ConferEvent extends infer E ? (E extends ConferEvent ? Omit<E, 'at'> : never) : never;

/** Distributes every {@link ConferEvent} to the configured sinks; a failing sink is logged and isolated. */
@Injectable()
export class EventsService {
  private readonly logger = new Logger(EventsService.name);

  /** The server's own sinks (meeting history, webhooks): always there, whatever the portal provides. */
  private readonly builtIn: EventSink[] = [];

  constructor(@Inject(EVENT_SINKS) private readonly sinks: EventSink[]) {}

  /** Adds one of the server's own sinks (called by them at start-up). */
  attach(sink: EventSink): void {
    this.builtIn.push(sink);
  }

  emit(event: RaisedEvent): void {
    if (this.sinks.length === 0 && this.builtIn.length === 0) return;
    const stamped = { ...event, at: Date.now() } as ConferEvent;
    for (const sink of [...this.builtIn, ...this.sinks]) {
      try {
        const done = sink.emit(stamped);
        if (done && typeof (done as Promise<void>).catch === 'function') (done as Promise<void>).catch((error: Error) => this.failed(sink, stamped, error));
      } catch (error) {
        this.failed(sink, stamped, error as Error);
      }
    }
  }

  private failed(sink: EventSink, event: ConferEvent, error: Error): void {
    this.logger.error(`event sink ${sink.constructor?.name ?? 'sink'} failed on ${event.type} | ${error.message}`);
  }
}
