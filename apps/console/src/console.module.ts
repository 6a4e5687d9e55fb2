import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { AccessKeysModule } from './access-keys/access-keys.module.js';
import { AuthGuard } from './auth/auth.guard.js';
import { ClientsModule } from './clients/clients.module.js';
import { JsonBodyInterceptor } from './common/json-body.interceptor.js';
import { ProblemFilter } from './common/problem.filter.js';
import { createValidationPipe } from './common/validation.js';
import { ConsoleCoreModule } from './console-core.module.js';
import type { ConsoleOptions } from './console.options.js';
import { DeviceCredentialsModule } from './device-credentials/device-credentials.module.js';
import { GroupsModule } from './groups/groups.module.js';
import { HealthModule } from './health/health.module.js';
import { InstancesModule } from './instances/instances.module.js';
import { MessagesModule } from './messages/messages.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { NodesModule } from './nodes/nodes.module.js';
import { OverviewModule } from './overview/overview.module.js';
import { RulesModule } from './rules/rules.module.js';
import { StatsModule } from './stats/stats.module.js';
import { TokensModule } from './tokens/tokens.module.js';
import { TopicsModule } from './topics/topics.module.js';
import { WebConsoleModule } from './web-console/web-console.module.js';

export const FEATURE_MODULES = [
  InstancesModule, TopicsModule, GroupsModule, AccessKeysModule, TokensModule, DeviceCredentialsModule,
  RulesModule, ClientsModule, MessagesModule, StatsModule, NodesModule, HealthModule, MetricsModule,
  OverviewModule, WebConsoleModule,
];

/** The console REST API; pipes, filter, auth guard and body reader are global so every route gets them. */
@Module({})
export class ConsoleModule {
  static register(options: ConsoleOptions): DynamicModule {
    return {
      module: ConsoleModule,
      imports: [ConsoleCoreModule.register(options), ...FEATURE_MODULES],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_GUARD, useClass: AuthGuard },
        // Bodies are read after the guard: see json-body.interceptor.ts.
        { provide: APP_INTERCEPTOR, useClass: JsonBodyInterceptor },
      ],
    };
  }
}
