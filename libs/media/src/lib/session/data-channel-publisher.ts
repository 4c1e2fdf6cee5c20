import type { DataProducer } from 'mediasoup-client/types';
import { InvalidStateError } from '../errors';
import type { TransportManager } from './transport-manager';

/** How a data channel this peer opens delivers: reliable and ordered by default (like a WebSocket). */
export interface DataChannelOptions {
  ordered?: boolean;
  /** Partial reliability: give a message up after this many retransmissions (not with `maxPacketLifeTime`). */
  maxRetransmits?: number;
  /** Partial reliability: give a message up after this many ms (not with `maxRetransmits`). */
  maxPacketLifeTime?: number;
  protocol?: string;
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

  constructor(private readonly transports: TransportManager) {}

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
      close: () => producer.close(),
    };
  }

  /** Closes every channel (leave). */
  closeAll(): void {
    for (const producer of [...this.open]) producer.close();
    this.open.clear();
  }
}
