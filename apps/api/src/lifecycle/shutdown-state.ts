import { Injectable } from '@nestjs/common';
import { SignalingError } from '@confer/signaling-contracts';

/**
 * Whether the server is draining before it exits. Shared by the services that
 * refuse new work while draining and by the readiness check.
 */
@Injectable()
export class ShutdownState {
  private drainingSince: number | null = null;

  get draining(): boolean {
    return this.drainingSince !== null;
  }

  /** Marks the start of the drain (idempotent); returns false when it had already started. */
  startDraining(): boolean {
    if (this.drainingSince !== null) return false;
    this.drainingSince = Date.now();
    return true;
  }

  /**
   * Throws `invalid_state` with `details.reason = 'draining'` while draining. The
   * client SDK treats it as transient and retries (on another instance, behind a
   * load balancer that has seen readiness go false).
   */
  assertAccepting(what: string): void {
    if (this.drainingSince !== null) throw new SignalingError('invalid_state', `server draining: ${what} refused; try again shortly`, { reason: 'draining' });
  }
}
