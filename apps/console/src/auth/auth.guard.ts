import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { MAX_ACCESS_KEY_ID_LENGTH, SecretBox } from '#auth';
import { AccessKeyRepository } from '#domain/persistence';
import { ForbiddenError, InvalidInputError, UnauthorizedError } from '../common/errors.js';
import { ADMIN_TOKEN } from '../console.tokens.js';
import { secretsEqual } from './constant-time.js';
import { ACCESS_KEY_ROUTE, PUBLIC_ROUTE, type RequestWithPrincipal } from './principal.js';

/** Global guard: admin bearer token everywhere, an instance's access key on the token routes. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(ADMIN_TOKEN) private readonly adminToken: string,
    private readonly accessKeys: AccessKeyRepository,
    private readonly secretBox: SecretBox,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = context.switchToHttp().getRequest<RequestWithPrincipal>();
    const header = req.headers.authorization;
    const authorization = typeof header === 'string' ? header : '';
    const [scheme = '', credentials = ''] = splitOnce(authorization.trim(), ' ');
    if (scheme.toLowerCase() === 'bearer' && credentials !== '') {
      if (!secretsEqual(credentials.trim(), this.adminToken)) throw new UnauthorizedError('wrong admin token');
      req.fleetmqPrincipal = { kind: 'admin' };
      return true;
    }
    if (scheme.toLowerCase() === 'basic' && this.reflector.getAllAndOverride<boolean>(ACCESS_KEY_ROUTE, targets)) {
      const instanceId = req.params?.instanceId ?? '';
      req.fleetmqPrincipal = await this.checkAccessKey(credentials.trim(), instanceId);
      return true;
    }
    throw new UnauthorizedError('missing or unsupported Authorization header (Bearer <admin token> expected)');
  }

  private async checkAccessKey(encoded: string, instanceId: string): Promise<{ kind: 'access-key'; accessKeyId: string; instanceId: string }> {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const [accessKeyId = '', secret = ''] = splitOnce(decoded, ':');
    if (accessKeyId === '' || secret === '') throw new UnauthorizedError('malformed Basic credentials');
    // PostgreSQL cannot compare text holding NUL (the lookup would fail with 500); no key ID is that long.
    if (accessKeyId.includes('\0')) throw InvalidInputError.field('Authorization', 'the access key ID of the Basic credentials contains a NUL byte');
    if (accessKeyId.length > MAX_ACCESS_KEY_ID_LENGTH) throw new UnauthorizedError('wrong access key or secret');
    const key = await this.accessKeys.find(accessKeyId);
    // Same answer for unknown key and wrong secret, so key IDs cannot be probed.
    if (key === null || !secretsEqual(secret, this.secretBox.decrypt(key.secretEncrypted))) {
      throw new UnauthorizedError('wrong access key or secret');
    }
    if (!key.enabled) throw new UnauthorizedError('access key is disabled');
    if (key.instanceId !== instanceId) throw new ForbiddenError('access key belongs to another instance');
    return { kind: 'access-key', accessKeyId: key.accessKeyId, instanceId: key.instanceId };
  }
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + separator.length)];
}
