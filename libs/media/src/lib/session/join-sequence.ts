import { SignalingError, isRedirectDetails, type AuthenticateResult, type DeviceInfo, type JoinParams, type JoinResult, type PeerInfo } from '@confer/signaling-contracts';
import { map, merge } from 'rxjs';
import type { Device, RtpCapabilities, Transport } from 'mediasoup-client/types';
import { ConnectionError, InvalidStateError } from '../errors';
import { Logger } from '../util/logger';
import { LobbyWait } from './lobby-wait';
import type { JoinOptions } from './media-session.types';
import type { SessionContext } from './session-context';
import type { Subscriber } from './subscriber';
import { SCTP_CAPABILITIES, type TransportManager } from './transport-manager';

/**
 * Enters the room once the socket is authenticated: router capabilities, then at
 * once the recv and send transports are asked for while the Device loads and
 * `join` (with this peer's capabilities) goes out; their local sides are made once
 * both answered. The server's first `newConsumer` thus follows `join` with no
 * transport round trip in between. Runs at `join()` and again for every rebuild.
 * Without a media worker on the server it joins without media (`mediaAvailable` false).
 *
 * With the room's lobby on, the `join` answer says `waiting`: no peers, no local
 * transports (the server holds the two it made, idle: nothing is produced or
 * consumed before admission), until a moderator's `lobbyDecision`. Admitted, it sends `join` again
 * (answered with the room); denied, it throws `ExpelledError('denied')`. A rebuild
 * of an admitted peer is let straight back in by the server, so it does not wait.
 *
 * In a cluster, `getRouterRtpCapabilities` or `join` may answer `redirect` (the room
 * lives on another node): the signaling client moves there ({@link SignalingClient.moveTo}:
 * socket closed with 1000, the redirect's token) and the sequence starts again, at
 * most {@link MAX_REDIRECTS} times in a row (then `ConnectionError('redirect_loop')`).
 * `cluster_unavailable` is retried after the server's `retryAfterMs` (bounded), at most
 * {@link MAX_CLUSTER_RETRIES} times, shown in `clusterRetry` (then `ConnectionError('cluster_unavailable')`).
 */
export class JoinSequence {
  private readonly logger = new Logger('JoinSequence');
  /** What {@link prepare} got ready for the next `run()`: used only on the same session and room. */
  private prepared: Prepared | null = null;

  constructor(
    private readonly context: SessionContext,
    private readonly transports: TransportManager,
    private readonly subscriber: Subscriber,
  ) {}

  /**
   * Everything before `join`, ahead of time (the join screen): enters the room (not
   * visible to others until `join`), loads the Device and makes both transports. The
   * next {@link run} for the same room on the same session then only sends `join`.
   */
  prepare(roomId: string): Promise<void> {
    return this.run({ token: '', roomId, displayName: '' }, true);
  }

  /** Forgets what {@link prepare} got ready (its transports are closed by the caller). */
  discardPrepared(): void {
    this.prepared = null;
  }

