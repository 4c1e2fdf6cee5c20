import type { EnhancedEventEmitter } from 'mediasoup-client/types';
import { Observable } from 'rxjs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mirrors mediasoup-client's own event map constraint
type Events = Record<string, any[]>;

/**
 * Wraps one event of a mediasoup-client emitter (transport, producer, consumer…)
 * as an observable of its argument tuple. The listener is removed when the
 * subscriber unsubscribes, so closing the session leaves no listener behind.
 */
export function fromEmitter<E extends Events, K extends keyof E & string>(emitter: EnhancedEventEmitter<E>, event: K): Observable<E[K]> {
  return new Observable<E[K]>((subscriber) => {
    const listener = (...args: E[K]): void => subscriber.next(args);
    emitter.on(event, listener);
    return () => {
      emitter.off(event, listener);
    };
  });
}
