import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiResponse } from '@nestjs/swagger';
import type { RecordingNotice } from '@confer/signaling-contracts';
import { ModerationService } from '../moderation/moderation.service';
import type { StoredRecording } from '../policies/recording-storage';
import { RecordingLibraryService } from '../recording/recording-library.service';
import { RecordingService } from '../recording/recording.service';
import type { ApiRequest } from './api-key.guard';
import { ApiErrorView } from './dto/history-views.dto';
import { DeletedFilesView, RecordingNoticeView, RecordingStatusView, RecordingsQueryDto, StoredRecordingView } from './dto/recording-views.dto';
import { checkedRoomId } from './rooms-api.controller';
import { SERVER_API_PREFIX, ServerApi } from './server-api.decorator';

/** A room's recording (start, stop, status) and the stored recordings (list, download, delete). */
@ServerApi('recordings')
@Controller(SERVER_API_PREFIX)
export class RecordingsApiController {
  constructor(
    private readonly moderation: ModerationService,
    private readonly recordings: RecordingService,
    private readonly library: RecordingLibraryService,
  ) {}

  @Post('rooms/:roomId/recording/start')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start recording the meeting in progress; everyone in it gets `recordingStateChanged`.' })
  @ApiOkResponse({ type: RecordingNoticeView })
  @ApiResponse({ status: 403, description: "The room's policy forbids recording (`forbidden`).", type: ApiErrorView })
  @ApiResponse({ status: 404, description: 'No meeting in progress.', type: ApiErrorView })
  @ApiResponse({ status: 409, description: 'Already being recorded (`invalid_state`).', type: ApiErrorView })
  @ApiResponse({ status: 503, description: 'Recording unavailable, with the reason (`media_unavailable`).', type: ApiErrorView })
  start(@Param('roomId') roomId: string, @Req() req: ApiRequest): Promise<RecordingNotice> {
    return this.moderation.startRecording({ kind: 'api', key: req.apiKey as string }, checkedRoomId(roomId));
  }

  @Post('rooms/:roomId/recording/stop')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop it (also when the room requires recording); answered at once with `stopping`, the files are stored after the mix.' })
  @ApiOkResponse({ type: RecordingNoticeView })
  @ApiResponse({ status: 404, description: 'No meeting in progress.', type: ApiErrorView })
  @ApiResponse({ status: 409, description: 'Not being recorded (`invalid_state`).', type: ApiErrorView })
  stop(@Param('roomId') roomId: string, @Req() req: ApiRequest): Promise<RecordingNotice> {
    return this.moderation.stopRecording({ kind: 'api', key: req.apiKey as string }, checkedRoomId(roomId));
  }

  @Get('rooms/:roomId/recording')
  @ApiOperation({ summary: "The room's current or latest recording, and whether recording is available (and why not)." })
  @ApiOkResponse({ type: RecordingStatusView })
  status(@Param('roomId') roomId: string): RecordingStatusView {
    const s = this.recordings.status(checkedRoomId(roomId));
    return { state: s.state, availability: s.availability, recording: s.recording as unknown as Record<string, unknown> | null };
  }

  @Get('recordings')
  @ApiOperation({ summary: 'Stored recording files (RECORDING_STORAGE), all or those of one room.' })
  @ApiOkResponse({ type: [StoredRecordingView] })
  list(@Query() query: RecordingsQueryDto): Promise<StoredRecording[]> {
    return this.library.list(query.roomId);
  }

  @Get('recordings/:recordingId/files/:fileName')
  @ApiOperation({ summary: 'Download one stored file (`recording.mp4`, a track, `manifest.json`).' })
  @ApiProduces('video/mp4', 'video/x-matroska', 'application/json', 'application/octet-stream')
  @ApiOkResponse({ description: 'The file.', schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 404, type: ApiErrorView })
  async download(
    @Param('recordingId') recordingId: string,
    @Param('fileName') fileName: string,
    @Res({ passthrough: true }) res: { setHeader(name: string, value: string | number): void },
  ): Promise<StreamableFile> {
    const { file, stream, contentType } = await this.library.read(recordingId, fileName);
    res.setHeader('Content-Disposition', `attachment; filename="${file.fileName}"`);
    return new StreamableFile(stream, { type: contentType, length: file.bytes });
  }

  @Delete('recordings/:recordingId')
  @ApiOperation({ summary: 'Delete every stored file of a recording.' })
  @ApiOkResponse({ type: DeletedFilesView })
  @ApiResponse({ status: 404, type: ApiErrorView })
  @ApiResponse({ status: 409, description: 'Still running: stop it first (`invalid_state`).', type: ApiErrorView })
  async remove(@Param('recordingId') recordingId: string): Promise<DeletedFilesView> {
    return { deleted: await this.library.remove(recordingId) };
  }
}
