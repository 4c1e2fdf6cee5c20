import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { MediaSession } from '@confer/media';
import { CallService } from '../shared/call.service';

/** For moderators: who waits in the lobby, to admit or deny one by one or all at once. */
@Component({
  selector: 'cf-lobby-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section aria-labelledby="lobby-title" data-testid="lobby-panel">
      <h2 id="lobby-title">Waiting room ({{ session.lobby().length }})</h2>
      @if (session.lobby().length) {
        <ul aria-labelledby="lobby-title">
          @for (entry of session.lobby(); track entry.peerId) {
            <li data-testid="lobby-entry" [attr.data-peer-id]="entry.peerId">
              <span class="name">{{ entry.displayName }}</span>
              <span class="actions">
                <button type="button" data-testid="lobby-admit" [attr.aria-label]="'Admit ' + entry.displayName" (click)="admit(entry.peerId)">Admit</button>
                <button type="button" data-testid="lobby-deny" [attr.aria-label]="'Deny ' + entry.displayName" (click)="deny(entry.peerId)">Deny</button>
              </span>
            </li>
          }
        </ul>
        @if (session.lobby().length > 1) {
          <button type="button" data-testid="lobby-admit-all" (click)="admitAll()">Admit all</button>
        }
      } @else {
        <p class="empty">Nobody is waiting.</p>
      }
    </section>
  `,
  styles: `
    section { display: grid; gap: 0.4rem; }
    h2 { font-size: 1rem; margin: 0; }
    ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.25rem; }
    li { display: flex; justify-content: space-between; align-items: center; gap: 0.5rem; padding: 0.3rem 0.5rem; border-radius: 6px; background: var(--panel-2); }
    .actions { display: inline-flex; gap: 0.3rem; }
    .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .empty { margin: 0; color: var(--muted); font-size: 0.9rem; }
  `,
})
export class LobbyPanelComponent {
  protected readonly session = inject(MediaSession);
  private readonly call = inject(CallService);

  protected admit(peerId: string): Promise<void> {
    return this.call.attempt(() => this.session.admit(peerId));
  }

  protected deny(peerId: string): Promise<void> {
    return this.call.attempt(() => this.session.deny(peerId));
  }

  protected admitAll(): Promise<void> {
    return this.call.attempt(() => this.session.admitAll());
  }
}
