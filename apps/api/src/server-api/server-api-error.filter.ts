import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { SignalingError, type ErrorCode } from '@confer/signaling-contracts';

/** HTTP status of each error code on the server API. */
const STATUS: Record<ErrorCode, number> = {
  unauthenticated: 401,
  forbidden: 403,
  invalid_request: 400,
  unknown_method: 404,
  not_found: 404,
  invalid_state: 409,
  conflict: 409,
  limit_exceeded: 429,
  media_unavailable: 503,
  unsupported_version: 400,
  timeout: 504,
  redirect: 421,
  cluster_unavailable: 503,
  internal: 500,
};

const FROM_STATUS: Record<number, ErrorCode> = { 400: 'invalid_request', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'limit_exceeded', 429: 'limit_exceeded' };

/** The body of every server API error: the same `{ code, reason }` as on the signaling wire, plus the status. */
export interface ApiErrorBody {
  statusCode: number;
  code: ErrorCode;
  reason: string;
  details?: Record<string, unknown>;
}

/** Turns anything a server API handler throws into {@link ApiErrorBody}; unexpected errors are logged, never shown. */
@Catch()
export class ServerApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ServerApi');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<{ status(code: number): { json(body: unknown): void } }>();
    const body = toApiError(error);
    if (body.code === 'internal') this.logger.error(`server API call failed | ${(error as Error)?.stack ?? String(error)}`);
    response.status(body.statusCode).json(body);
  }
}

/**
 * The same answer for what fails before a server API route runs (a body that
 * is not JSON, too large): registered app-wide, it formats `/api/v1/…` requests
 * and leaves every other path to Nest's default.
 */
@Catch()
export class ServerApiPathFilter extends BaseExceptionFilter {
  private readonly api = new ServerApiErrorFilter();

  override catch(error: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<{ url?: string } | undefined>();
    if (host.getType() === 'http' && request?.url?.startsWith('/api/v1/')) return this.api.catch(error, host);
    super.catch(error, host);
  }
}

export function toApiError(error: unknown): ApiErrorBody {
  if (error instanceof SignalingError) {
    const { status, ...details } = error.details ?? {};
    const statusCode = typeof status === 'number' ? status : STATUS[error.code];
    return Object.keys(details).length ? { statusCode, code: error.code, reason: error.message, details } : { statusCode, code: error.code, reason: error.message };
  }
  if (error instanceof HttpException) {
    const statusCode = error.getStatus();
    const res = error.getResponse() as string | { message?: string | string[] };
    const message = typeof res === 'string' ? res : Array.isArray(res.message) ? res.message.join('; ') : res.message ?? error.message;
    return { statusCode, code: FROM_STATUS[statusCode] ?? (statusCode >= 500 ? 'internal' : 'invalid_request'), reason: message };
  }
  return { statusCode: 500, code: 'internal', reason: 'internal error' };
}
