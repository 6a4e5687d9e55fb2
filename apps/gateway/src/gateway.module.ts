import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Gateway, type GatewayOptions } from './gateway.js';

export const GATEWAY_OPTIONS = Symbol('fleetmq.gateway.options');

export interface GatewayModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: Array<string | symbol | (abstract new (...args: never[]) => unknown)>;
  useFactory: (...args: never[]) => GatewayOptions | Promise<GatewayOptions>;
}

/** Starts the listeners when the application boots and stops them (wills, drain) on shutdown. */
@Injectable()
export class GatewayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(Gateway) private readonly gateway: Gateway) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.gateway.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.gateway.stop();
  }
}

/**
 * The MQTT gateway as a NestJS module (all-in-one process); `createGateway` is the same
 * thing without Nest. Inject `Gateway` (it implements GatewayPorts) to plug the bridge in:
 * set the forwarder in a provider constructor or onModuleInit, before bootstrap starts it.
 */
@Module({})
export class GatewayModule {
  static forRoot(options: GatewayOptions): DynamicModule {
    return {
      module: GatewayModule,
      providers: [{ provide: Gateway, useFactory: () => new Gateway(options) }, GatewayLifecycle],
      exports: [Gateway],
    };
  }

  static forRootAsync(options: GatewayModuleAsyncOptions): DynamicModule {
    return {
      module: GatewayModule,
      imports: options.imports ?? [],
      providers: [
        { provide: GATEWAY_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        { provide: Gateway, useFactory: (o: GatewayOptions) => new Gateway(o), inject: [GATEWAY_OPTIONS] },
        GatewayLifecycle,
      ],
      exports: [Gateway],
    };
  }
}
