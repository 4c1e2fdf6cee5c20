import { NotFoundError } from 'mediasoup/errors';
import type { AppData } from 'mediasoup/types';
import { FakeEntity } from './fake-entity';
import type { FakeRegistry } from './fake-registry';
import type { FakeRouterScope } from './fake-router-scope';

/** mediasoup's ActiveSpeakerObserver; tests make a producer the dominant speaker with `speak()`. */
export class FakeActiveSpeakerObserver extends FakeEntity {
  protected readonly entityKind = 'rtpObserver';
  protected readonly method = 'RTPOBSERVER';
  readonly producerIds = new Set<string>();

  constructor(
    registry: FakeRegistry,
    appData: AppData,
    private readonly router: FakeRouterScope,
  ) {
    super(registry, appData);
    this.register();
  }

  async addProducer({ producerId }: { producerId: string }): Promise<void> {
    this.assertOpen('ADD_PRODUCER');
    const producer = this.router.producers.get(producerId);
    if (!producer) throw new NotFoundError(`Producer with id "${producerId}" not found`);
    this.producerIds.add(producerId);
    producer.observer.once('close', () => this.producerIds.delete(producerId));
  }

  async removeProducer({ producerId }: { producerId: string }): Promise<void> {
    this.assertOpen('REMOVE_PRODUCER');
    this.producerIds.delete(producerId);
  }

  /** Test hook: make `producerId` the dominant speaker, as the worker would. */
  speak(producerId: string): void {
    const producer = this.router.producers.get(producerId);
    if (producer && this.producerIds.has(producerId)) this.emit('dominantspeaker', { producer });
  }

  close(): void {
    this.markClosed();
  }

  /** @internal */
  routerClosed(): void {
    this.markClosed('routerclose');
  }
}
