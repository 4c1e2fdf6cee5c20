import { Body, Controller, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse } from '@nestjs/swagger';
import { SignalingError } from '@confer/signaling-contracts';
import { LobbyDecisionDto } from '../moderation/dto/moderation.dto';
import type { Actor } from '../moderation/moderation-actor';
import { ModerationService } from '../moderation/moderation.service';
import type { ApiRequest } from './api-key.guard';
import { ApiErrorView } from './dto/history-views.dto';
import { MuteTrackDto, ReasonDto, UpdateParticipantDto } from './dto/room-api.dto';
import { AffectedView, ParticipantView } from './dto/room-views.dto';
import { RoomDirectoryService } from './room-directory.service';
import { checkedRoomId } from './rooms-api.controller';
import { SERVER_API_PREFIX, ServerApi } from './server-api.decorator';

const PEER_ID = /^[\w.@-]{1,64}$/;

/** Participants of a room: list, mute a track, change permissions or role, remove; the lobby. */
@ServerApi('participants')
@Controller(`${SERVER_API_PREFIX}/rooms/:roomId`)
@ApiResponse({ status: 404, description: 'No such room, meeting or participant.', type: ApiErrorView })
export class ParticipantsApiController {
  constructor(
    private readonly directory: RoomDirectoryService,
    private readonly moderation: ModerationService,
  ) {}

  @Get('participants')
  @ApiOperation({ summary: 'Everyone joined or waiting in the lobby, with role, permissions and tracks.' })
  @ApiOkResponse({ type: [ParticipantView] })
  list(@Param('roomId') roomId: string): ParticipantView[] {
    return this.directory.participants(checkedRoomId(roomId));
  }

  @Post('participants/:peerId/mute')
  @HttpCode(200)
  @ApiOperation({ summary: "Hard-mute one of a participant's sources (it cannot re-enable it until given the permission back)." })
  @ApiOkResponse({ type: AffectedView })
  async mute(@Param('roomId') roomId: string, @Param('peerId') peerId: string, @Body() body: MuteTrackDto, @Req() req: ApiRequest): Promise<AffectedView> {
    return { affected: await this.moderation.mute(api(req), checkedRoomId(roomId), checkedPeerId(peerId), body.source) };
  }

  @Patch('participants/:peerId')
  @ApiOperation({ summary: "Change a participant's permissions and/or role, at once." })
  @ApiOkResponse({ type: ParticipantView })
  async update(@Param('roomId') roomId: string, @Param('peerId') peerId: string, @Body() body: UpdateParticipantDto, @Req() req: ApiRequest): Promise<ParticipantView> {
    checkedRoomId(roomId);
    checkedPeerId(peerId);
    if (body.role) await this.moderation.setRole(api(req), roomId, peerId, body.role);
    if (body.permissions) await this.moderation.setPermissions(api(req), roomId, peerId, body.permissions);
    const view = this.directory.participants(roomId).find((p) => p.peerId === peerId);
    if (!view) throw new SignalingError('not_found', `peer ${peerId} is not in room ${roomId}`);
    return view;
  }

  @Post('participants/:peerId/remove')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove a participant (it gets `removed` with the reason; the same identity cannot re-enter for REMOVAL_BAN_S).' })
  @ApiOkResponse({ type: AffectedView })
  async remove(@Param('roomId') roomId: string, @Param('peerId') peerId: string, @Body() body: ReasonDto, @Req() req: ApiRequest): Promise<AffectedView> {
    return { affected: await this.moderation.remove(api(req), checkedRoomId(roomId), checkedPeerId(peerId), body.reason) };
  }

  @Post('lobby/admit')
  @HttpCode(200)
  @ApiOperation({ summary: 'Admit one waiting peer (`peerId`) or everyone waiting (`all: true`).' })
  @ApiOkResponse({ type: AffectedView })
  async admit(@Param('roomId') roomId: string, @Body() body: LobbyDecisionDto, @Req() req: ApiRequest): Promise<AffectedView> {
    return { affected: await this.moderation.lobbyDecide(api(req), checkedRoomId(roomId), true, body) };
  }

  @Post('lobby/deny')
  @HttpCode(200)
  @ApiOperation({ summary: 'Deny one waiting peer (`peerId`) or everyone waiting (`all: true`), with an optional reason.' })
  @ApiOkResponse({ type: AffectedView })
  async deny(@Param('roomId') roomId: string, @Body() body: LobbyDecisionDto, @Req() req: ApiRequest): Promise<AffectedView> {
    return { affected: await this.moderation.lobbyDecide(api(req), checkedRoomId(roomId), false, body) };
  }
}

function api(req: ApiRequest): Actor {
  return { kind: 'api', key: req.apiKey as string };
}

function checkedPeerId(peerId: string): string {
  if (!PEER_ID.test(peerId)) throw new SignalingError('invalid_request', 'invalid peerId');
  return peerId;
}