  async run(options: JoinOptions, prepareOnly = false): Promise<void> {
    const { signaling, store } = this.context;
    let redirects = 0;
    let retries = 0;
    for (;;) {
      try {
        await this.runOnce(options, prepareOnly);
        store.clusterRetry.set(null);
        return;
      } catch (error) {
        if (!(error instanceof SignalingError)) throw error;
        if (error.code === 'redirect' && isRedirectDetails(error.details)) {
          const { url, token, nodeId } = error.details;
          if (++redirects > MAX_REDIRECTS) throw new ConnectionError('redirect_loop', `room ${options.roomId}: redirected more than ${MAX_REDIRECTS} times in a row (last to node ${nodeId})`);
          this.logger.debug(`redirect | room=${options.roomId} node=${nodeId} url=${url}`);
          // Transports asked of the node we leave are not ours to keep.
          this.transports.close();
          await signaling.moveTo(url, token);
          store.mediaAvailable.set(signaling.session()?.mediaAvailable ?? false);
          continue;
        }
        if (error.code === 'cluster_unavailable') {
          if (++retries > MAX_CLUSTER_RETRIES) {
            store.clusterRetry.set(null);
            throw new ConnectionError('cluster_unavailable', `room ${options.roomId}: no server can take the meeting now (${error.reason})`);
          }
          const asked = Number(error.details?.['retryAfterMs']);
          const retryAfterMs = Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, Number.isFinite(asked) ? asked : 1000));
          this.logger.warn(`cluster unavailable | room=${options.roomId} retry ${retries}/${MAX_CLUSTER_RETRIES} in ${retryAfterMs} ms`);
          store.clusterRetry.set({ attempt: retries, maxAttempts: MAX_CLUSTER_RETRIES, retryAfterMs, reason: error.reason });
          this.transports.close();
          await new Promise((resolve) => setTimeout(resolve, retryAfterMs));
          if (signaling.state() === 'closed') throw new InvalidStateError('closed while waiting for the cluster');
          continue;
        }
        throw error;
      }
    }
  }

  /** One pass on the current node: capabilities, transports, Device, `join`, local transports. */
  private async runOnce(options: JoinOptions, prepareOnly: boolean): Promise<void> {
    const { signaling, store } = this.context;
    const auth = signaling.session();
    if (!auth) throw new InvalidStateError('not authenticated');
    const prepared = this.prepared;
    this.prepared = null;
    // The same session: the one prepared on, or resumed since (the server kept the room entry and transports).
    const sameSession = prepared !== null && (prepared.session === auth || (auth.resumed && auth.sessionId === prepared.session.sessionId));
    const ready = !prepareOnly && sameSession && prepared.roomId === options.roomId && this.transports.device === prepared.device ? prepared : null;
    // Prepared on a session the server no longer has (or for another room): start afresh.
    if (prepared && !ready) this.transports.close();
    if (ready) return this.joinPrepared(options, ready);
    if (!prepareOnly) this.subscriber.prepare();
    const capabilities = store.mediaAvailable.value ? await this.routerCapabilities(options.roomId) : null;
    // Both transports at once, before the Device and `join`: the round trips overlap.
    const recvPending = capabilities && auth.grants.canSubscribe ? this.transports.request('recv') : null;
    const sendPending = capabilities && (auth.grants.canPublish || auth.grants.canPublishData) ? this.transports.request('send') : null;
    const device = capabilities ? await this.transports.loadDevice(capabilities) : null;
    if (prepareOnly) {
      const [recv] = await Promise.all([recvPending ? this.transports.create('recv', recvPending) : null, sendPending ? this.transports.create('send', sendPending) : null]);
      this.prepared = { session: auth, roomId: options.roomId, device, recv };
      return;
    }
    await this.enter({
      roomId: options.roomId,
      displayName: options.displayName,
      device: options.device ?? detectDeviceInfo(device),
      ...(device ? { rtpCapabilities: device.rtpCapabilities, sctpCapabilities: SCTP_CAPABILITIES } : {}),
    });
    if (!device) {
      this.subscriber.detach(new InvalidStateError('media unavailable'));
      return;
    }
    let recv = Promise.resolve();
    if (recvPending) recv = this.transports.create('recv', recvPending).then((transport) => this.subscriber.attach(transport));
    else this.subscriber.detach(new InvalidStateError('the token does not allow subscribing'));
    const send = sendPending ? this.transports.create('send', sendPending) : Promise.resolve();
    const [recvResult, sendResult] = await Promise.allSettled([recv, send]);
    for (const result of [recvResult, sendResult]) if (result.status === 'rejected') throw result.reason;
  }

  /** The room entered, the Device loaded and the transports made ahead: only `join` is left. */
  private async joinPrepared(options: JoinOptions, ready: Prepared): Promise<void> {
    this.subscriber.prepare();
    const { device, recv } = ready;
    await this.enter({
      roomId: options.roomId,
      displayName: options.displayName,
      device: options.device ?? detectDeviceInfo(device),
      ...(device ? { rtpCapabilities: device.rtpCapabilities, sctpCapabilities: SCTP_CAPABILITIES } : {}),
    });
    if (!device) this.subscriber.detach(new InvalidStateError('media unavailable'));
    else if (recv) this.subscriber.attach(recv);
    else this.subscriber.detach(new InvalidStateError('the token does not allow subscribing'));
  }

  /** Sends `join` until the answer is not `waiting` (admitted from the lobby, or no lobby). */
  private async enter(params: JoinParams): Promise<JoinResult> {
    const { signaling, store } = this.context;
    for (;;) {
      const wait = new LobbyWait(signaling);
      // Peers who join or leave while `join` is in flight may be told before the answer
      // (whose list was taken earlier): applied again after it, or the answer would undo them.
      const meanwhile: ({ joined: PeerInfo } | { left: string })[] = [];
      const watch = merge(
        signaling.on('peerJoined').pipe(map((peer) => ({ joined: peer }))),
        signaling.on('peerLeft').pipe(map(({ peerId }) => ({ left: peerId }))),
      ).subscribe((event) => meanwhile.push(event));
      let result: JoinResult;
      try {
        result = await this.context.request('join', params);
      } catch (error) {
        wait.dispose();
        throw error;
      } finally {
        watch.unsubscribe();
      }
      store.applyJoin(result);
      if (!result.waiting) {
        for (const event of meanwhile) {
          if ('joined' in event) store.peers.update((peers) => [...peers.filter((p) => p.id !== event.joined.id), event.joined]);
          else store.peers.update((peers) => peers.filter((p) => p.id !== event.left));
        }
      }
      if (!result.waiting) {
        wait.dispose();
        return result;
      }
      this.logger.debug(`join() | waiting in the lobby of room=${params.roomId}`);
      const outcome = await wait.outcome.catch((error: unknown) => {
        store.waiting.set(false);
        throw error;
      });
      this.logger.debug(`join() | lobby: ${outcome}`);
      // Forgotten: still waiting, the next `join` puts this peer back in the lobby.
      if (outcome === 'admitted') store.waiting.set(false);
    }
  }

  /** The room's router capabilities (entering the room); null (and `mediaAvailable` false) when the server has no media. */
  private async routerCapabilities(roomId: string): Promise<RtpCapabilities | null> {
    try {
      const { rtpCapabilities } = await this.context.request('getRouterRtpCapabilities', { roomId });
      return rtpCapabilities as RtpCapabilities;
    } catch (error) {
      if (!(error instanceof SignalingError && error.code === 'media_unavailable')) throw error;
      this.logger.warn(`media unavailable | ${error.message}`);
      this.context.store.mediaAvailable.set(false);
      return null;
    }
  }
}

/** What {@link JoinSequence.prepare} made ready, for one session and room. */
interface Prepared {
  session: AuthenticateResult;
  roomId: string;
  /** Null when the server has no media. */
  device: Device | null;
  recv: Transport | null;
}

/** Redirects followed in a row before giving up (`redirect_loop`). */
export const MAX_REDIRECTS = 3;
/** `cluster_unavailable` answers retried before giving up. */
export const MAX_CLUSTER_RETRIES = 4;
/** Bounds on the server's `retryAfterMs`. */
const MIN_RETRY_AFTER_MS = 50;
const MAX_RETRY_AFTER_MS = 5000;

function detectDeviceInfo(device: Device | null): DeviceInfo {
  const ua = globalThis.navigator?.userAgent ?? '';
  const match = /(Firefox|Edg|Chrome|Safari)\/([\d.]+)/.exec(ua);
  const flags: Record<string, string> = { Firefox: 'firefox', Edg: 'edge', Chrome: 'chrome', Safari: 'safari' };
  const flag = match ? flags[match[1]] : 'unknown';
  return { flag, name: device?.handlerName ?? flag, ...(match ? { version: match[2] } : {}) };
}
