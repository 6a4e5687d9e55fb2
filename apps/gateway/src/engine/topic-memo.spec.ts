import { TopicMemo } from './topic-memo.js';

describe('TopicMemo', () => {
  it('looks a topic up once until cleared', () => {
    const asked: string[] = [];
    const memo = new TopicMemo((t) => (asked.push(t), { t }));
    const a = memo.get('a');
    expect(memo.get('a')).toBe(a);
    memo.get('b');
    memo.clear();
    expect(memo.get('a')).not.toBe(a);
    expect(asked).toEqual(['a', 'b', 'a']);
  });

  it('starts over past its bound, and forgets an answer only while it is still the kept one', () => {
    const asked: string[] = [];
    const memo = new TopicMemo((t) => (asked.push(t), { t }), 2);
    const a = memo.get('a');
    memo.get('b');
    memo.get('c'); // third topic: the memo starts over with c alone
    memo.get('a');
    memo.forget('c', { t: 'c' }); // not the kept object: c stays
    memo.get('c');
    memo.forget('a', memo.get('a'));
    memo.get('a');
    expect(asked).toEqual(['a', 'b', 'c', 'a', 'a']);
    expect(a).toEqual({ t: 'a' });
  });
});
