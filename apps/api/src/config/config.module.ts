import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_CONFIG, loadConfig } from './app-config';

/**
 * Provides the validated {@link AppConfig} under {@link APP_CONFIG}: from the
 * environment by default, or from the provider `ConferModule.forRoot()` /
 * `forRootAsync()` gives. Tests override the provider.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(provider: Provider = { provide: APP_CONFIG, useFactory: () => loadConfig() }, imports: DynamicModule['imports'] = []): DynamicModule {
    return { module: ConfigModule, imports, providers: [provider], exports: [APP_CONFIG] };
  }
}
