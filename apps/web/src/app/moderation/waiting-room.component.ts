import { ChangeDetectionStrategy, Component, inject, output } from '@angular/core';
import { CallService } from '../shared/call.service';

/**
 * Shown while this peer waits in the room's lobby: no participants and no media
 * until a host lets it in (the join then completes on its own), and a way out.
 */
@Component({
  selector: 'cf-waiting-room',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <main class="waiting" data-testid="waiting-room" aria-labelledby="waiting-title">
      <section class="card">
        <h1 id="waiting-title">Waiting for a host to let you in</h1>
        <p role="status" data-testid="waiting-status">
          You are in the waiting room of <strong>{{ call.roomId() }}</strong> as <strong>{{ call.displayName() }}</strong>. The meeting opens here as soon as a host
          or moderator admits you.
        </p>
        <button type="button" class="danger" data-testid="waiting-leave" (click)="leave.emit()">Leave</button>
      </section>
    </main>
  `,
  styles: `
    .waiting { min-height: 100dvh; display: grid; place-items: center; padding: 1rem; box-sizing: border-box; }
    .card { max-width: 30rem; display: grid; gap: 1rem; justify-items: start; background: var(--panel); border: 1px solid var(--border); border-radius: 12px; padding: 1.5rem; }
    h1 { font-size: 1.3rem; margin: 0; }
    p { margin: 0; color: var(--muted); }
  `,
})
export class WaitingRoomComponent {
  protected readonly call = inject(CallService);
  readonly leave = output<void>();
}
