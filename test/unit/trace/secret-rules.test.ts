import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { FOLLOW_CAP, keywordFollow } from '../../../scripts/secret-rule-follow';
import { RULE_IDS, type RuleData, rulesToRun } from '../../../src/trace/secret-rules';
import data from '../../../src/trace/secret-rules.json';
import { readPublicCorpus } from '../../support/secret-corpus';

const RULES = data.rules as RuleData[];
const running = (text: string) => [...rulesToRun(text)].map((index) => RULE_IDS[index]);

/** How many characters a derived follow regex reads: classes and single characters, each with its count. */
function followLength(source: string): number {
  let length = 0;
  for (const [, count] of source.matchAll(/(?:\[(?:\\.|[^\]\\])*\]|\w)(?:\{(\d+)\})?/gu)) {
    length += Number(count ?? 1);
  }
  return length;
}

describe('what follows a rule keyword', () => {
  it('is stored as scripts/secret-rule-follow.ts derives it from each rule', () => {
    const stale = RULES.filter(
      (rule) =>
        JSON.stringify(rule.follow ?? {}) !== JSON.stringify(keywordFollow(rule.regex, rule.keywords)),
    ).map((rule) => rule.id);
    // Run `npm run rules:update` (or the derivation) again after changing a rule or the derivation.
    expect(stale).toEqual([]);
  });

  it('holds for every keyword of three characters or fewer: prose holds such keywords everywhere', () => {
    // A rule whose short keyword needs little after it would be compiled for most turns again (RE2's load
    // and a first compile cost a turn ~20 ms): a refresh that brings one shows here.
    const weak = RULES.flatMap((rule) =>
      rule.keywords
        .filter((keyword) => keyword.length <= 3)
        .filter((keyword) => followLength(rule.follow?.[keyword] ?? '') < 16)
        .map((keyword) => `${rule.id}: ${keyword}`),
    );
    expect(weak).toEqual([]);
  });

  it('derives what the match reads after the keyword, in the case the rule wants and any case for the keyword', () => {
    expect(keywordFollow(String.raw`SK[0-9a-fA-F]{32}`, ['sk'])).toEqual({
      sk: `[0-9A-Fa-f]{${FOLLOW_CAP}}`,
    });
    expect(keywordFollow(String.raw`\bs\.[a-z]{5}(?:\s|$)`, ['s.'])).toEqual({ 's.': '[a-z]{5}' });
    // RE2 folds `k` and `s` to the Kelvin sign and the long s too: they may follow.
    expect(keywordFollow(String.raw`hf_(?i:[a-z]{4})`, ['hf_'])).toEqual({
      hf_: '[A-Za-z\\u{17f}\\u{212a}]{4}',
    });
  });

  it('stops where punctuation or a space may come, and where a match may end', () => {
    expect(keywordFollow(String.raw`key[a-z]{3} [a-z]{10}`, ['key'])).toEqual({ key: '[a-z]{3}' });
    expect(keywordFollow(String.raw`key[a-z]{3}(?:[0-9]{4})?`, ['key'])).toEqual({ key: '[a-z]{3}' });
    expect(keywordFollow(String.raw`key[a-z]{2,}`, ['key'])).toEqual({ key: '[a-z]{2}' });
  });

  it('counts from the keyword that comes first in a match', () => {
    // `fm1` can end a fo1_ token; a match holding fo1_ first is fo1_'s to answer for.
    const fly = String.raw`\b(?:fo1_[\w-]{43}|fm1[ar]_[a-zA-Z0-9+\/]{100,})`;
    expect(keywordFollow(fly, ['fo1_', 'fm1'])).toEqual({
      fo1_: `[\\-0-9A-Z_a-z]{${FOLLOW_CAP}}`,
      fm1: `[ar]_[+/-9A-Za-z]{${FOLLOW_CAP - 2}}`,
    });
    // The keyword may occur inside what comes before its place in the pattern: `xab` then `ab12`.
    expect(keywordFollow(String.raw`x[a-z]{2}ab[0-9]{2}`, ['ab'])).toEqual({ ab: '[0-9a][0-9b]' });
  });

  it('refuses keywords the walk does not read as the scanner does (upper case, non-ASCII)', () => {
    expect(() => keywordFollow('SK[0-9]{4}', ['SK'])).toThrow();
    expect(() => keywordFollow('clé[0-9]{4}', ['clé'])).toThrow();
  });

  it('requires nothing of a rule that can match without its keywords', () => {
    // The long s (U+017F) matches (?i)s, and the scanner finds only ASCII letters.
    expect(keywordFollow(String.raw`(?i)snyk_[a-z0-9]{20}`, ['snyk'])).toEqual({});
    expect(keywordFollow(String.raw`abc[0-9]{9}|xyz[0-9]{9}`, ['abc'])).toEqual({});
    expect(keywordFollow(String.raw`hooks.slack.com/[a-z]{9}`, ['hooks.slack.com'])).toEqual({});
  });

  it('skips gitleaks rules on prose that holds their short keywords, and runs them on their tokens', () => {
    const vault = `s.${'Ab1'.repeat(8)}`;
    const jwt = `eyJ${'a'.repeat(20)}.eyJ${'b'.repeat(20)}.${'c'.repeat(20)}`;
    const twilio = `SK${'0a1b2c3d'.repeat(4)}`;
    expect(running('Run ten commands. They ran the task with the key; sg. hf_ q~ sk a3t fm1.')).toEqual([]);
    expect(running('see os.path.join and docs.python.org/3/library/os.path.html')).toEqual([]);
    expect(running(`VAULT_TOKEN=${vault}`)).toContain('vault-service-token');
    expect(running(`Authorization: Bearer ${jwt}`)).toContain('jwt');
    expect(running(`key ${twilio}`)).toContain('twilio-api-key');
    // The keyword in any case, as the scanner finds it; what follows with the case the rule wants.
    expect(running(`sk${'0a1b2c3d'.repeat(4)}`)).toContain('twilio-api-key');
    expect(running(`SK${'0a1b2c3g'.repeat(4)}`)).not.toContain('twilio-api-key');
  });

  it('never skips a rule that matches a public corpus text (every example and generated secret)', () => {
    const corpus = readPublicCorpus();
    const regexes = new Map<number, RE2JS>();
    const keywords = RULES.map((rule) => rule.keywords);
    const missed: string[] = [];
    let skipped = 0;
    for (const entry of corpus) {
      for (const text of [entry.secret, ...entry.contexts]) {
        const lower = text.toLowerCase();
        const runs = rulesToRun(text);
        for (const [index, words] of keywords.entries()) {
          if (runs.has(index) || !words.some((word) => lower.includes(word))) continue;
          skipped += 1;
          let regex = regexes.get(index);
          if (!regex) {
            regex = RE2JS.compile((RULES[index] as RuleData).regex);
            regexes.set(index, regex);
          }
          if (regex.test(text)) missed.push(`${RULE_IDS[index]}: ${text.slice(0, 80)}`);
        }
      }
    }
    expect(skipped).toBeGreaterThan(1_000);
    expect(missed).toEqual([]);
  });
});
