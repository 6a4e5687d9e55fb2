import { type DynamicModule, Global, Inject, Injectable, Module, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { parseMasterKey, SecretBox } from '#auth';
import { createLogger } from '#config';
import { CONSOLE_REPOSITORIES, type DataSource } from '#domain/persistence';
import type { ConsoleOptions } from './console.options.js';
import { ADMIN_TOKEN, CONSOLE_CONFIG, CONSOLE_LOGGER, DATA_SOURCE, READINESS_CHECKS } from './console.tokens.js';
import { ConsoleMessaging } from './messaging/console-messaging.js';
import { ControlPublisher } from './messaging/control.publisher.js';

const SHUTDOWN = Symbol('CONSOLE_SHUTDOWN');

/** Runs the caller's cleanup (data source, messaging) when Nest shuts the app down. */
@Injectable()
class ShutdownHook implements OnApplicationShutdown {
  constructor(@Inject(SHUTDOWN) private readonly run: (() => Promise<void>) | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.run?.();
  }
}

/** Shared, process-wide values and the repositories, visible to every feature module. */
@Global()
@Module({})
export class ConsoleCoreModule {
  static register(options: ConsoleOptions): DynamicModule {
    const adminToken = options.adminToken ?? options.config.adminToken;
    if (!adminToken) throw new Error('console: an admin token is required (FLEETMQ_ADMIN_TOKEN)');
    const masterKey = options.masterKey ?? (options.config.masterKey ? parseMasterKey(options.config.masterKey) : undefined);
    if (!masterKey) throw new Error('console: a master key is required (FLEETMQ_MASTER_KEY)');
    const logger = options.logger ?? createLogger(options.config.logLevel, { role: 'console' });
    const providers: Provider[] = [
      { provide: CONSOLE_CONFIG, useValue: options.config },
      { provide: CONSOLE_LOGGER, useValue: logger },
      { provide: ADMIN_TOKEN, useValue: adminToken },
      { provide: DATA_SOURCE, useValue: options.dataSource },
      { provide: SecretBox, useValue: new SecretBox(masterKey) },
      { provide: ConsoleMessaging, useValue: options.messaging },
      { provide: READINESS_CHECKS, useValue: options.readinessChecks ?? [] },
      ControlPublisher,
      { provide: SHUTDOWN, useValue: options.onShutdown ?? null },
      ShutdownHook,
      ...CONSOLE_REPOSITORIES.map(({ token, create }): Provider => ({
        provide: token,
        useFactory: (ds: DataSource) => create(ds),
        inject: [DATA_SOURCE],
      })),
    ];
    return {
      module: ConsoleCoreModule,
      providers,
      exports: providers.map((p) => (typeof p === 'function' ? p : p.provide)),
    };
  }
}
