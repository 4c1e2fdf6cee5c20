import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { FilesModule } from '../files/files.module';
import { MediaModule } from '../media/media.module';
import { RoomsModule } from '../rooms/rooms.module';
import { PeersService } from './peers.service';

@Module({
  imports: [AuthModule, RoomsModule, MediaModule, FilesModule],
  providers: [PeersService],
  exports: [PeersService],
})
export class PeersModule {}
