import { SignalingError, type TransportDirection } from '@confer/signaling-contracts';
import type { Transport } from 'mediasoup-client/types';
import { Subject, type Observable } from 'rxjs';
import type { MediaSessionOptions } from '../tokens';
import { Logger } from '../util/logger';
import type { SessionContext } from './session-context';

/** ICE-restart bookkeeping of one transport. */
interface IceWatch {
  direction: TransportDirection;
  /** Pending restart: the `disconnected` grace, or a backoff after a failed restart. */
  timer: ReturnType<typeof setTimeout> | null;
  /** The restart being made now (server `restartIce`, then the client's). */
  running: Promise<void> | null;
  /** Restarts since the transport was last `connected` (for the backoff). */
  attempts: number;
  /** From a restart of a disconnected/failed transport until it is `connected` again (`recovery` = `ice`). */
  recovering: boolean;
}

/**
 * Restarts ICE on the session's transports when their connection breaks: after a
 * grace period for `disconnected`, at once for `failed` (repeated failures back
 * off), and on demand (a resumed socket, the browser back `online`).
 */
export class IceWatchdog {
  private readonly logger = new Logger('IceWatchdog');
  private readonly watches = new Map<Transport, IceWatch>();
  private readonly changesSubject = new Subject<void>();
  private readonly lostSubject = new Subject<string>();

  /** A transport started or stopped recovering: {@link recovering} may have changed. */
  readonly changes$: Observable<void> = this.changesSubject.asObservable();
  /** The server no longer has a transport being restarted (its media was reset); the payload says why. */
  readonly transportLost$: Observable<string> = this.lostSubject.asObservable();

  constructor(
    private readonly context: SessionContext,
    private readonly options: MediaSessionOptions,
  ) {}

  /** True while some transport restarts ICE after it was interrupted. */
  get recovering(): boolean {
    return [...this.watches.values()].some((w) => w.recovering);
  }

  watch(transport: Transport, direction: TransportDirection): void {
    this.watches.set(transport, { direction, timer: null, running: null, attempts: 0, recovering: false });
  }

  /** Stops watching every transport and cancels pending restarts. */
  clear(): void {
    for (const transport of [...this.watches.keys()]) this.forget(transport);
  }

  /** Restarts ICE on every watched transport (resumed session, `online`). */
  async restartAll(why: string): Promise<void> {
    const transports = [...this.watches.keys()].filter((t) => !t.closed);
    await Promise.all(transports.map((t) => this.restart(t, why)));
  }

  /**
   * `disconnected` often heals by itself (a lost packet burst), so it gets a grace
   * period; `failed` does not, so it restarts at once (later ones back off).
   */
  onState(transport: Transport, state: RTCPeerConnectionState): void {
    const watch = this.watches.get(transport);
    if (!watch) return;
    switch (state) {
      case 'connected':
        this.clearTimer(watch);
        watch.attempts = 0;
        watch.recovering = false;
        break;
      case 'disconnected':
        if (watch.timer || watch.running) break;
        watch.timer = setTimeout(() => {
          watch.timer = null;
          if (transport.connectionState === 'disconnected') void this.restart(transport, `disconnected for ${this.options.iceDisconnectedGraceMs} ms`);
        }, this.options.iceDisconnectedGraceMs);
        break;
      case 'failed': {
        this.clearTimer(watch);
        const delay = this.backoff(watch.attempts);
        if (delay === 0) void this.restart(transport, 'ICE failed');
        else watch.timer = setTimeout(() => ((watch.timer = null), void this.restart(transport, 'ICE failed again')), delay);
        break;
      }
      case 'closed':
        this.forget(transport);
        break;
    }
    this.changesSubject.next();
  }

  /** Server `restartIce` (new ICE ufrag/pwd on its side), then `transport.restartIce()` with them. */
  restart(transport: Transport, why: string): Promise<void> {
    const watch = this.watches.get(transport);
    if (!watch || transport.closed) return Promise.resolve();
    if (watch.running) return watch.running;
    this.clearTimer(watch);
    // Nobody to ask without a socket: a resumed reconnection restarts ICE everywhere anyway.
    if (this.context.signaling.state() !== 'open') return Promise.resolve();
    watch.attempts++;
    // Only an interrupted transport is "recovering"; a precautionary restart (resume, `online`) of a
    // connected or never-connected one is not worth a banner.
    const state = transport.connectionState;
    if (state === 'disconnected' || state === 'failed') watch.recovering = true;
    this.logger.warn(`restartIce() | transport=${watch.direction} attempt=${watch.attempts} why=${why}`);
    const running = (async () => {
      try {
        const { iceParameters } = await this.context.request('restartIce', { transportId: transport.id });
        if (transport.closed) return;
        await transport.restartIce({ iceParameters });
        // A restart while still connected (resume, `online`) emits no state change: media never stopped.
        if (transport.connectionState === 'connected') {
          watch.recovering = false;
          watch.attempts = 0;
        }
      } catch (error) {
        if (transport.closed || !this.watches.has(transport)) return;
        if (error instanceof SignalingError && error.code === 'not_found' && !this.context.rebuilding) {
          this.lostSubject.next(`restartIce: ${error.reason}`);
          return;
        }
        this.logger.warn(`restartIce failed | transport=${watch.direction}`, error);
        const delay = Math.max(this.backoff(watch.attempts), 1000);
        watch.timer = setTimeout(() => ((watch.timer = null), void this.restart(transport, 'retry')), delay);
      } finally {
        watch.running = null;
        this.changesSubject.next();
      }
    })();
    watch.running = running;
    this.changesSubject.next();
    return running;
  }

  private backoff(attempts: number): number {
    return attempts === 0 ? 0 : Math.min(this.options.iceRestartMaxDelayMs, 1000 * 2 ** (attempts - 1));
  }

  private clearTimer(watch: IceWatch): void {
    if (watch.timer) clearTimeout(watch.timer);
    watch.timer = null;
  }

  private forget(transport: Transport): void {
    const watch = this.watches.get(transport);
    if (watch) this.clearTimer(watch);
    this.watches.delete(transport);
  }
}
