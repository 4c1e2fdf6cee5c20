import { IsBoolean, IsInt, IsOptional, IsString, Length, Matches, Min } from 'class-validator';
import type { FileAnswerParams, FileCancelParams, FileChunkParams, FileOfferParams, FileTransferRef } from '@confer/signaling-contracts';

export class FileOfferDto implements FileOfferParams {
  @IsString() @Length(1, 64) to!: string;
  @IsString() @Length(1, 255) name!: string;
  /** The upper bound (MAX_FILE_BYTES) is configuration, checked in FilesService. */
  @IsInt() @Min(0) size!: number;
  @IsString() @Length(0, 255) mimeType!: string;
  @IsString() @Matches(/^[0-9a-f]{64}$/, { message: 'sha256 must be 64 lowercase hex digits' }) sha256!: string;
  @IsOptional() @IsBoolean() binary?: boolean;
}

export class FileTransferRefDto implements FileTransferRef {
  @IsString() @Length(1, 64) transferId!: string;
}

export class FileAnswerDto extends FileTransferRefDto implements FileAnswerParams {
  @IsBoolean() accept!: boolean;
  @IsOptional() @IsBoolean() binary?: boolean;
}

export class FileChunkDto extends FileTransferRefDto implements FileChunkParams {
  @IsInt() @Min(0) seq!: number;
  @IsString() @Matches(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'data must be base64' }) data!: string;
}

export class FileCancelDto extends FileTransferRefDto implements FileCancelParams {
  @IsOptional() @IsString() @Length(0, 200) reason?: string;
}
