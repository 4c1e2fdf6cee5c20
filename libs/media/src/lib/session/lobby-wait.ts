import { Subscription, filter } from 'rxjs';
import { ConnectionError, ExpelledError } from '../errors';
import type { SignalingClient } from '../signaling/signaling-client';

/**
 * How a wait in the lobby ended without a refusal:
 * - `admitted`: a moderator let this peer in; send `join` again.
 * - `forgotten`: the socket came back but the server did not keep the session (so
 *   neither its place in the lobby); send `join` again to wait anew.
 */
export type LobbyOutcome = 'admitted' | 'forgotten';

/**
 * One wait for a moderator's `lobbyDecision`. Created before the `join` request so
 * that no decision can slip between the answer and the subscription; {@link dispose}
 * it when the answer says the peer does not wait.
 *
 * `outcome` rejects with `ExpelledError('denied')` when refused, and with the
 * connection's close error when the socket is gone for good (including `leave()`).
 */
export class LobbyWait {
  private readonly subscription = new Subscription();
  readonly outcome: Promise<LobbyOutcome>;

  constructor(signaling: SignalingClient) {
    this.outcome = new Promise<LobbyOutcome>((resolve, reject) => {
      this.subscription.add(
        signaling.on('lobbyDecision').subscribe(({ admitted, reason }) => {
          if (admitted) resolve('admitted');
          else reject(new ExpelledError('denied', reason ?? 'a moderator did not let you in', null));
        }),
      );
      this.subscription.add(signaling.reconnected$.pipe(filter(({ resumed }) => !resumed)).subscribe(() => resolve('forgotten')));
      this.subscription.add(
        signaling.state$.pipe(filter((state) => state === 'closed')).subscribe(() => {
          reject(signaling.closeError ?? new ConnectionError('closed', 'signaling closed while waiting in the lobby'));
        }),
      );
    });
    // Settled either way: stop listening. The caller handles the rejection (or disposed the wait).
    this.outcome.then(
      () => this.dispose(),
      () => this.dispose(),
    );
  }

  /** Stops listening; an outcome not settled yet never settles. */
  dispose(): void {
    this.subscription.unsubscribe();
  }
}
