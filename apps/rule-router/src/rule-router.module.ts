import { type DynamicModule, Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { RuleRouter, type RuleRouterDeps } from './rule-router.js';

@Injectable()
class RuleRouterLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(RuleRouter) private readonly router: RuleRouter) {}

  onApplicationBootstrap(): Promise<void> {
    return this.router.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.router.stop();
  }
}

/**
 * The rule router inside a Nest application (the all-in-one process): started on bootstrap,
 * stopped (batches finished, offsets committed) on shutdown. Needs `app.enableShutdownHooks()`
 * or an explicit `app.close()`.
 */
@Module({})
export class RuleRouterModule {
  static register(deps: RuleRouterDeps): DynamicModule {
    return {
      module: RuleRouterModule,
      providers: [{ provide: RuleRouter, useFactory: () => new RuleRouter(deps) }, RuleRouterLifecycle],
      exports: [RuleRouter],
    };
  }
}
