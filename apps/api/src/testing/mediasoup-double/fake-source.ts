import { FakeEntity } from './fake-entity';

/**
 * A producer or data producer: closing it (or its transport) tells its
 * consumers asynchronously, as the worker does with a notification.
 */
export abstract class FakeSource<Sink> extends FakeEntity {
  protected abstract readonly sinks: Set<Sink>;
  protected abstract sourceClosed(sink: Sink): void;

  close(): void {
    if (this.closed) return;
    this.closeRequest();
    this.markClosed();
    this.notifySinks();
  }

  /** @internal */
  transportClosed(): void {
    if (!this.markClosed('transportclose')) return;
    this.notifySinks();
  }

  private notifySinks(): void {
    const sinks = [...this.sinks];
    this.sinks.clear();
    setImmediate(() => sinks.forEach((sink) => this.sourceClosed(sink)));
  }
}
