import { Module } from '@nestjs/common';
import { ConferModule } from '../confer.module';

/** The standalone server (main.ts): Confer with its defaults, configured from the environment. */
@Module({ imports: [ConferModule.forRoot()] })
export class AppModule {}
