import { downlinkTarget, isUnderP2P, p2pTopic, parseP2PTopic } from './p2p.js';

describe('parseP2PTopic', () => {
  it.each([
    ['cmd/p2p/GID_a@@@dev1', 'cmd', 'GID_a@@@dev1'],
    ['t/p2p/x', 't', 'x'],
    ['$x/p2p/y', '$x', 'y'], // structure only; the ACL refuses '$' topics
  ])('%j -> parent %j, target %j', (topic, parent, targetClientId) => {
    expect(parseP2PTopic(topic)).toEqual({ parent, targetClientId });
  });

  it.each([
    ['cmd/p2p'],
    ['cmd/p2p/'],
    ['cmd/p2p/a/b'],
    ['cmd/P2P/a'],
    ['cmd/x/p2p/a'],
    ['/p2p/a'],
    ['p2p/a'],
    ['cmd'],
    [''],
    ['cmd/p2px/a'],
  ])('%j is not a P2P topic', (topic) => {
    expect(parseP2PTopic(topic)).toBeNull();
  });
});

describe('p2pTopic', () => {
  it('builds the topic parseP2PTopic reads back', () => {
    const topic = p2pTopic('cmd', 'GID_a@@@dev1');
    expect(topic).toBe('cmd/p2p/GID_a@@@dev1');
    expect(parseP2PTopic(topic)).toEqual({ parent: 'cmd', targetClientId: 'GID_a@@@dev1' });
  });
});

describe('isUnderP2P', () => {
  it.each([
    ['cmd/p2p/a', true],
    ['cmd/p2p/a/b', true],
    ['cmd/p2p/', true],
    ['+/p2p/#', true],
    ['cmd/p2p', false],
    ['cmd/p2px/a', false],
    ['p2p/a/b', false],
    ['/p2p/a', false],
    ['cmd/x/p2p/a', false],
  ])('%j -> %j', (topic, expected) => {
    expect(isUnderP2P(topic)).toBe(expected);
  });
});

describe('downlinkTarget: P2P is a property of the topic', () => {
  it.each([
    ['cmd/p2p/GID_a@@@d1', undefined, false, { ok: true, targetClientId: 'GID_a@@@d1' }],
    ['cmd/p2p/GID_a@@@d1', 'GID_a@@@d1', false, { ok: true, targetClientId: 'GID_a@@@d1' }],
    ['cmd/all', undefined, false, { ok: true, targetClientId: undefined }],
    ['cmd/p2p', undefined, false, { ok: true, targetClientId: undefined }],
    ['cmd/all', 'GID_a@@@d1', false, { ok: false, problem: 'target-without-p2p-topic', field: 'target' }],
    ['cmd/p2p/GID_a@@@d1', 'GID_a@@@d2', false, { ok: false, problem: 'target-contradicts-topic', field: 'target' }],
    ['cmd/p2p/GID_a@@@d1/x', undefined, false, { ok: false, problem: 'malformed-p2p-topic', field: 'topic' }],
    ['cmd/p2p/', undefined, true, { ok: false, problem: 'malformed-p2p-topic', field: 'topic' }],
    ['cmd/p2p/device-1', undefined, false, { ok: false, problem: 'invalid-target-client', field: 'topic' }],
    // The anonymous default instance: any client ID, the same P2P rule.
    ['demo/p2p/device-1', undefined, true, { ok: true, targetClientId: 'device-1' }],
    ['demo/hello', 'device-1', true, { ok: false, problem: 'target-without-p2p-topic', field: 'target' }],
  ])('%j target %j (any client ID: %j)', (topic, target, anyClientId, expected) => {
    expect(downlinkTarget(topic, target, anyClientId)).toMatchObject(expected);
  });
});
