/** Fan-out jobs in flight at once (worker round trips of `consume` / `resume` from the fan-out). */
export const FAN_OUT_CONCURRENCY = 16;
/** Jobs started per event-loop turn: between turns, sockets (client requests, worker answers) are read. */
export const FAN_OUT_STARTS_PER_TURN = 4;

type Job = () => void;

/**
 * Runs the consumer fan-out's worker calls in the background with a bound on
 * how many are in flight, and yields to the event loop between starts.
 *
 * Why: a meeting-start herd (every peer of every room producing within one
 * second) asks for thousands of consumers at once. Started all together, their
 * `consume` requests fill the worker channel (which answers in order) and their
 * continuations run back to back on the one Node thread, so a client request
 * arriving meanwhile (`produce`, chat) waits behind the whole fan-out. Through
 * this queue, a client request waits for at most FAN_OUT_CONCURRENCY worker calls
 * and FAN_OUT_STARTS_PER_TURN job starts. Client requests themselves never go
 * through it. `resume` jobs (consumers the client already has) go first.
 */
export class FanOutScheduler {
  private readonly urgent: Job[] = [];
  private readonly normal: Job[] = [];
  private urgentHead = 0;
  private normalHead = 0;
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly concurrency = FAN_OUT_CONCURRENCY,
    private readonly startsPerTurn = FAN_OUT_STARTS_PER_TURN,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new TypeError(`concurrency must be a positive integer, not ${concurrency}`);
    if (!Number.isInteger(startsPerTurn) || startsPerTurn < 1) throw new TypeError(`startsPerTurn must be a positive integer, not ${startsPerTurn}`);
  }

  /** Jobs waiting for a slot. */
  get pending(): number {
    return this.urgent.length - this.urgentHead + this.normal.length - this.normalHead;
  }

  /** Jobs started and not yet settled. */
  get active(): number {
    return this.running;
  }

  /**
   * Queues `job` and settles as it does. `urgent` jobs start before any normal
   * one still waiting. A job that throws synchronously rejects the same way.
   */
  run<T>(job: () => Promise<T>, urgent = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start: Job = () => {
        let result: Promise<T>;
        try {
          result = job();
        } catch (error) {
          result = Promise.reject(error);
        }
        result.then(resolve, reject).finally(() => {
          this.running--;
          this.schedule();
        });
      };
      (urgent ? this.urgent : this.normal).push(start);
      this.schedule();
    });
  }

  /** Pumps on the next turn (setImmediate: after pending I/O callbacks, so client requests come first). */
  private schedule(): void {
    if (this.scheduled || this.running >= this.concurrency || this.pending === 0) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.scheduled = false;
    for (let started = 0; started < this.startsPerTurn && this.running < this.concurrency; started++) {
      const next = this.take();
      if (!next) break;
      this.running++;
      next();
    }
    this.schedule();
  }

  private take(): Job | undefined {
    if (this.urgentHead < this.urgent.length) return this.shift(this.urgent, 'urgentHead');
    if (this.normalHead < this.normal.length) return this.shift(this.normal, 'normalHead');
    return undefined;
  }

  /** Takes the head of a queue; compacts it now and then instead of an O(n) `shift()` per job. */
  private shift(queue: Job[], head: 'urgentHead' | 'normalHead'): Job {
    const job = queue[this[head]];
    queue[this[head]++] = undefined as unknown as Job;
    if (this[head] === queue.length) {
      queue.length = 0;
      this[head] = 0;
    } else if (this[head] >= 1024 && this[head] * 2 >= queue.length) {
      queue.splice(0, this[head]);
      this[head] = 0;
    }
    return job;
  }
}
