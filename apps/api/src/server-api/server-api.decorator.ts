import { applyDecorators, UseFilters, UseGuards, UseInterceptors, UsePipes, ValidationPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from './api-key.guard';
import { AuditInterceptor } from './audit.interceptor';
import { ApiErrorView } from './dto/history-views.dto';
import { ServerApiErrorFilter } from './server-api-error.filter';

/** Base path of the server API. */
export const SERVER_API_PREFIX = 'api/v1';

/**
 * What every server API controller has: API key authentication, DTO
 * validation that refuses unknown fields, `{ code, reason }` errors, and
 * changes written to the audit trail.
 */
export function ServerApi(tag: string): ClassDecorator {
  return applyDecorators(
    ApiTags(tag),
    ApiBearerAuth(),
    ApiResponse({ status: 400, description: 'Invalid parameters (`invalid_request`).', type: ApiErrorView }),
    ApiResponse({ status: 401, description: 'Missing, expired or unknown API token (`unauthenticated`).', type: ApiErrorView }),
    ApiResponse({ status: 503, description: 'The server API is off (API_KEYS unset).', type: ApiErrorView }),
    UseFilters(ServerApiErrorFilter),
    UseGuards(ApiKeyGuard),
    UseInterceptors(AuditInterceptor),
    UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true })),
  ) as ClassDecorator;
}
