/** What an access key may do across its instance. */
export type Permission = 'PUB' | 'SUB' | 'ALL';
export const PERMISSIONS: readonly Permission[] = ['PUB', 'SUB', 'ALL'];

/** What a token allows on its resources: R = subscribe/receive, W = publish. */
export type TokenAction = 'R' | 'W' | 'RW';
export const TOKEN_ACTIONS: readonly TokenAction[] = ['R', 'W', 'RW'];

/** outflow: uplink -> backend topic; inflow: backend topic -> devices; status: presence -> backend topic. */
export type RuleKind = 'outflow' | 'inflow' | 'status';
export const RULE_KINDS: readonly RuleKind[] = ['outflow', 'inflow', 'status'];

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

export function isTokenAction(value: unknown): value is TokenAction {
  return typeof value === 'string' && (TOKEN_ACTIONS as readonly string[]).includes(value);
}

export function isRuleKind(value: unknown): value is RuleKind {
  return typeof value === 'string' && (RULE_KINDS as readonly string[]).includes(value);
}
