import { Module } from '@nestjs/common';
import { AuthService } from './auth.service';
import { DevTokenController } from './dev-token.controller';

@Module({
  controllers: [DevTokenController],
  providers: [AuthService],
  exports: [AuthService],
})
export class AuthModule {}
