import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';

/** Who made the request: the admin (bearer token) or a backend with an instance's access key. */
export type Principal = { kind: 'admin' } | { kind: 'access-key'; accessKeyId: string; instanceId: string };

export const PUBLIC_ROUTE = 'fleetmq:public';
export const ACCESS_KEY_ROUTE = 'fleetmq:access-key';

/** No authentication (health, metrics). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** Also accepts HTTP Basic with an enabled access key of the `:instanceId` in the path. */
export const AccessKeyAuth = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_KEY_ROUTE, true);

export interface RequestWithPrincipal {
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string>;
  fleetmqPrincipal?: Principal;
}

export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<RequestWithPrincipal>().fleetmqPrincipal;
  // The guard runs first on every non-public route, so this holds.
  return principal ?? { kind: 'admin' };
});
