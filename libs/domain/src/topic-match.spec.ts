import { validateTopicFilter } from './topic.js';
import { filterCovers, topicMatches } from './topic-match.js';

/** Straightforward split-based reading of MQTT 3.1.1 §4.7, used as an oracle. */
function referenceMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

describe('topicMatches', () => {
  // Examples from MQTT 3.1.1 §4.7.1 and §4.7.2, then edge cases.
  it.each([
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/#', 'sport', true],
    ['#', 'sport/tennis', true],
    ['#', '/', true],
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player2', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['#', '$SYS/broker', false],
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['$SYS/#', '$SYS/monitor/Clients', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
    ['$SYS/#', '$SYS', true],
    ['a/$b', 'a/$b', true],
    ['a/+', 'a/$b', true], // the '$' rule is about the first level only
    ['a/#', 'a', true],
    ['a/#', 'ab', false],
    ['a/#', 'a/', true],
    ['a/+/#', 'a', false],
    ['a/+/#', 'a/b', true],
    ['a/b', 'a/b', true],
    ['a/b', 'a/bc', false],
    ['a/bc', 'a/b', false],
    ['a/b', 'a/b/', false],
    ['a/b/', 'a/b', false],
    ['a', 'A', false],
    ['+', 'a', true],
    ['+', '', true],
    ['+/+/+', 'a/b', false],
    ['a//b', 'a//b', true],
    ['a/+/b', 'a//b', true],
    ['日本/+', '日本/東京', true],
  ])('%j ~ %j -> %s', (filter, topic, expected) => {
    expect(validateTopicFilter(filter, 256)).toBeNull();
    expect(topicMatches(filter, topic)).toBe(expected);
    expect(referenceMatches(filter, topic)).toBe(expected);
  });

  it('agrees with the split-based reading on every small filter/topic pair', () => {
    const filters = allFilters(3);
    const topics = allTopics(4);
    let checked = 0;
    for (const f of filters) {
      for (const t of topics) {
        if (topicMatches(f, t) !== referenceMatches(f, t)) throw new Error(`mismatch for filter ${f} and topic ${t}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10000);
  });
});

describe('filterCovers', () => {
  it.each([
    ['#', '#', true],
    ['#', 'a/b/c', true],
    ['#', '+/#', true],
    ['#', '$SYS/x', false],
    ['#', '$SYS/#', false],
    ['+/#', '$SYS/x', false],
    ['+', '$SYS', false],
    ['$SYS/#', '$SYS/x', true],
    ['$SYS/#', '$SYS/+/y', true],
    ['$SYS/#', '#', false],
    ['a/#', 'a/+/c', true],
    ['a/#', 'a', true],
    ['a/#', 'a/#', true],
    ['a/#', '#', false],
    ['a/#', 'b/#', false],
    ['a/+', 'a/#', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/+', true],
    ['a/+', 'a', false],
    ['a/+', 'a/b/c', false],
    ['a/b', 'a/+', false],
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/#', false],
    ['+/+', 'a/+', true],
    ['+/+', '+/#', false],
    ['+/#', 'a', true],
    ['+/#', '+', true],
    ['+', '#', false],
    ['+/#', '#', true], // every topic has a first level
    ['+/+/#', '+/#', false],
    ['/+/#', '/#', true], // '/#' would match the empty string only through its parent
    ['+/+/#', '/#', true],
    ['+/+/#', 'a/#', false],
    ['a/+/#', 'a/#', false], // inner matches the parent 'a'
    ['+/+/#', 'a/#', false], // inner matches 'a'
    ['+/+/#', 'a/b/#', true],
    ['a/+/#', 'a/b', true],
    ['a/+/#', 'a', false],
    ['a//#', 'a//b', true],
    ['a/+/c', 'a//c', true],
    ['a/+/c', 'a/+/c/d', false],
  ])('covers(%j, %j) -> %s', (outer, inner, expected) => {
    expect(filterCovers(outer, inner)).toBe(expected);
  });

  it('is exactly "every topic inner matches, outer matches" on every small filter pair', () => {
    // Filters of at most 3 levels differ on some topic of at most 4 levels, so this is exhaustive.
    const filters = allFilters(3);
    const topics = allTopics(4);
    const matched = new Map(filters.map((f) => [f, topics.filter((t) => referenceMatches(f, t))]));
    let pairs = 0;
    for (const outer of filters) {
      for (const inner of filters) {
        const expected = matched.get(inner)!.every((t) => referenceMatches(outer, t));
        if (filterCovers(outer, inner) !== expected) throw new Error(`covers(${outer}, ${inner}) should be ${expected}`);
        pairs++;
      }
    }
    expect(pairs).toBeGreaterThan(10000);
  });
});

const LITERALS = ['a', 'b', '', '$s'];

function allTopics(maxLevels: number): string[] {
  return combinations([...LITERALS, 'z'], maxLevels).filter((t) => t.length > 0);
}

function allFilters(maxLevels: number): string[] {
  return combinations([...LITERALS, '+', '#'], maxLevels).filter((f) => validateTopicFilter(f, 256) === null);
}

function combinations(levels: string[], maxLevels: number): string[] {
  let current = levels.map((l) => [l]);
  const out: string[][] = [...current];
  for (let depth = 2; depth <= maxLevels; depth++) {
    current = current.flatMap((prefix) => levels.map((l) => [...prefix, l]));
    out.push(...current);
  }
  return out.map((parts) => parts.join('/'));
}
