import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse } from '@nestjs/swagger';
import { SignalingError } from '@confer/signaling-contracts';
import { AuditLogService } from '../history/audit-log.service';
import { MeetingHistoryService } from '../history/meeting-history.service';
import { WebhookDeliveryService } from '../webhooks/webhook-delivery.service';
import { AuditQueryDto, DeliveryQueryDto, MeetingQueryDto } from './dto/history-query.dto';
import { ApiErrorView, AuditPageView, DeliveryPageView, MeetingDetailView, MeetingPageView } from './dto/history-views.dto';
import { SERVER_API_PREFIX, ServerApi } from './server-api.decorator';

/** The audit trail, meeting history and webhook delivery log, newest first, paged. */
@ServerApi('history')
@Controller(SERVER_API_PREFIX)
export class HistoryApiController {
  constructor(
    private readonly audit: AuditLogService,
    private readonly meetings: MeetingHistoryService,
    private readonly deliveries: WebhookDeliveryService,
  ) {}

  @Get('audit')
  @ApiOperation({ summary: 'Audit trail: moderation acts, lobby decisions, server API changes, joins and leaves.' })
  @ApiOkResponse({ type: AuditPageView })
  listAudit(@Query() query: AuditQueryDto): Promise<AuditPageView> {
    return this.audit.list(query);
  }

  @Get('meetings')
  @ApiOperation({ summary: 'Meetings, newest first.' })
  @ApiOkResponse({ type: MeetingPageView })
  listMeetings(@Query() query: MeetingQueryDto): Promise<MeetingPageView> {
    return this.meetings.list(query);
  }

  @Get('meetings/:meetingId')
  @ApiOperation({ summary: 'One meeting with everyone who was in it.' })
  @ApiOkResponse({ type: MeetingDetailView })
  @ApiResponse({ status: 404, type: ApiErrorView })
  async meeting(@Param('meetingId') meetingId: string): Promise<MeetingDetailView> {
    const meeting = /^[\w-]{1,64}$/.test(meetingId) ? await this.meetings.get(meetingId) : null;
    if (!meeting) throw new SignalingError('not_found', `no meeting ${meetingId}`);
    return meeting;
  }

  @Get('webhooks/deliveries')
  @ApiOperation({ summary: 'Webhook delivery log: every attempt, with status and outcome.' })
  @ApiOkResponse({ type: DeliveryPageView })
  listDeliveries(@Query() query: DeliveryQueryDto): Promise<DeliveryPageView> {
    return this.deliveries.list(query);
  }
}
