import type { AppData, TransportListenInfo } from 'mediasoup/types';
import { FakeEntity } from './fake-entity';
import type { FakeRegistry } from './fake-registry';

/** mediasoup's WebRtcServer: the listen infos its transports announce. */
export class FakeWebRtcServer extends FakeEntity {
  protected readonly entityKind = 'webRtcServer';
  protected readonly method = 'WEBRTCSERVER';

  constructor(
    registry: FakeRegistry,
    appData: AppData,
    readonly listenInfos: TransportListenInfo[],
  ) {
    super(registry, appData);
    this.register();
  }

  close(): void {
    this.markClosed();
  }
}
