import { isRedirectDetails, type RedirectDetails } from '@confer/signaling-contracts';
import { Subscription, fromEvent } from 'rxjs';
import { ConnectionError, ExpelledError, InvalidStateError, type ExpulsionKind } from '../errors';
import { Logger } from '../util/logger';
import type { JoinSequence } from './join-sequence';
import type { JoinOptions, LocalProducer, RecoveryKind } from './media-session.types';
import type { Publisher } from './publisher';
import type { SessionContext } from './session-context';
import type { Subscriber } from './subscriber';
import type { TransportManager } from './transport-manager';

/** The parts of a session the coordinator closes and re-creates. */
export interface SessionParts {
  readonly publisher: Publisher;
  readonly subscriber: Subscriber;
  readonly transports: TransportManager;
  readonly joinSequence: JoinSequence;
}

/**
 * Keeps one session alive through outages. A resumed reconnection keeps the media
 * and restarts ICE; `mediaReset`, a reconnection the server did not resume, or a
 * transport the server forgot rebuild it: close everything, run the join sequence
 * again and produce the same local tracks again. Set-up, rebuilds and teardown
 * run one at a time. Also computes `recovery` and ends the session: `failed` when
 * the signaling connection is gone for good, `closed` with `expelled` when a
 * moderator removed this peer or ended the meeting (no rejoin then).
 */
export class RecoveryCoordinator {
  private readonly logger = new Logger('RecoveryCoordinator');
  private options: JoinOptions | null = null;
  /** Everything subscribed for the whole session (notifications, handlers, hooks). */
  private session = new Subscription();
  /** Set by the reconnect hook when the server resumed the session: restart ICE once the socket is open. */
  private restartIceAfterResume = false;
  /**
   * A rebuild was cut short by a lost connection: the reconnect hook redoes it and
   * restores these producers (mic/webcam as they were before the first attempt).
   */
  private interruptedRestore: LocalProducer[] | null = null;
  /** Serializes set-up, rebuilds and teardown. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly context: SessionContext,
    private readonly parts: SessionParts,
  ) {}

  /** Starts following the session's notifications and the connection, for a session joining with `options`. */
  start(options: JoinOptions, listeners: Subscription[]): void {
    this.options = options;
    this.interruptedRestore = null;
    this.session = new Subscription();
    for (const sub of listeners) this.session.add(sub);
    this.listen();
  }

  /** Runs the join sequence, after any set-up or rebuild still running. */
  setUp(): Promise<void> {
    const options = this.options;
    if (!options) return Promise.reject(new InvalidStateError('setUp() before start()'));
    return this.serialize(() => this.parts.joinSequence.run(options));
  }

  /** Closes all media and stops following the session (leave, failure, destroy). */
  teardown(): void {
    this.options = null;
    this.session.unsubscribe();
    this.session = new Subscription();
    this.closeMedia(false);
    // Tracks a cut-short rebuild was holding for the next attempt.
    for (const p of this.interruptedRestore ?? []) p.track.stop();
    this.interruptedRestore = null;
    this.parts.transports.dispose();
    this.context.store.resetModeration();
    this.restartIceAfterResume = false;
    this.updateRecovery();
  }

  /**
   * Ends the session because of a moderator: everything closed as by `leave()`
   * (the server has already put this peer out), the socket closed so that it does
   * not reconnect and rejoin, `expelled` and `error` set, state `closed`.
   */
  expel(kind: ExpulsionKind, reason: string, by: string | null): void {
    const { signaling, store } = this.context;
    this.logger.warn(`expelled | kind=${kind} by=${by} reason=${reason}`);
    this.teardown();
    signaling.close();
    store.expelled.set({ kind, reason, by });
    store.error.set(new ExpelledError(kind, reason, by));
    store.state.set('closed');
  }

