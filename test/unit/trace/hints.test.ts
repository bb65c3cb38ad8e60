import { describe, expect, it } from 'vitest';
import { type Hint, HintScanner } from '../../../src/trace/hints';

const found = (hints: Hint[], text: string) => {
  const flags = new HintScanner(hints).scan(text);
  return hints.filter((_, id) => flags[id] === 1).map((hint) => hint.text);
};

describe('hint scanner', () => {
  it('finds hints that overlap or end inside one another', () => {
    const hints = ['he', 'she', 'his', 'hers', 'ushers'].map((text) => ({ text, caseless: false }));
    expect(found(hints, 'ushers')).toEqual(['he', 'she', 'hers', 'ushers']);
    expect(found(hints, 'this')).toEqual(['his']);
  });

  it('matches a caseless hint in either case and a hint with its case only as written', () => {
    const hints = [
      { text: 'pass', caseless: true },
      { text: 'PASS', caseless: false },
      { text: 'Bearer', caseless: false },
    ];
    expect(found(hints, 'PaSsWoRd')).toEqual(['pass']);
    expect(found(hints, 'DB_PASS=x')).toEqual(['pass', 'PASS']);
    expect(found(hints, 'bearer BEARER')).toEqual([]);
  });

  it('lets no other character stand in for an ASCII letter, as a regex with the i flag does', () => {
    // The Kelvin sign lower-cases to k, and a dotted capital I to i and a dot, but /key/i matches neither.
    const hints = [{ text: 'key', caseless: true }];
    expect(found(hints, 'api_\u212Aey: x')).toEqual([]);
    expect(/key/i.test('api_\u212Aey: x')).toBe(false);
    expect(found(hints, 'ke\u00e9y')).toEqual([]);
  });

  it('finds control characters and punctuation', () => {
    const hints = ['\n', '-p', '//'].map((text) => ({ text, caseless: false }));
    expect(found(hints, 'mysql -pX\n')).toEqual(['\n', '-p']);
  });

  it('refuses a hint it could never find', () => {
    expect(() => new HintScanner([{ text: '', caseless: false }])).toThrow();
    expect(() => new HintScanner([{ text: 'clé', caseless: false }])).toThrow();
  });

  it('reads a long text with its automata and finds what a search finds', () => {
    // Over 64 KB the automata run; below, one search per hint: both must give the same answer.
    const hints = ['token', 'PASS', 'x-'].map((text, id) => ({ text, caseless: id !== 1 }));
    const short = 'a TOKEN here, DB_PASS and x-key';
    const long = `${'-'.repeat(70_000)}${short}`;
    expect(found(hints, long)).toEqual(found(hints, short));
    expect(found(hints, long)).toEqual(['token', 'PASS', 'x-']);
    expect(found(hints, `${'-'.repeat(70_000)}api_\u212Aey`)).toEqual([]);
  });

  it('locates every occurrence in order of its end, searched or read by the automata', () => {
    const hints = ['key', 'api_key', 'Bearer'].map((text, id) => ({ text, caseless: id !== 2 }));
    const scanner = new HintScanner(hints);
    const text = 'API_KEY=x key Bearer bearer';
    const pairs = (flat: number[], shift = 0) =>
      Array.from(
        { length: flat.length / 2 },
        (_, at) => `${flat[2 * at]}@${(flat[2 * at + 1] as number) - shift}`,
      )
        .sort()
        .join(' ');
    expect(pairs(scanner.locate(text))).toBe('0@13 0@7 1@7 2@20');
    const padding = ' '.repeat(70_000);
    expect(pairs(scanner.locate(padding + text), padding.length)).toBe('0@13 0@7 1@7 2@20');
    // Lower case that would make the Kelvin sign a `k` is left to the automata, which do not.
    expect(scanner.locate('\u212Aey')).toEqual([]);
  });

  it('finds and locates what a plain search does on random texts', () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    // Punctuation in hints, and the Kelvin sign and the long s, which no ASCII letter matches here.
    const letters = 'aAbBkKyYeE_-=:\n é.*([\\/^$|?+{\u212A\u017F';
    const word = (length: number) => Array.from({ length }, () => letters[next(letters.length)]).join('');
    const asciiLower = (text: string) => text.replace(/[A-Z]/g, (char) => char.toLowerCase());
    for (let round = 0; round < 400; round += 1) {
      const hints: Hint[] = Array.from({ length: 1 + next(6) }, () => ({
        text: word(1 + next(4)).replace(/[ é\u212A\u017F]/g, 'a'),
        caseless: next(2) === 0,
      }));
      const text = word(next(80));
      const occurrences: string[] = [];
      for (const [id, hint] of hints.entries()) {
        const haystack = hint.caseless ? asciiLower(text) : text;
        const needle = hint.caseless ? asciiLower(hint.text) : hint.text;
        for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1))
          occurrences.push(`${id}@${at + needle.length}`);
      }
      const expected = hints.filter((_, id) => occurrences.some((one) => one.startsWith(`${id}@`)));
      const context = JSON.stringify({ hints, text });
      expect(found(hints, text), context).toEqual(expected.map((hint) => hint.text));
      const located = new HintScanner(hints).locate(text);
      const pairs = Array.from(
        { length: located.length / 2 },
        (_, at) => `${located[2 * at]}@${located[2 * at + 1]}`,
      );
      expect(pairs.sort(), context).toEqual(occurrences.sort());
    }
  });
});
