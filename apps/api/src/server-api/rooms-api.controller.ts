import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiResponse } from '@nestjs/swagger';
import { SignalingError } from '@confer/signaling-contracts';
import { ModerationService } from '../moderation/moderation.service';
import { RoomSettingsService } from '../room-settings/room-settings.service';
import { ROOM_ID_PATTERN } from '../rooms/dto/room.dto';
import type { ApiRequest } from './api-key.guard';
import { ApiErrorView } from './dto/history-views.dto';
import { CreateRoomDto, ReasonDto, RoomSettingsPatchDto, SendMessageDto } from './dto/room-api.dto';
import { AffectedView, RoomView, SentMessageView } from './dto/room-views.dto';
import { RoomDirectoryService } from './room-directory.service';
import { SERVER_API_PREFIX, ServerApi } from './server-api.decorator';

/** Rooms: create with a policy, list, read, change, end, delete; messages into a room. */
@ServerApi('rooms')
@Controller(`${SERVER_API_PREFIX}/rooms`)
export class RoomsApiController {
  constructor(
    private readonly directory: RoomDirectoryService,
    private readonly settings: RoomSettingsService,
    private readonly moderation: ModerationService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a room with its policy (lobby, lock, capacity, participant permissions). Anyone whose token allows the room may then join it.' })
  @ApiCreatedResponse({ type: RoomView })
  @ApiResponse({ status: 409, description: 'The room was already created (`conflict`).', type: ApiErrorView })
  async create(@Body() body: CreateRoomDto, @Req() req: ApiRequest): Promise<RoomView> {
    await this.settings.create(body.roomId, body.settings ?? {}, `api:${req.apiKey}`);
    return this.directory.get(body.roomId);
  }

  @Get()
  @ApiOperation({ summary: 'Rooms created through this API and rooms with a meeting in progress.' })
  @ApiOkResponse({ type: [RoomView] })
  list(): RoomView[] {
    return this.directory.list();
  }

  @Get(':roomId')
  @ApiOkResponse({ type: RoomView })
  @ApiResponse({ status: 404, type: ApiErrorView })
  get(@Param('roomId') roomId: string): RoomView {
    return this.directory.get(checkedRoomId(roomId));
  }

  @Patch(':roomId')
  @ApiOperation({ summary: "Change a room's settings; takes effect at once for everyone in it." })
  @ApiOkResponse({ type: RoomView })
  @ApiResponse({ status: 404, type: ApiErrorView })
  async update(@Param('roomId') roomId: string, @Body() body: RoomSettingsPatchDto, @Req() req: ApiRequest): Promise<RoomView> {
    this.directory.get(checkedRoomId(roomId));
    await this.moderation.updateSettings({ kind: 'api', key: req.apiKey as string }, roomId, body);
    return this.directory.get(roomId);
  }

  @Post(':roomId/end')
  @HttpCode(200)
  @ApiOperation({ summary: 'End the meeting in progress: everyone gets `meetingEnded` and is out of the room.' })
  @ApiOkResponse({ type: AffectedView })
  @ApiResponse({ status: 404, description: 'No meeting in progress.', type: ApiErrorView })
  async end(@Param('roomId') roomId: string, @Body() body: ReasonDto, @Req() req: ApiRequest): Promise<AffectedView> {
    return { affected: await this.moderation.endMeeting({ kind: 'api', key: req.apiKey as string }, checkedRoomId(roomId), body.reason) };
  }

  @Delete(':roomId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a room created through this API (its meeting, if any, is ended first).' })
  @ApiNoContentResponse()
  @ApiResponse({ status: 404, type: ApiErrorView })
  async remove(@Param('roomId') roomId: string, @Req() req: ApiRequest): Promise<void> {
    const view = this.directory.get(checkedRoomId(roomId));
    if (view.live) await this.moderation.endMeeting({ kind: 'api', key: req.apiKey as string }, roomId, 'the room was deleted');
    if (!(await this.settings.remove(roomId)) && !view.live) throw new SignalingError('not_found', `no room ${roomId}`);
  }

  @Post(':roomId/messages')
  @ApiOperation({ summary: 'Send a chat message into the room (shown from `fromName`, peerId `server`).' })
  @ApiCreatedResponse({ type: SentMessageView })
  @ApiResponse({ status: 404, description: 'No meeting in progress.', type: ApiErrorView })
  sendMessage(@Param('roomId') roomId: string, @Body() body: SendMessageDto, @Req() req: ApiRequest): Promise<SentMessageView> {
    return this.moderation.sendMessage({ kind: 'api', key: req.apiKey as string }, checkedRoomId(roomId), body.text, body.fromName ?? 'Portal');
  }
}

/** Path room ids follow the same rule as everywhere else. */
export function checkedRoomId(roomId: string): string {
  if (!ROOM_ID_PATTERN.test(roomId)) throw new SignalingError('invalid_request', 'roomId must be 1-64 letters, digits, - or _');
  return roomId;
}
