import { blockKey, blockLength, blocksOf, parseBlockName } from '../src/layout/index.js';

// The examples of FORMAT.md 7.2.
describe('block keys', () => {
  test.each([
    [{ id: 1, index: 0, length: 4194304 }, false, 'chunks/0/0/1_0_4194304'],
    [{ id: 1, index: 0, length: 4194304 }, true, 'chunks/01/0/1_0_4194304'],
    [{ id: 1234567890, index: 3, length: 4194304 }, false, 'chunks/1234/1234567/1234567890_3_4194304'],
    [{ id: 1234567890, index: 3, length: 4194304 }, true, 'chunks/D2/1234/1234567890_3_4194304'],
    [{ id: 255, index: 1, length: 10 }, true, 'chunks/FF/0/255_1_10'],
  ])('%j (hash prefix %s) is %s', (ref, hp, key) => {
    expect(blockKey(ref, hp)).toBe(key);
    expect(parseBlockName(key)).toEqual(ref);
  });

  test('names that are not blocks do not parse', () => {
    expect(parseBlockName('chunks/0/0/1_0')).toBeUndefined();
    expect(parseBlockName('chunks/0/0/1_0_5.tmp.abcd')).toBeUndefined();
  });

  test('a slice is cut into full blocks and a shorter last one', () => {
    expect(blocksOf(7, 10, 4)).toEqual([
      { id: 7, index: 0, length: 4 },
      { id: 7, index: 1, length: 4 },
      { id: 7, index: 2, length: 2 },
    ]);
    expect(blocksOf(7, 0, 4)).toEqual([]);
    expect(blockLength(10, 2, 4)).toBe(2);
    expect(blockLength(10, 3, 4)).toBe(0);
  });
});
