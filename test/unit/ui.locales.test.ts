import { isRtl, LOCALES, pickLocale, textsFor } from '../../src/ui/locales';
import { EN } from '../../src/ui/texts';

const placeholders = (s: string): string[] => (s.match(/\{\w+\}/g) ?? []).sort();
const enKeys = Object.keys(EN).sort();

describe.each(Object.entries(LOCALES))('the %s table', (_, table) => {
  test('has every key of EN and no other', () => {
    expect(Object.keys(table).sort()).toEqual(enKeys);
  });

  test("keeps each string's placeholders exactly as in English", () => {
    for (const key of enKeys) {
      const k = key as keyof typeof EN;
      expect([key, placeholders(table[k])]).toEqual([key, placeholders(EN[k])]);
    }
  });

  test('has no empty and no duplicated strings', () => {
    const values = Object.values(table);
    for (const value of values) expect(value.trim()).not.toBe('');
    expect(new Set(values).size).toBe(values.length);
  });
});

describe('pickLocale', () => {
  test.each<[(string | undefined | null)[], string]>([
    [['de-AT'], 'de'],
    [[undefined, 'fr-CA'], 'fr'],
    [['pt-BR', 'it'], 'it'],
    [['zz'], 'en'],
    [[], 'en'],
    [['AR'], 'ar'],
    [[null, '', 'es_MX'], 'es'],
    [['en-GB', 'de'], 'en'],
  ])('%j → %s', (candidates, expected) => {
    expect(pickLocale(candidates)).toBe(expected);
  });
});

describe('textsFor', () => {
  test('gives the locale table, or EN for en and unknown locales', () => {
    expect(textsFor('de')).toEqual(LOCALES.de);
    expect(textsFor('en')).toEqual(EN);
    expect(textsFor('zz')).toEqual(EN);
  });

  test('applies string overrides of known keys and ignores anything else', () => {
    const texts = textsFor('fr', { accept: 'Oui', decline: 42, bogus: 'x', close: null });
    expect(texts.accept).toBe('Oui');
    expect(texts.decline).toBe(LOCALES.fr.decline);
    expect(texts.close).toBe(LOCALES.fr.close);
    expect(texts.mute).toBe(LOCALES.fr.mute);
    expect('bogus' in texts).toBe(false);
    expect(Object.keys(texts).sort()).toEqual(enKeys);
  });

  test('ignores inherited names and leaves the tables untouched', () => {
    const overrides = JSON.parse('{"__proto__": "x", "toString": "y", "endCall": "Fin"}') as Record<
      string,
      unknown
    >;
    const texts = textsFor('it', overrides);
    expect(texts.endCall).toBe('Fin');
    expect(Object.getPrototypeOf(texts)).toBe(Object.prototype);
    expect(Object.keys(texts).sort()).toEqual(enKeys);
    expect(LOCALES.it.endCall).toBe('Termina chiamata');
    expect(textsFor('en', { accept: 'OK' }).accept).toBe('OK');
    expect(EN.accept).toBe('Accept');
  });
});

describe('isRtl', () => {
  test('is true for Arabic only', () => {
    expect(isRtl('ar')).toBe(true);
    expect(isRtl('ar-EG')).toBe(true);
    for (const locale of ['en', 'de', 'fr', 'es', 'it', 'zz']) expect(isRtl(locale)).toBe(false);
  });
});
