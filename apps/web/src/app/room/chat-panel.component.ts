import { ChangeDetectionStrategy, Component, ElementRef, effect, inject, signal, viewChild } from '@angular/core';
import { ChatService, MediaSession } from '@confer/media';
import { CallService, describeError } from '../shared/call.service';

/** Room chat: history and a message box (Enter sends). */
@Component({
  selector: 'cf-chat-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2 id="chat-title">Chat</h2>
    <ol #log class="log" aria-labelledby="chat-title" aria-live="polite" data-testid="chat-log">
      @for (m of chat.messages(); track m.messageId) {
        <li data-testid="chat-message" [class.mine]="m.peerId === session.peerId()">
          <span class="meta">{{ m.displayName }} · {{ time(m.timestamp) }}</span>
          <span class="text">{{ m.text }}</span>
        </li>
      } @empty {
        <li class="empty">No messages yet.</li>
      }
    </ol>
    <form (submit)="send($event)" class="compose">
      <input
        aria-label="Message"
        data-testid="chat-input"
        placeholder="Write a message"
        maxlength="2000"
        [value]="draft()"
        (input)="draft.set($any($event.target).value)"
      />
      <button type="submit" data-testid="chat-send" aria-label="Send message" [disabled]="!draft().trim()">Send</button>
    </form>
  `,
  styles: `
    :host { display: grid; grid-template-rows: auto 1fr auto; gap: 0.4rem; min-height: 12rem; }
    h2 { font-size: 1rem; margin: 0; }
    .log { list-style: none; margin: 0; padding: 0; overflow-y: auto; max-height: 18rem; display: grid; gap: 0.35rem; align-content: start; }
    li { background: var(--panel-2); padding: 0.35rem 0.5rem; border-radius: 8px; display: grid; }
    li.mine { background: color-mix(in srgb, var(--accent) 22%, var(--panel-2)); }
    li.empty { background: none; color: var(--muted); }
    .meta { font-size: 0.75rem; color: var(--muted); }
    .text { white-space: pre-wrap; overflow-wrap: anywhere; }
    .compose { display: flex; gap: 0.4rem; }
    .compose input { flex: 1; min-width: 0; }
  `,
})
export class ChatPanelComponent {
  protected readonly chat = inject(ChatService);
  protected readonly session = inject(MediaSession);
  private readonly call = inject(CallService);
  private readonly log = viewChild.required<ElementRef<HTMLElement>>('log');
  protected readonly draft = signal('');

  constructor() {
    // Keep the newest message in view.
    effect(() => {
      this.chat.messages();
      const el = this.log().nativeElement;
      queueMicrotask(() => (el.scrollTop = el.scrollHeight));
    });
  }

  protected async send(event: Event): Promise<void> {
    event.preventDefault();
    const text = this.draft();
    if (!text.trim()) return;
    this.draft.set('');
    try {
      await this.chat.send(text);
    } catch (error) {
      this.draft.set(text);
      this.call.notify('error', describeError(error));
    }
  }

  protected time(timestamp: number): string {
    return new Date(timestamp).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
}
