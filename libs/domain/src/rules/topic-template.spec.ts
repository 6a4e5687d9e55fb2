import { parseTopicTemplate, renderTopicTemplate, type TemplateInput } from './topic-template.js';

describe('parseTopicTemplate', () => {
  it.each([
    ['cmd/all', true, 'cmd'],
    ['cmd', true, 'cmd'],
    ['cmd/p2p/${key}', true, 'cmd'],
    ['cmd/${header.area}/${header.kind}-x', true, 'cmd'],
    ['cmd/${key}${key}', true, 'cmd'],
    ['cmd/$literal', true, 'cmd'],
    ['${key}', false, ''],
    ['cmd${key}/x', false, ''],
    ['/cmd', false, ''],
    ['$SYS/x', false, ''],
    ['cmd/${key', false, ''],
    ['cmd/${nope}', false, ''],
    ['cmd/${header.}', false, ''],
    ['cmd/${header.a b}', false, ''],
    ['cmd/#', false, ''],
    ['cmd/+/x', false, ''],
    // Under cmd/p2p/ but never one client: always a malformed P2P topic.
    ['cmd/p2p/${key}/status', false, ''],
    ['cmd/p2p/GID_a@@@d1/${key}', false, ''],
    ['cmd/p2p/', false, ''],
    ['cmd/p2p', true, 'cmd'],
    ['cmd/${header.mode}/${key}/x', true, 'cmd'],
    ['', false, ''],
  ])('%j -> %s', (template, ok, parent) => {
    const result = parseTopicTemplate(template, 128);
    expect(result.ok).toBe(ok);
    if (result.ok) expect(result.value.parentTopic).toBe(parent);
  });

  it('counts the topic length', () => {
    expect(parseTopicTemplate(`cmd/${'a'.repeat(20)}`, 20).ok).toBe(false);
  });
});

describe('renderTopicTemplate', () => {
  const input = (key: string | null, headers: Record<string, string> = {}): TemplateInput => ({ key, headers });
  it.each([
    ['cmd/p2p/${key}', input('GID_a@@@d1'), { ok: true, topic: 'cmd/p2p/GID_a@@@d1' }],
    ['cmd/all', input(null), { ok: true, topic: 'cmd/all' }],
    ['cmd/${header.area}/${key}', input('k', { area: 'north' }), { ok: true, topic: 'cmd/north/k' }],
    ['cmd/p2p/${key}', input(null), { ok: false, reason: 'missing-key' }],
    ['cmd/p2p/${key}', input(''), { ok: false, reason: 'missing-key' }],
    ['cmd/${header.area}', input('k'), { ok: false, reason: 'missing-header' }],
    ['cmd/p2p/${key}', input('a/b'), { ok: false, reason: 'invalid-value' }],
    ['cmd/p2p/${key}', input('#'), { ok: false, reason: 'invalid-value' }],
    ['cmd/${header.x}', input(null, { x: 'a+' }), { ok: false, reason: 'invalid-value' }],
    ['cmd/${header.x}', input(null, { x: 'y'.repeat(200) }), { ok: false, reason: 'invalid-topic' }],
  ])('%j with %j', (template, values, expected) => {
    const parsed = parseTopicTemplate(template, 128);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(renderTopicTemplate(parsed.value, values, 128)).toMatchObject(expected);
  });
});
