/** Group IDs and client IDs share the cloud service's 64-character limit. */
export const MAX_GROUP_ID_LENGTH = 64;

const GROUP_ID = /^GID_[A-Za-z0-9_-]+$/;

export function isValidGroupId(id: string): boolean {
  return id.length <= MAX_GROUP_ID_LENGTH && GROUP_ID.test(id);
}
