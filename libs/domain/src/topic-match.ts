/**
 * Filter matching (MQTT 3.1.1 §4.7). Both functions expect filters that passed
 * validateTopicFilter; the answer for a malformed filter is unspecified.
 */

const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;

function isSingleChar(text: string, start: number, end: number, code: number): boolean {
  return end - start === 1 && text.charCodeAt(start) === code;
}

function sameLevel(a: string, aStart: number, aEnd: number, b: string, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let i = 0; i < aEnd - aStart; i++) {
    if (a.charCodeAt(aStart + i) !== b.charCodeAt(bStart + i)) return false;
  }
  return true;
}

function levelEnd(text: string, start: number): number {
  const slash = text.indexOf('/', start);
  return slash < 0 ? text.length : slash;
}

/**
 * Whether topic name `topic` matches `filter`. Runs on every PUBLISH, so it walks both strings
 * in place instead of splitting them.
 */
export function topicMatches(filter: string, topic: string): boolean {
  // [MQTT-4.7.2-1]: a leading wildcard does not match topics beginning with '$'.
  const first = filter.charCodeAt(0);
  if (topic.charCodeAt(0) === DOLLAR && (first === PLUS || first === HASH)) return false;
  let f = 0;
  let t = 0;
  for (;;) {
    const fEnd = levelEnd(filter, f);
    // '#' matches the remaining levels, including none ('a/#' matches 'a') [MQTT-4.7.1-2].
    if (isSingleChar(filter, f, fEnd, HASH)) return true;
    const tEnd = levelEnd(topic, t);
    if (!isSingleChar(filter, f, fEnd, PLUS) && !sameLevel(filter, f, fEnd, topic, t, tEnd)) return false;
    const filterDone = fEnd === filter.length;
    const topicDone = tEnd === topic.length;
    if (filterDone || topicDone) {
      // Topic used up while the filter goes on: only a final '/#' still matches.
      return filterDone ? topicDone : filter.length - fEnd === 2 && filter.charCodeAt(fEnd + 1) === HASH;
    }
    f = fEnd + 1;
    t = tEnd + 1;
  }
}

/**
 * Whether every topic name matched by filter `inner` is also matched by filter `outer`
 * (token R grants: a subscription must stay inside the granted resources).
 */
export function filterCovers(outer: string, inner: string): boolean {
  const o = outer.split('/');
  const i = inner.split('/');
  // A leading wildcard in `outer` misses the '$' topics a literal '$...' first level in `inner` matches.
  if ((o[0] === '+' || o[0] === '#') && i[0].charCodeAt(0) === DOLLAR) return false;
  for (let n = 0; ; n++) {
    if (o[n] === '#') return true;
    if (n === i.length) return n === o.length;
    if (n === o.length) return false;
    if (i[n] === '#') {
      // Inner '#' matches any depth from here, including none, which only an outer '#' (handled
      // above) covers; unless "none" would leave the empty string, which is no topic name
      // ('#', '/#'): then a final '+/#' in outer covers it too.
      const parentIsEmpty = n === 0 || (n === 1 && i[0] === '');
      return parentIsEmpty && o.length === n + 2 && o[n] === '+' && o[n + 1] === '#';
    }
    if (o[n] === '+') continue;
    if (i[n] !== o[n]) return false; // a literal covers only itself, not '+'
  }
}
