import { FakeEntity } from './fake-entity';

/** A consumer or data consumer: it leaves its source's set when it or its transport closes. */
export abstract class FakeSink extends FakeEntity {
  protected abstract detachFromSource(): void;

  close(): void {
    if (this.closed) return;
    this.closeRequest();
    this.markClosed();
    this.detachFromSource();
  }

  /** @internal */
  transportClosed(): void {
    this.detachFromSource();
    this.markClosed('transportclose');
  }
}
