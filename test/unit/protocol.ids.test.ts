import { SeenIds, isValidId, newId } from '../../src/protocol';

describe('newId', () => {
  test('returns an id that satisfies the protocol id rule (1-64 chars of [A-Za-z0-9_-])', () => {
    const id = newId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(isValidId(id)).toBe(true);
  });

  test('returns 1,000 distinct ids in 1,000 calls', () => {
    const ids = Array.from({ length: 1_000 }, () => newId());
    expect(ids.every(isValidId)).toBe(true);
    expect(new Set(ids).size).toBe(1_000);
  });
});

describe('SeenIds', () => {
  test('accepts an id the first time and reports it as a duplicate after', () => {
    const seen = new SeenIds();
    expect(seen.add('msg-1')).toBe(true);
    expect(seen.add('msg-1')).toBe(false);
    expect(seen.add('msg-1')).toBe(false);
  });

  test('treats distinct ids independently', () => {
    const seen = new SeenIds();
    expect(seen.add('a')).toBe(true);
    expect(seen.add('b')).toBe(true);
    expect(seen.add('A')).toBe(true);
    expect(seen.add('a')).toBe(false);
    expect(seen.add('b')).toBe(false);
  });

  test('treats ids named like Object.prototype members as ordinary ids', () => {
    const seen = new SeenIds();
    for (const id of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(seen.add(id)).toBe(true);
      expect(seen.add(id)).toBe(false);
    }
  });

  test('beyond its capacity, forgets the oldest ids first and remembers the newest', () => {
    const seen = new SeenIds(3);
    for (const id of ['1', '2', '3', '4', '5']) expect(seen.add(id)).toBe(true);

    // The three newest are still remembered (and checking them changes nothing).
    expect(seen.add('3')).toBe(false);
    expect(seen.add('4')).toBe(false);
    expect(seen.add('5')).toBe(false);
    // The two oldest were forgotten, so they count as new again.
    expect(seen.add('1')).toBe(true); // now remembers 4, 5, 1
    expect(seen.add('2')).toBe(true); // now remembers 5, 1, 2
    expect(seen.add('5')).toBe(false);
    expect(seen.add('3')).toBe(true);
  });

  test('remembers 4,096 ids by default, then forgets the first', () => {
    const seen = new SeenIds();
    const ids = Array.from({ length: 4_097 }, (_, i) => `id-${i}`);
    for (const id of ids) seen.add(id);
    expect(seen.add('id-4096')).toBe(false);
    expect(seen.add('id-1')).toBe(false);
    expect(seen.add('id-0')).toBe(true);
  });

  test('clear forgets every id', () => {
    const seen = new SeenIds();
    seen.add('a');
    seen.add('b');
    seen.clear();
    expect(seen.add('a')).toBe(true);
    expect(seen.add('b')).toBe(true);
    expect(seen.add('a')).toBe(false);
  });
});
