import { Body, Controller, HttpCode, Inject, NotFoundException, Post, ValidationPipe } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { AuthService } from './auth.service';
import { DevTokenDto } from './dto/dev-token.dto';

/** Issues tokens for local development. Answers 404 unless DEV_TOKENS is on. */
@Controller('api/dev')
export class DevTokenController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
  ) {}

  @Post('token')
  @HttpCode(200)
  async token(@Body(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true })) body: DevTokenDto): Promise<{ token: string }> {
    if (!this.config.auth.devTokens) throw new NotFoundException();
    return { token: await this.auth.issueDevToken(body.displayName, body.roomId, body.role) };
  }
}
