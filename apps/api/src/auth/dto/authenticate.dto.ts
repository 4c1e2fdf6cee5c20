import { IsInt, IsOptional, IsString, Length, MinLength } from 'class-validator';
import type { AuthenticateParams } from '@confer/signaling-contracts';

export class AuthenticateDto implements AuthenticateParams {
  @IsString() @MinLength(1) token!: string;
  @IsInt() protocolVersion!: number;
  @IsOptional() @IsString() @Length(1, 128) resumeSessionId?: string;
}
