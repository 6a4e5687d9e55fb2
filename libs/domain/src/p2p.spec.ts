import { p2pTopic, parseP2PTopic } from './p2p.js';

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
