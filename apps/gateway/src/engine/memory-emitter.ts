import { createRequire } from 'node:module';
import type { AedesOptions } from 'aedes';
import { TopicMemo } from './topic-memo.js';

// Named `require` so the boundary check (tools/boundaries) sees which packages this file loads.
const require = createRequire(import.meta.url);

/** The mqemitter whose matcher field this wraps (mqemitter.js: `this._matcher`, a Qlobber). */
export const MQEMITTER_VERSION = '7.1.0';

type Emitter = NonNullable<AedesOptions['mq']>;

/** What the cache uses of mqemitter's Qlobber. */
export interface TopicMatcher {
  add(topic: string, listener: unknown): unknown;
  remove(topic: string, listener?: unknown): unknown;
  match(topic: string): unknown[];
}

/**
 * aedes' in-memory emitter, as aedes makes it by default (concurrency 100, empty levels match),
 * with its topic matches kept per topic. mqemitter matches every PUBLISH's topic against the
 * subscription tree (a split into words and a walk); in QoS 1 fan-in profiles that was 3 to 4 %
 * of the MQTT thread, for the same few topics again and again. The tree changes only through
 * the matcher's add and remove, which forget every kept match. A kept match is an array
 * mqemitter only reads (fastparallel iterates it). With another mqemitter version the emitter
 * is returned as it is.
 */
export function createMemoryEmitter(): Emitter {
  const mqemitter = require('mqemitter') as (opts: object) => Emitter & { _matcher?: TopicMatcher };
  const emitter = mqemitter({ concurrency: 100, matchEmptyLevels: true });
  const version = (require('mqemitter/package.json') as { version: string }).version;
  if (version === MQEMITTER_VERSION && isMatcher(emitter._matcher)) emitter._matcher = cacheMatches(emitter._matcher);
  return emitter;
}

/** `matcher` with its matches kept per topic until the next add or remove. */
export function cacheMatches(matcher: TopicMatcher): TopicMatcher {
  const matches = new TopicMemo((topic) => matcher.match(topic));
  const cached = Object.create(matcher) as TopicMatcher;
  cached.match = (topic) => matches.get(topic);
  cached.add = (topic, listener) => {
    matches.clear();
    return matcher.add(topic, listener);
  };
  cached.remove = (topic, listener) => {
    matches.clear();
    return matcher.remove(topic, listener);
  };
  return cached;
}

function isMatcher(m: unknown): m is TopicMatcher {
  const o = m as Partial<Record<keyof TopicMatcher, unknown>> | undefined;
  return typeof o?.add === 'function' && typeof o.remove === 'function' && typeof o.match === 'function';
}
