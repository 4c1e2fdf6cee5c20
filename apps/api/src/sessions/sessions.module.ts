import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { FilesModule } from '../files/files.module';
import { MediaModule } from '../media/media.module';
import { SessionsService } from './sessions.service';

/** Sessions and room membership; above media, below signaling. */
@Module({
  imports: [AuthModule, MediaModule, FilesModule],
  providers: [SessionsService],
  exports: [SessionsService],
})
export class SessionsModule {}
