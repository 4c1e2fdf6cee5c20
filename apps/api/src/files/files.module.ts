import { Module } from '@nestjs/common';
import { RoomsModule } from '../rooms/rooms.module';
import { FilesService } from './files.service';

@Module({
  imports: [RoomsModule],
  providers: [FilesService],
  exports: [FilesService],
})
export class FilesModule {}
