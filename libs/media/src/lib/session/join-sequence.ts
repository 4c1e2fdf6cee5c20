import { SignalingError, type DeviceInfo } from '@confer/signaling-contracts';
import type { Device, RtpCapabilities } from 'mediasoup-client/types';
import { InvalidStateError } from '../errors';
import { Logger } from '../util/logger';
import type { JoinOptions } from './media-session.types';
import type { SessionContext } from './session-context';
import type { Subscriber } from './subscriber';
import { SCTP_CAPABILITIES, type TransportManager } from './transport-manager';

/**
 * Enters the room once the socket is authenticated: router capabilities → Device
 * → `join` (with this peer's capabilities) → recv and send transports. Runs at
 * `join()` and again for every rebuild. Without a media worker on the server it
 * joins without media (`mediaAvailable` false).
 */
export class JoinSequence {
  private readonly logger = new Logger('JoinSequence');

  constructor(
    private readonly context: SessionContext,
    private readonly transports: TransportManager,
    private readonly subscriber: Subscriber,
  ) {}

  async run(options: JoinOptions): Promise<void> {
    const { signaling, store } = this.context;
    const auth = signaling.session();
    if (!auth) throw new InvalidStateError('not authenticated');
    this.subscriber.prepare();
    const device = store.mediaAvailable.value ? await this.loadDevice(options.roomId) : null;
    const { peers } = await this.context.request('join', {
      roomId: options.roomId,
      displayName: options.displayName,
      device: options.device ?? detectDeviceInfo(device),
      ...(device ? { rtpCapabilities: device.rtpCapabilities, sctpCapabilities: SCTP_CAPABILITIES } : {}),
    });
    store.peers.set(peers);
    if (!device) {
      this.subscriber.detach(new InvalidStateError('media unavailable'));
      return;
    }
    // Both transports at once: the two round trips overlap, which matters when a whole room rebuilds.
    let recv = Promise.resolve();
    if (auth.grants.canSubscribe) recv = this.transports.create('recv').then((transport) => this.subscriber.attach(transport));
    else this.subscriber.detach(new InvalidStateError('the token does not allow subscribing'));
    const send = auth.grants.canPublish || auth.grants.canPublishData ? this.transports.create('send') : Promise.resolve();
    const [recvResult, sendResult] = await Promise.allSettled([recv, send]);
    for (const result of [recvResult, sendResult]) if (result.status === 'rejected') throw result.reason;
  }

  /** The Device for the room's router; null (and `mediaAvailable` false) when the server has no media. */
  private async loadDevice(roomId: string): Promise<Device | null> {
    try {
      const { rtpCapabilities } = await this.context.request('getRouterRtpCapabilities', { roomId });
      return await this.transports.loadDevice(rtpCapabilities as RtpCapabilities);
    } catch (error) {
      if (!(error instanceof SignalingError && error.code === 'media_unavailable')) throw error;
      this.logger.warn(`media unavailable | ${error.message}`);
      this.context.store.mediaAvailable.set(false);
      return null;
    }
  }
}

function detectDeviceInfo(device: Device | null): DeviceInfo {
  const ua = globalThis.navigator?.userAgent ?? '';
  const match = /(Firefox|Edg|Chrome|Safari)\/([\d.]+)/.exec(ua);
  const flags: Record<string, string> = { Firefox: 'firefox', Edg: 'edge', Chrome: 'chrome', Safari: 'safari' };
  const flag = match ? flags[match[1]] : 'unknown';
  return { flag, name: device?.handlerName ?? flag, ...(match ? { version: match[2] } : {}) };
}
