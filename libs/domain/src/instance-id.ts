import { randomInt } from 'node:crypto';

/** The instance anonymous clients join; it behaves as a plain MQTT broker. */
export const DEFAULT_INSTANCE_ID = 'default';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const GENERATED_LENGTH = 6;
const INSTANCE_ID = /^fmq-[a-z0-9]{6,16}$/;

/** A new instance ID such as `fmq-7k2d9x`; uniqueness is left to the database key. */
export function generateInstanceId(): string {
  let id = 'fmq-';
  for (let i = 0; i < GENERATED_LENGTH; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

export function isValidInstanceId(id: string): boolean {
  return id === DEFAULT_INSTANCE_ID || INSTANCE_ID.test(id);
}
