import { ChangeDetectionStrategy, Component, DestroyRef, computed, effect, inject, signal } from '@angular/core';
import { FileTransferService, MediaSession, formatBytes, type FileTransfer } from '@confer/media';
import { CallService, describeError } from '../shared/call.service';

/** Send a file to one participant; incoming offers with accept/decline; progress bars. */
@Component({
  selector: 'cf-file-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2 id="files-title">Files</h2>
    <form class="send" (submit)="send($event)" aria-labelledby="files-title">
      <select aria-label="Recipient" data-testid="file-recipient" (change)="recipient.set($any($event.target).value)">
        <option value="" [selected]="!recipient()">Send to…</option>
        @for (peer of session.remotePeers(); track peer.id) {
          <option [value]="peer.id" [selected]="peer.id === recipient()">{{ peer.displayName }}</option>
        }
      </select>
      <input type="file" aria-label="File to send" data-testid="file-input" (change)="pick($any($event.target).files)" />
      <button type="submit" data-testid="file-send" aria-label="Send file" [disabled]="!canSend()">Send</button>
    </form>
    <ul class="transfers" aria-live="polite">
      @for (t of files.transfers(); track t.transferId) {
        <li data-testid="transfer" [attr.data-direction]="t.direction" [attr.data-status]="t.status">
          <div class="line">
            <span class="name">{{ t.direction === 'incoming' ? '⬇' : '⬆' }} {{ t.name }}</span>
            <span class="size">{{ size(t.size) }}</span>
          </div>
          <div class="line small">
            <span>{{ t.direction === 'incoming' ? 'from' : 'to' }} {{ nameOf(t.peerId) }} · {{ statusText(t) }}</span>
          </div>
          @if (t.status === 'transferring' || t.status === 'verifying') {
            <progress [value]="t.bytes" [max]="t.size || 1" [attr.aria-label]="'Progress of ' + t.name"></progress>
            <span class="small">{{ size(t.bytes) }} of {{ size(t.size) }} · {{ size(t.rate) }}/s</span>
          }
          @if (t.error; as error) {
            <p class="error" role="alert" data-testid="transfer-error">{{ error.message }}</p>
          }
          <div class="actions">
            @if (t.direction === 'incoming' && t.status === 'offered') {
              <button type="button" class="primary" data-testid="file-accept" [attr.aria-label]="'Accept ' + t.name" (click)="files.accept(t.transferId)">Accept</button>
              <button type="button" data-testid="file-decline" [attr.aria-label]="'Decline ' + t.name" (click)="files.decline(t.transferId)">Decline</button>
            }
            @if (t.status === 'offered' || t.status === 'transferring') {
              <button type="button" data-testid="file-cancel" [attr.aria-label]="'Cancel ' + t.name" (click)="files.cancel(t.transferId)">Cancel</button>
            }
            @if (t.status === 'completed' && t.direction === 'incoming' && urls().get(t.transferId); as url) {
              <a [href]="url" [download]="t.name" data-testid="file-download" [attr.aria-label]="'Save ' + t.name">Save</a>
            }
          </div>
        </li>
      }
    </ul>
  `,
  styles: `
    h2 { font-size: 1rem; margin: 0 0 0.4rem; }
    .send { display: grid; grid-template-columns: 1fr; gap: 0.4rem; }
    .transfers { list-style: none; padding: 0; margin: 0.5rem 0 0; display: grid; gap: 0.4rem; }
    li { background: var(--panel-2); border-radius: 8px; padding: 0.45rem 0.55rem; display: grid; gap: 0.25rem; }
    .line { display: flex; justify-content: space-between; gap: 0.5rem; }
    .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-weight: 600; }
    .small, .size { font-size: 0.8rem; color: var(--muted); }
    progress { width: 100%; }
    .actions { display: flex; gap: 0.4rem; flex-wrap: wrap; }
    .actions:empty { display: none; }
  `,
})
export class FilePanelComponent {
  protected readonly files = inject(FileTransferService);
  protected readonly session = inject(MediaSession);
  private readonly call = inject(CallService);
  protected readonly recipient = signal('');
  protected readonly file = signal<File | null>(null);
  protected readonly canSend = computed(() => Boolean(this.recipient() && this.file() && this.session.remotePeers().some((p) => p.id === this.recipient())));
  /** Object URLs of completed incoming files, revoked when the panel goes. */
  protected readonly urls = signal<ReadonlyMap<string, string>>(new Map());

  constructor() {
    effect(() => {
      const completed = this.files.transfers().filter((t) => t.status === 'completed' && t.blob);
      const current = this.urls();
      const missing = completed.filter((t) => !current.has(t.transferId));
      if (!missing.length) return;
      const next = new Map(current);
      for (const t of missing) next.set(t.transferId, URL.createObjectURL(t.blob as Blob));
      this.urls.set(next);
    });
    inject(DestroyRef).onDestroy(() => {
      for (const url of this.urls().values()) URL.revokeObjectURL(url);
    });
  }

  protected pick(list: FileList | null): void {
    this.file.set(list?.[0] ?? null);
  }

  protected async send(event: Event): Promise<void> {
    event.preventDefault();
    const file = this.file();
    const to = this.recipient();
    if (!file || !to) return;
    try {
      await this.files.send(to, file, file.name);
    } catch (error) {
      this.call.notify('error', describeError(error));
    }
  }

  protected nameOf(peerId: string): string {
    return this.session.remotePeers().find((p) => p.id === peerId)?.displayName ?? 'someone who left';
  }

  protected size(bytes: number): string {
    return formatBytes(bytes);
  }

  protected statusText(t: FileTransfer): string {
    switch (t.status) {
      case 'offered':
        return t.direction === 'incoming' ? 'wants to send you this file' : 'waiting for an answer';
      case 'transferring':
        return 'transferring';
      case 'verifying':
        return 'verifying checksum';
      case 'completed':
        return t.direction === 'incoming' ? 'received, checksum verified' : 'delivered';
      case 'declined':
        return 'declined';
      case 'cancelled':
        return 'cancelled';
      case 'failed':
        return 'failed';
    }
  }
}
