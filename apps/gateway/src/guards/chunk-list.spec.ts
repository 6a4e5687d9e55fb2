import { ChunkList } from './chunk-list.js';

/** The same bytes as one Buffer, to check every read against. */
function listOf(...chunks: number[][]): { list: ChunkList; all: Buffer } {
  const list = new ChunkList();
  for (const c of chunks) list.append(Buffer.from(c));
  return { list, all: Buffer.concat(chunks.map((c) => Buffer.from(c))) };
}

describe('ChunkList', () => {
  const layouts: Array<[string, number[][]]> = [
    ['one chunk', [[1, 2, 3, 4, 5, 6, 7, 8, 9]]],
    ['three chunks', [[1, 2], [3, 4, 5, 6], [7, 8, 9]]],
    ['single-byte chunks', [[1], [2], [3], [4], [5], [6], [7], [8], [9]]],
  ];

  it.each(layouts)('reads like one buffer across %s', (_name, chunks) => {
    const { list, all } = listOf(...chunks);
    expect(list.length).toBe(9);
    for (let i = 0; i < 9; i++) expect(list.readUInt8(i)).toBe(all.readUInt8(i));
    for (let i = 0; i <= 7; i++) expect(list.readUInt16BE(i)).toBe(all.readUInt16BE(i));
    for (let i = 0; i <= 5; i++) expect(list.readUInt32BE(i)).toBe(all.readUInt32BE(i));
    for (let a = 0; a <= 9; a++) {
      for (let b = a; b <= 9; b++) {
        expect([...list.slice(a, b)]).toEqual([...all.subarray(a, b)]);
        expect(list.toString('hex', a, b)).toBe(all.toString('hex', a, b));
      }
    }
    expect([...list.slice()]).toEqual([...all]);
    expect([...list.slice(-3)]).toEqual([7, 8, 9]);
    expect([...list.slice(4, 100)]).toEqual([5, 6, 7, 8, 9]);
  });

  it.each(layouts)('consumes across %s', (_name, chunks) => {
    const { list } = listOf(...chunks);
    list.consume(3);
    expect(list.length).toBe(6);
    expect(list.readUInt8(0)).toBe(4);
    expect([...list.slice(0, 6)]).toEqual([4, 5, 6, 7, 8, 9]);
    list.consume(0).consume(Number.NaN).consume(-1);
    expect(list.length).toBe(6);
    list.consume(5);
    expect([...list.slice()]).toEqual([9]);
    list.consume(10);
    expect(list.length).toBe(0);
    list.append(Buffer.from([42]));
    expect(list.readUInt8(0)).toBe(42);
  });

  it('throws a RangeError on a read past the end, as bl does', () => {
    const { list } = listOf([1, 2], [3]);
    expect(() => list.readUInt8(3)).toThrow(/out of range|outside buffer bounds/);
    expect(() => list.readUInt16BE(2)).toThrow(/out of range|outside buffer bounds/);
    expect(() => list.readUInt32BE(0)).toThrow(/out of range|outside buffer bounds/);
    expect(list.slice(5, 9).length).toBe(0);
  });

  it('shares memory for a slice inside one chunk and copies across chunks', () => {
    const first = Buffer.from([1, 2, 3]);
    const list = new ChunkList().append(first).append(Buffer.from([4]));
    const inside = list.slice(1, 3);
    first[1] = 99;
    expect(inside[0]).toBe(99);
    const across = list.slice(2, 4);
    first[2] = 77;
    expect([...across]).toEqual([3, 4]);
  });
});
