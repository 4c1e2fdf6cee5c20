import type { DataProducer } from 'mediasoup-client/types';
import { InvalidStateError, RequestTimeoutError } from '../errors';
import type { SessionContext } from './session-context';
import type { TransportManager } from './transport-manager';

/** How a data channel this peer opens delivers: reliable and ordered by default (like a WebSocket). */
export interface DataChannelOptions {
  ordered?: boolean;
  /** Partial reliability: give a message up after this many retransmissions (not with `maxPacketLifeTime`). */
  maxRetransmits?: number;
  /** Partial reliability: give a message up after this many ms (not with `maxRetransmits`). */
  maxPacketLifeTime?: number;
  protocol?: string;
  /** How long `openDataChannel()` waits for the channel to open (SCTP over the send transport); default 10000 ms. */
  openTimeoutMs?: number;
}

/** The part of mediasoup-client's DataProducer `untilOpen` watches. */
interface Opening {
  readonly readyState: RTCDataChannelState;
  once(event: 'open' | 'close' | 'transportclose', listener: () => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/**
 * Resolves once `channel` is open (at once if it is); rejects if it closes or
 * fails first, or with `RequestTimeoutError('openDataChannel')` after `timeoutMs`.
 */
export function untilOpen(channel: Opening, timeoutMs: number, label: string): Promise<void> {
  if (channel.readyState === 'open') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error): void => {
      clearTimeout(timer);
      channel.off('open', onOpen);
      channel.off('close', onClose);
      channel.off('transportclose', onClose);
      channel.off('error', onError as () => void);
      if (error) reject(error);
      else resolve();
    };
    const onOpen = (): void => done();
    const onClose = (): void => done(new InvalidStateError(`The data channel "${label}" closed before it opened.`));
    const onError = (error: Error): void => done(new InvalidStateError(`The data channel "${label}" failed to open: ${error.message}`));
    const timer = setTimeout(() => done(new RequestTimeoutError('openDataChannel', timeoutMs)), timeoutMs);
    channel.once('open', onOpen);
    channel.once('close', onClose);
    channel.once('transportclose', onClose);
    channel.once('error', onError);
  });
}

/** A data channel this peer sends on (an SCTP DataChannel through mediasoup); everyone in the room receives it. */
export interface LocalDataChannel {
  /** The server's data producer id (others see it as `dataProducerId`). */
  readonly id: string;
  readonly label: string;
  readonly protocol: string;
  /** `open`, or `closing`/`closed` once it or its transport closed (a reconnection that rebuilds the transports closes it: open it again). */
  readonly readyState: RTCDataChannelState;
  /** Bytes queued in the browser and not yet sent: wait for it to drop before sending more of a large payload. */
  readonly bufferedAmount: number;
  send(data: string | Blob | ArrayBuffer | ArrayBufferView): void;
  close(): void;
}

/**
 * Data channels this peer produces (`produceData` through the send transport's
 * SCTP association; the server then offers them to the room with
 * `newDataConsumer`, like mediasoup-demo's chat and bot channels).
 */
export class DataChannelPublisher {
  private readonly open = new Set<DataProducer>();

  constructor(
    private readonly context: SessionContext,
    private readonly transports: TransportManager,
  ) {}

  async openChannel(label: string, options: DataChannelOptions = {}): Promise<LocalDataChannel> {
    const transport = this.transports.send;
    if (!transport || transport.closed) throw new InvalidStateError('Cannot open a data channel: not joined, or not allowed to publish.');
    if (options.maxRetransmits !== undefined && options.maxPacketLifeTime !== undefined) {
      throw new InvalidStateError('A data channel takes maxRetransmits or maxPacketLifeTime, not both.');
    }
    const producer = await transport.produceData({
      ordered: options.ordered ?? (options.maxRetransmits === undefined && options.maxPacketLifeTime === undefined),
      ...(options.maxRetransmits !== undefined ? { maxRetransmits: options.maxRetransmits } : {}),
      ...(options.maxPacketLifeTime !== undefined ? { maxPacketLifeTime: options.maxPacketLifeTime } : {}),
      label,
      protocol: options.protocol ?? '',
    });
    this.open.add(producer);
    producer.observer.once('close', () => this.open.delete(producer));
    const closeOnServer = (): void => {
      // The server closes its data producer, and with it the others' data consumers (`dataConsumerClosed`).
      this.context.request('closeDataProducer', { dataProducerId: producer.id }).catch(() => undefined);
    };
    try {
      await this.waitOpen(producer, options.openTimeoutMs ?? 10_000, label);
    } catch (error) {
      if (!producer.closed) {
        producer.close();
        closeOnServer();
      }
      throw error;
    }
    return {
      id: producer.id,
      label: producer.label,
      protocol: producer.protocol,
      get readyState() {
        return producer.closed ? 'closed' : producer.readyState;
      },
      get bufferedAmount() {
        return producer.bufferedAmount;
      },
      send: (data) => {
        if (producer.closed) throw new InvalidStateError(`The data channel "${label}" is closed.`);
        producer.send(data as never);
      },
      close: () => {
        if (producer.closed) return;
        producer.close();
        closeOnServer();
      },
    };
  }

  /** Waits for the SCTP channel to open (mediasoup-client FakeHandler channels never do: its specs stub this). */
  protected waitOpen(producer: DataProducer, timeoutMs: number, label: string): Promise<void> {
    return untilOpen(producer as unknown as Opening, timeoutMs, label);
  }

  /** Closes every channel locally (leave: the server closes its side with the peer's transports). */
  closeAll(): void {
    for (const producer of [...this.open]) producer.close();
    this.open.clear();
  }
}
