// Public surface of #auth: pure credential and ACL logic (node:crypto only, no Nest, no I/O).
export { computeSignature, verifySignature } from './signature.js';
export { parseUsername, parseTokenPassword, MAX_ACCESS_KEY_ID_LENGTH } from './credentials.js';
export type { AuthMode, ParsedUsername, TokenPassword } from './credentials.js';
export { generateAccessKeyId, generateSecret, generateToken, hashToken, ACCESS_KEY_ID_PREFIX } from './token.js';
export { SecretBox, parseMasterKey } from './secret-box.js';
export { SecretBoxError, InvalidMasterKeyError } from './errors.js';
export type { Identity, TokenGrant } from './identity.js';
export { actionsBeyondKey, keyAllowsAction } from './permission.js';
export type { TokenActionLetter } from './permission.js';
export { authorizeCheckedPublish, authorizePublish, authorizeReceive, authorizeSubscribe, tokenExpiry, DENY_REASONS } from './acl.js';
export type { AclDecision, DenyReason } from './acl.js';
