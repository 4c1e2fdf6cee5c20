import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import type { PageRequest } from '../../database/paging';

const toInt = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);

/** `?limit=&cursor=` of every list. */
export class PageQueryDto implements PageRequest {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50, description: 'Items per page.' })
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(200) limit = 50;

  @ApiPropertyOptional({ description: '`nextCursor` of the previous page.', pattern: '^\\d{1,18}$' })
  @IsOptional() @IsString() @Matches(/^\d{1,18}$/, { message: 'cursor must be a nextCursor value' }) cursor?: string;
}
