import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DATABASE, openDatabase, type DatabaseConnection } from './database';
import { DatabaseWriters } from './database-writers';
import { describeTarget } from './database-url';

/**
 * The meeting history and audit database (PostgreSQL by DATABASE_URL, else the
 * embedded PGlite), opened and migrated before the app starts listening.
 */
@Global()
@Module({
  providers: [
    {
      provide: DATABASE,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig): Promise<DatabaseConnection> => {
        const connection = await openDatabase(config.portal.database);
        new Logger('Database').log(`database ready | ${describeTarget(connection.target)}`);
        return connection;
      },
    },
    DatabaseWriters,
  ],
  exports: [DATABASE, DatabaseWriters],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly connection: DatabaseConnection,
    private readonly writers: DatabaseWriters,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    // The history's and audit's queued writes first (the last leaves and ends of the meetings).
    await this.writers.drainAll(3000);
    await this.connection.close().catch(() => undefined);
  }
}
