import type { IncomingMessage } from 'node:http';
import { Logger, type INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { FILE_FRAME_MAX_BYTES } from '@confer/signaling-contracts';
import { isOriginAllowed } from './origin-policy';

type VerifyClient = (info: { origin: string; req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => void;

/**
 * WsAdapter with a payload cap from configuration and an Origin check on the
 * upgrade. The cap is a backstop above MAX_MESSAGE_BYTES: messages between
 * the two are still read and answered with `limit_exceeded`, only far larger
 * ones make ws close the socket (1009). A foreign Origin gets HTTP 403 before
 * any WebSocket exists (cross-site WebSocket hijacking). Binary file frames
 * (up to FILE_FRAME_MAX_BYTES) always fit under the cap.
 */
export class SignalingWsAdapter extends WsAdapter {
  private readonly log = new Logger(SignalingWsAdapter.name);

  constructor(
    app: INestApplicationContext,
    private readonly maxMessageBytes: number,
    private readonly allowedOrigins: '*' | readonly string[] = '*',
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> & { path?: string } = {}): ReturnType<WsAdapter['create']> {
    const verifyClient: VerifyClient = ({ origin, req }, done) => {
      if (isOriginAllowed(origin || undefined, req.headers.host, this.allowedOrigins)) return done(true);
      this.log.warn(`upgrade refused | origin=${origin} host=${req.headers.host ?? '-'}`);
      done(false, 403, 'Origin not allowed');
    };
    return super.create(port, { ...options, maxPayload: Math.max(this.maxMessageBytes * 4, FILE_FRAME_MAX_BYTES * 2), verifyClient });
  }

  /** Messages are read by SignalingGateway; Nest's `{event, data}` routing is not used. */
  override bindMessageHandlers(): void {
    return;
  }
}
