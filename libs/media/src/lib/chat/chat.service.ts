import { DestroyRef, Injectable, inject } from '@angular/core';
import { SignalingError, characterCount, type ChatMessage } from '@confer/signaling-contracts';
import { SignalingClient } from '../signaling/signaling-client';
import { State } from '../util/state';

/**
 * Room chat over the signaling channel. The server broadcasts every message to
 * the whole room, sender included, so `messages` is the room's single history.
 */
@Injectable({ providedIn: 'root' })
export class ChatService {
  private readonly signaling = inject(SignalingClient);
  private readonly messagesCell = new State<readonly ChatMessage[]>([]);

  /** Messages received since the last `clear()`, oldest first. */
  readonly messages = this.messagesCell.signal;
  readonly messages$ = this.messagesCell.changes$;

  constructor() {
    const sub = this.signaling.on('chatMessage').subscribe((message) => {
      if (this.messagesCell.value.some((m) => m.messageId === message.messageId)) return;
      this.messagesCell.update((list) => [...list, message]);
    });
    inject(DestroyRef).onDestroy(() => sub.unsubscribe());
  }

  /**
   * Sends a message to the room. Rejects with `TypeError` for an empty message and
   * `SignalingError('limit_exceeded')` for one longer than the server allows.
   */
  async send(text: string): Promise<void> {
    const trimmed = text.trim();
    if (!trimmed) throw new TypeError('empty message');
    const max = this.signaling.session()?.limits.maxChatLength;
    if (max !== undefined && characterCount(trimmed, max) > max) {
      throw new SignalingError('limit_exceeded', `Messages are limited to ${max} characters.`);
    }
    await this.signaling.request('chatMessage', { text: trimmed });
  }

  /** Forgets the history (e.g. after leaving the room). */
  clear(): void {
    this.messagesCell.set([]);
  }
}
