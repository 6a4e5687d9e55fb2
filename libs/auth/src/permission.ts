import type { Permission, TokenAction } from '#domain';

/** A single token action: R (subscribe and receive) or W (publish). */
export type TokenActionLetter = 'R' | 'W';

/** R needs a key that may subscribe, W one that may publish. */
export function keyAllowsAction(permission: Permission, action: TokenActionLetter): boolean {
  return action === 'R' ? permission !== 'PUB' : permission !== 'SUB';
}

/**
 * The actions of `actions` the key's permission does not cover, in R, W order; empty when a
 * token with `actions` grants nothing the key lacks. A token never grants more than its key.
 */
export function actionsBeyondKey(permission: Permission, actions: TokenAction): TokenActionLetter[] {
  const beyond: TokenActionLetter[] = [];
  if (actions !== 'W' && !keyAllowsAction(permission, 'R')) beyond.push('R');
  if (actions !== 'R' && !keyAllowsAction(permission, 'W')) beyond.push('W');
  return beyond;
}
