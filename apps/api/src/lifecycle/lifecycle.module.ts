import { Global, Module } from '@nestjs/common';
import { ShutdownState } from './shutdown-state';

/** The process-wide draining flag, injectable everywhere. */
@Global()
@Module({ providers: [ShutdownState], exports: [ShutdownState] })
export class LifecycleModule {}
