import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import { AuditLogService } from '../history/audit-log.service';
import type { ApiRequest } from './api-key.guard';
import { toApiError } from './server-api-error.filter';

interface RoutedRequest extends ApiRequest {
  method: string;
  route?: { path?: string };
  params?: Record<string, string>;
}

/** Every authenticated server API call goes into the audit trail: key, route, target, outcome. */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly audit: AuditLogService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<RoutedRequest>();
    // Reads are not acts: only changes are audited.
    if (request.method === 'GET') return next.handle();
    const entry = {
      actor: { kind: 'api' as const, id: request.apiKey ?? 'unknown' },
      action: `api.${request.method} ${request.route?.path ?? '?'}`,
      roomId: request.params?.['roomId'] ?? null,
      target: request.params?.['peerId'] ?? request.params?.['recordingId'] ?? request.params?.['roomId'] ?? null,
    };
    return next.handle().pipe(
      tap({
        next: () => void this.audit.record({ ...entry, outcome: 'ok' }),
        error: (error: unknown) => void this.audit.record({ ...entry, outcome: toApiError(error).code }),
      }),
    );
  }
}