  private listen(): void {
    const { signaling: s, store } = this.context;
    const sub = this.session;
    const { ice } = this.parts.transports;
    sub.add(s.on('mediaReset').subscribe(({ reason }) => void this.rebuild(`mediaReset: ${reason}`)));
    // Cluster: the node drains and names the one that took the room over: go there now.
    sub.add(
      s.on('serverShutdown').subscribe(({ moveTo }) => {
        if (isRedirectDetails(moveTo)) void this.rebuild(`serverShutdown: moving to node ${moveTo.nodeId}`, false, moveTo);
      }),
    );
    sub.add(s.on('removed').subscribe(({ reason, by }) => this.expel('removed', reason, by)));
    sub.add(s.on('meetingEnded').subscribe(({ reason, by }) => this.expel('ended', reason, by)));
    sub.add(ice.transportLost$.subscribe((reason) => void this.rebuild(reason)));
    sub.add(ice.changes$.subscribe(() => this.updateRecovery()));
    sub.add(
      s.state$.subscribe((state) => {
        if (state === 'reconnecting' && store.state.value === 'joined') store.state.set('reconnecting');
        if (state === 'closed' && (store.state.value === 'joined' || store.state.value === 'reconnecting')) {
          this.teardown();
          store.error.set(s.closeError ?? new ConnectionError('lost', 'Lost the connection to the server.'));
          store.state.set('failed');
        }
        this.updateRecovery();
      }),
    );
    // Runs before requests queued during the outage are sent, so they reach a joined peer.
    sub.add(
      s.onReconnect(async ({ resumed }) => {
        // In the lobby there is no media to keep; the wait itself joins again if the server forgot it.
        if (store.waiting.value) return;
        if (resumed && !this.interruptedRestore) {
          // Transports, producers and consumers survived on the server; the network may have
          // changed though, so ICE restarts once the socket is open (see reconnected$ below).
          this.restartIceAfterResume = true;
          store.state.set('joined');
        } else {
          await this.rebuild(resumed ? 'an earlier rebuild was interrupted' : 'session not resumed after reconnection', true);
        }
      }),
    );
    sub.add(
      s.reconnected$.subscribe(() => {
        if (!this.restartIceAfterResume) return;
        this.restartIceAfterResume = false;
        void ice.restartAll('signaling resumed');
      }),
    );
    // A network change (Wi-Fi → cable, VPN up) usually shows up as `online`: new ICE candidates at once.
    if (typeof globalThis.addEventListener === 'function') {
      sub.add(fromEvent(globalThis as unknown as EventTarget, 'online').subscribe(() => void ice.restartAll('the browser is back online')));
    }
  }

  /**
   * Re-creates everything after `mediaReset` or a reconnection the server did not
   * resume: enter and join again, then produce the same local tracks again (mic,
   * camera and screen, muted ones muted) — no new getUserMedia prompt. Consumers
   * come back through `newConsumer`. With `moveTo` (cluster: `serverShutdown.moveTo`)
   * the session moves to that node first.
   */
  private rebuild(reason: string, restoring = false, moveTo?: RedirectDetails): Promise<void> {
    return this.serialize(async () => {
      const { signaling, store } = this.context;
      // A rebuild queued before leave() has nothing left to rebuild.
      if (!this.options) return;
      const started = Date.now();
      this.logger.warn(`rebuild() | ${reason}`);
      this.context.restoring = restoring;
      this.context.rebuilding = true;
      const wasOn = this.interruptedRestore ?? [...store.producers.value];
      store.state.set('reconnecting');
      this.closeMedia(true);
      this.updateRecovery();
      store.mediaAvailable.set(signaling.session()?.mediaAvailable ?? false);
      try {
        if (moveTo) {
          await signaling.moveTo(moveTo.url, moveTo.token);
          store.mediaAvailable.set(signaling.session()?.mediaAvailable ?? false);
        }
        await this.parts.joinSequence.run(this.options);
        for (const p of wasOn) await this.parts.publisher.restore(p);
        this.interruptedRestore = null;
        store.state.set('joined');
        this.logger.warn(`rebuild() done in ${Date.now() - started} ms | producers=${store.producers.value.length}`);
      } catch (error) {
        if (signaling.state() === 'reconnecting') {
          // The socket dropped mid-way (e.g. mediaReset right before a server restart):
          // not fatal, the reconnect hook rebuilds once the server is back.
          this.logger.warn(`rebuild() interrupted by the connection loss | ${(error as Error).message}`);
          this.interruptedRestore = wasOn;
          this.closeMedia(true);
          return;
        }
        for (const p of wasOn) p.track.stop();
        // leave() while rebuilding: nothing failed, the user left.
        if (store.state.value === 'closed') return;
        // Sent back to the lobby by the rebuild's `join`, and refused there.
        if (error instanceof ExpelledError) return this.expel(error.kind, error.reason, error.by);
        this.logger.error('rebuild() failed', error);
        store.error.set(error as Error);
        store.state.set('failed');
      } finally {
        this.context.restoring = false;
        this.context.rebuilding = false;
        this.updateRecovery();
      }
    });
  }

  /**
   * Closes all media objects (the server side is gone or going). For a rebuild the
   * local tracks keep running (they are produced again) and the peer list stays
   * until `join` answers; otherwise tracks stop.
   */
  private closeMedia(forRebuild: boolean): void {
    this.parts.subscriber.close();
    this.parts.publisher.close(!forRebuild);
    this.parts.transports.close();
    this.context.store.resetMedia(forRebuild);
  }

  private updateRecovery(): void {
    const { signaling, store } = this.context;
    const state = store.state.value;
    let kind: RecoveryKind | null = null;
    if (state === 'joined' || state === 'reconnecting') {
      if (signaling.state() === 'reconnecting') kind = 'connection';
      else if (this.context.rebuilding) kind = 'media';
      else if (this.parts.transports.ice.recovering) kind = 'ice';
    }
    if (store.recovery.value !== kind) store.recovery.set(kind);
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
