import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AppData } from 'mediasoup/types';
import type { FakeKind, FakeRegistry } from './fake-registry';

/** Deep copy of what a caller passes, as mediasoup clones its arguments. */
export const clone = <T>(value: T): T => structuredClone(value);

/** Base of every fake object: id, appData, `closed`, an `observer` emitting `close`. */
export abstract class FakeEntity extends EventEmitter {
  readonly id: string;
  readonly observer = new EventEmitter();
  closed = false;
  protected abstract readonly entityKind: FakeKind;
  protected abstract readonly method: string;

  constructor(
    protected readonly registry: FakeRegistry,
    public appData: AppData,
    /** Given for a piped producer, which keeps its original's id. */
    id: string = randomUUID(),
  ) {
    super();
    this.id = id;
  }

  protected register(): void {
    this.registry.live[this.entityKind].add(this);
  }

  /** A request to the worker: through the channel (which may be poisoned), then what the worker answers for an object it no longer has. */
  protected assertOpen(request: string): void {
    this.registry.channel.request(this.id, `${this.method}_${request}`);
    if (this.closed) throw new Error(`Channel request handler with ID ${this.id} not found [method:${this.method}_${request}]`);
  }

  /** A close request, built synchronously as mediasoup's close() methods do (so it throws on a poisoned channel). */
  protected closeRequest(): void {
    this.registry.channel.request(this.id, `${this.method}_CLOSE`);
  }

  /**
   * Marks closed and unregisters, emits `event` (e.g. `transportclose`) and then
   * observer `close`, in mediasoup's order; true if it was open.
   */
  protected markClosed(event?: string): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.registry.live[this.entityKind].delete(this);
    if (event) this.emit(event);
    this.observer.emit('close');
    return true;
  }
}
