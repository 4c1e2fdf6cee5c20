import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';

/**
 * WsAdapter with a payload cap from configuration. The cap is a backstop above
 * MAX_MESSAGE_BYTES: messages between the two are still read and answered with
 * `limit_exceeded`, only far larger ones make ws close the socket (1009).
 */
export class SignalingWsAdapter extends WsAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly maxMessageBytes: number,
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> & { path?: string } = {}): ReturnType<WsAdapter['create']> {
    return super.create(port, { ...options, maxPayload: this.maxMessageBytes * 4 });
  }

  /** Messages are read by SignalingGateway; Nest's `{event, data}` routing is not used. */
  override bindMessageHandlers(): void {
    return;
  }
}
