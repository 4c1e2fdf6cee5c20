import { IsString, MinLength } from 'class-validator';
import type { ChatMessageParams } from '@confer/signaling-contracts';

export class ChatMessageDto implements ChatMessageParams {
  /** The upper bound (MAX_CHAT_LENGTH) is configuration, checked in ChatService. */
  @IsString() @MinLength(1) text!: string;
}
