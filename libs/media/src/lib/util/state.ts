import { signal, type Signal } from '@angular/core';
import { BehaviorSubject, type Observable } from 'rxjs';

/**
 * One piece of service state, readable both as a signal (for templates) and as
 * an observable (for RxJS users). Both update synchronously on `set()`, so a
 * mediasoup-client callback that changes state is seen by zoneless change
 * detection through the signal.
 */
export class State<T> {
  private readonly writable;
  private readonly subject: BehaviorSubject<T>;

  /** Read-only signal of the current value. */
  readonly signal: Signal<T>;
  /** Current value, then every change. */
  readonly changes$: Observable<T>;

  constructor(initial: T) {
    this.writable = signal(initial);
    this.subject = new BehaviorSubject(initial);
    this.signal = this.writable.asReadonly();
    this.changes$ = this.subject.asObservable();
  }

  get value(): T {
    return this.subject.value;
  }

  set(value: T): void {
    this.writable.set(value);
    this.subject.next(value);
  }

  update(fn: (value: T) => T): void {
    this.set(fn(this.subject.value));
  }
}
