import type { Permission } from '#domain';
import { ForbiddenError } from '../common/errors.js';

const KEY_RIGHT = { R: 'subscribe', W: 'publish' } as const;

/** A token was asked for an action (R or W) its access key does not have: 403 naming it. */
export class ActionBeyondKeyError extends ForbiddenError {
  override readonly name = 'ActionBeyondKeyError';
  override readonly code = 'action-beyond-key';

  constructor(
    readonly accessKeyId: string,
    readonly permission: Permission,
    readonly actions: readonly ('R' | 'W')[],
  ) {
    super(
      `access key '${accessKeyId}' has permission ${permission}: it may not issue a token with action ` +
        actions.map((a) => `${a} (${KEY_RIGHT[a]})`).join(' or '),
    );
  }
}
