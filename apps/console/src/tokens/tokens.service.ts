import { Inject, Injectable } from '@nestjs/common';
import { actionsBeyondKey, generateToken, hashToken } from '#auth';
import type { FleetMqConfig } from '#config';
import { parentTopicOf, TOPIC_PROBLEMS, validateTopicFilter, type TokenAction } from '#domain';
import { AccessKeyRepository, ParentTopicRepository, TokenRepository, type AccessKeyRow, type TokenRow } from '#domain/persistence';
import type { Principal } from '../auth/principal.js';
import { InvalidInputError, NotFoundError, type FieldError } from '../common/errors.js';
import { CONSOLE_CONFIG } from '../console.tokens.js';
import { InstancesService } from '../instances/instances.service.js';
import { ControlPublisher } from '../messaging/control.publisher.js';
import { ActionBeyondKeyError } from './action-beyond-key.error.js';

/** The longest lifetime a token may be given. */
export const MAX_TOKEN_LIFETIME_MS = 30 * 24 * 3600 * 1000;

export interface TokenRequest {
  resources: string[];
  actions: TokenAction;
  expireTime: number;
  accessKeyId?: string;
}

@Injectable()
export class TokensService {
  constructor(
    private readonly instances: InstancesService,
    private readonly topics: ParentTopicRepository,
    private readonly keys: AccessKeyRepository,
    private readonly tokens: TokenRepository,
    private readonly control: ControlPublisher,
    @Inject(CONSOLE_CONFIG) private readonly config: FleetMqConfig,
  ) {}

  async apply(instanceId: string, principal: Principal, input: TokenRequest, now = Date.now()): Promise<{ token: string; entity: TokenRow }> {
    const instance = await this.instances.get(instanceId);
    const errors: FieldError[] = [];
    const key = await this.resolveAccessKey(instanceId, principal, input.accessKeyId, errors);
    if (input.expireTime <= now) errors.push({ field: 'expireTime', reason: 'must be in the future' });
    else if (input.expireTime > now + MAX_TOKEN_LIFETIME_MS) errors.push({ field: 'expireTime', reason: 'must be at most 30 days ahead' });
    const parents = instance.anonymous ? null : new Set(await this.topics.names(instanceId));
    input.resources.forEach((filter, i) => {
      const problem = validateTopicFilter(filter, this.config.limits.maxTopicLength);
      if (problem !== null) errors.push({ field: `resources.${i}`, reason: TOPIC_PROBLEMS[problem] });
      else if (parents !== null && !parents.has(parentTopicOf(filter))) {
        errors.push({ field: `resources.${i}`, reason: `first level '${parentTopicOf(filter)}' is not a parent topic of the instance` });
      }
    });
    if (errors.length > 0 || key === null) throw new InvalidInputError(errors);
    // A token never grants more than the key it is issued for.
    const beyond = actionsBeyondKey(key.permission, input.actions);
    if (beyond.length > 0) throw new ActionBeyondKeyError(key.accessKeyId, key.permission, beyond);
    const token = generateToken();
    const entity = await this.tokens.create({
      tokenHash: hashToken(token),
      instanceId,
      accessKeyId: key.accessKeyId,
      resources: [...new Set(input.resources)],
      actions: input.actions,
      expiresAt: new Date(input.expireTime),
    });
    return { token, entity };
  }

  async query(instanceId: string, principal: Principal, token: string): Promise<TokenRow> {
    await this.instances.get(instanceId);
    return this.find(instanceId, principal, token);
  }

  async revoke(instanceId: string, principal: Principal, token: string, now = new Date()): Promise<void> {
    await this.instances.get(instanceId);
    const entity = await this.find(instanceId, principal, token);
    await this.tokens.revoke(entity.tokenHash, now);
    await this.control.afterChange({ type: 'token-revoked', instanceId, tokenHash: entity.tokenHash });
  }

  /** A backend with an access key only sees the tokens issued for that key. */
  private async find(instanceId: string, principal: Principal, token: string): Promise<TokenRow> {
    const entity = await this.tokens.findByHash(hashToken(token));
    const visible = entity !== null && entity.instanceId === instanceId && (principal.kind === 'admin' || principal.accessKeyId === entity.accessKeyId);
    if (!visible) throw new NotFoundError('token', 'given');
    return entity;
  }

  /** The key the token is issued for, read from the database either way (its permission is needed). */
  private async resolveAccessKey(instanceId: string, principal: Principal, requested: string | undefined, errors: FieldError[]): Promise<AccessKeyRow | null> {
    if (principal.kind === 'access-key' && requested !== undefined && requested !== principal.accessKeyId) {
      errors.push({ field: 'accessKeyId', reason: 'must be the access key of the Basic credentials (or absent)' });
      return null;
    }
    const accessKeyId = principal.kind === 'access-key' ? principal.accessKeyId : requested;
    if (accessKeyId === undefined) {
      errors.push({ field: 'accessKeyId', reason: 'is required with the admin token' });
      return null;
    }
    const key = await this.keys.find(accessKeyId);
    if (!key || key.instanceId !== instanceId) {
      errors.push({ field: 'accessKeyId', reason: 'is not an access key of this instance' });
      return null;
    }
    if (!key.enabled) {
      errors.push({ field: 'accessKeyId', reason: 'is disabled' });
      return null;
    }
    return key;
  }
}
