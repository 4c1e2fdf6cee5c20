import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ClusterModule } from '../cluster/cluster.module';
import { FilesModule } from '../files/files.module';
import { MediaModule } from '../media/media.module';
import { RoomAccessModule } from '../room-access/room-access.module';
import { SessionsService } from './sessions.service';

/** Sessions and room membership; above media, below signaling. */
@Module({
  imports: [AuthModule, ClusterModule, MediaModule, FilesModule, RoomAccessModule],
  providers: [SessionsService],
  exports: [SessionsService, RoomAccessModule, ClusterModule],
})
export class SessionsModule {}
