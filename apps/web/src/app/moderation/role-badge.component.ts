import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { Role } from '@confer/signaling-contracts';

const LABELS: Partial<Record<Role, string>> = { host: 'Host', moderator: 'Moderator', viewer: 'Viewer' };

/** "Host", "Moderator" or "Viewer" next to a name; nothing for participants (the usual case). */
@Component({
  selector: 'cf-role-badge',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (label(); as text) {
      <span class="badge" data-testid="role-badge" [attr.data-role]="role()">{{ text }}</span>
    }
  `,
  styles: `
    :host { display: contents; }
    .badge { font-size: 0.72rem; padding: 0.05rem 0.4rem; border-radius: 999px; background: #2d3f5c; color: #dbe8ff; white-space: nowrap; }
  `,
})
export class RoleBadgeComponent {
  readonly role = input<Role | null | undefined>(null);
  protected readonly label = computed(() => {
    const role = this.role();
    return role ? (LABELS[role] ?? null) : null;
  });
}
