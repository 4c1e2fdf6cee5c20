import type { SignalingOptions } from '../tokens';
import type { Logger } from '../util/logger';

/**
 * When the signaling client tries to open its socket again: after a delay that
 * doubles from `reconnectBaseDelayMs` up to `reconnectMaxDelayMs`, with ±30 %
 * jitter so a room of clients does not come back all at once after a restart.
 */
export class ReconnectBackoff {
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly options: SignalingOptions,
    private readonly logger: Logger,
  ) {}

  /** An attempt is scheduled and has not run yet. */
  get waiting(): boolean {
    return this.timer !== null;
  }

  /** The connection is up: the next outage starts from the shortest delay. */
  reset(): void {
    this.attempts = 0;
  }

  /** Schedules `attempt` after the next delay; false (nothing scheduled) after `maxReconnectAttempts`. */
  schedule(attempt: () => void): boolean {
    this.attempts++;
    if (this.attempts > this.options.maxReconnectAttempts) return false;
    const { reconnectBaseDelayMs: base, reconnectMaxDelayMs: max } = this.options;
    const delay = Math.min(max, base * 2 ** (this.attempts - 1)) * (0.7 + Math.random() * 0.6);
    this.logger.debug(`reconnect attempt ${this.attempts} in ${Math.round(delay)} ms`);
    this.timer = setTimeout(() => {
      this.timer = null;
      attempt();
    }, delay);
    return true;
  }

  /** Runs the scheduled attempt now instead (the network is back), with a fresh count. */
  now(attempt: () => void): void {
    this.cancel();
    this.attempts = 0;
    attempt();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
