// The token families we recognise by shape come from gitleaks' maintained rule set (MIT), kept as data in
// secret-rules.json and refreshed by scripts/update-secret-rules.ts; we do not add patterns one by one. The
// rules are RE2 regexes and run on re2js, linear in the text whatever the rule. re2js is slow to compile
// (~560 ms for all rules) and to search a long text (~0.3-0.5 µs a character per rule), so:
// - a rule is compiled the first time one of its keywords turns up where a match could hold it, never at
//   load: gitleaks' shortest keywords occur in most prose (`s.` in "Run ten commands.", `ey` in "they", `sk`
//   in "task"), but a match holds `s.` before 24 letters or digits; what must follow each keyword in every
//   match (RuleData.follow) is derived from the rule by scripts/secret-rule-follow.ts;
// - a rule runs only on windows of the text around its keywords (every match holds one of them), the
//   keywords found by the hint scanner (hints.ts: one substring search each in a text of usual size, one
//   pass of an automaton for all of them in a long one); the windows of one rule merged;
// - the RE2 work of one text is capped (RULE_BUDGET characters plus a quarter of the text): a text with more
//   keyword windows than that (a grep naming `api` and `auth` thousands of times) has the rest searched by
//   the built-in patterns only.
import { compileRe2, type RE2JS } from '../config/re2';
import { HintScanner } from './hints';
import data from './secret-rules.json';

/** A rule as scripts/update-secret-rules.ts writes it. */
export interface RuleData {
  id: string;
  /** RE2 syntax. The semi-generic rules' leading `[\w.-]{0,50}?` (the rest of the name) is dropped. */
  regex: string;
  /** Lower-case strings one of which every match contains. */
  keywords: string[];
  /**
   * By keyword: a JavaScript regex (flags `uy`) that matches right after an occurrence of the keyword in any
   * text the rule matches, at one occurrence at least (scripts/secret-rule-follow.ts). A keyword without one
   * needs nothing after it.
   */
  follow?: Record<string, string>;
  secretGroup?: number;
  /** Shannon entropy (bits per character) the secret must reach. */
  entropy?: number;
  /** RE2 regexes: a secret one of them matches is not one. */
  allow?: string[];
  /** A secret containing one of these (lower case) is not one. */
  stopwords?: string[];
}

/** Counts of ASCII characters, zeroed again after each use (entropy runs on every candidate token). */
const asciiCounts = new Int32Array(128);

/** Shannon entropy in bits per character: how random a secret looks (gitleaks' `entropy`). */
export function entropy(text: string): number {
  const seen: number[] = [];
  let others: Map<number, number> | undefined;
  for (let at = 0; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (code < 128) {
      if ((asciiCounts[code] as number) === 0) seen.push(code);
      asciiCounts[code] = (asciiCounts[code] as number) + 1;
    } else {
      others ??= new Map();
      others.set(code, (others.get(code) ?? 0) + 1);
    }
  }
  let bits = 0;
  for (const code of seen) {
    const share = (asciiCounts[code] as number) / text.length;
    bits -= share * Math.log2(share);
    asciiCounts[code] = 0;
  }
  for (const count of others?.values() ?? []) bits -= (count / text.length) * Math.log2(count / text.length);
  return bits;
}

/** How far before its keyword a match may start, and how far after it end (longer tokens are followed). */
const BEFORE = 96;
const AFTER = 640;
/** RE2 characters searched per text beyond twice its length. */
const RULE_BUDGET = 131_072;

interface Compiled {
  regex: RE2JS;
  allow: RE2JS[];
}

const RULES = data.rules as RuleData[];
const compiled: (Compiled | undefined)[] = [];
let globalAllow: RE2JS[] | undefined;
let scanner: HintScanner | undefined;
let keywordList: string[] | undefined;
/** For each keyword (by hint id), the rules it belongs to, each with what must follow it there, if anything. */
let keywordRules: { rule: number; follow?: RegExp }[][] = [];

function compile(index: number): Compiled {
  let rule = compiled[index];
  if (!rule) {
    const source = RULES[index] as RuleData;
    rule = { regex: compileRe2(source.regex), allow: (source.allow ?? []).map((a) => compileRe2(a)) };
    compiled[index] = rule;
  }
  return rule;
}

/** The keywords by id, with the rules each belongs to (keywordRules). */
function keywordIds(): string[] {
  if (!keywordList) {
    const ids = new Map<string, number>();
    keywordRules = [];
    for (const [index, rule] of RULES.entries()) {
      for (const keyword of rule.keywords) {
        let id = ids.get(keyword);
        if (id === undefined) {
          id = ids.size;
          ids.set(keyword, id);
          keywordRules.push([]);
        }
        const follow = rule.follow?.[keyword];
        keywordRules[id]?.push(follow ? { rule: index, follow: new RegExp(follow, 'uy') } : { rule: index });
      }
    }
    keywordList = [...ids.keys()];
  }
  return keywordList;
}

function keywordScanner(): HintScanner {
  scanner ??= new HintScanner(keywordIds().map((text) => ({ text, caseless: true })));
  return scanner;
}

/** Every keyword occurrence, as flat pairs [keyword id, end offset] in order of their end. */
function locateKeywords(text: string): number[] {
  return keywordScanner().locate(text);
}

/**
 * The rules (indexes in RULE_IDS) that can match in a text: those with an occurrence of one of their
 * keywords followed by what the rule needs there (RuleData.follow). `hits` are the keyword occurrences.
 */
export function rulesToRun(text: string, hits = locateKeywords(text)): Set<number> {
  const runs = new Set<number>();
  for (let at = 0; at < hits.length; at += 2) {
    for (const { rule, follow } of keywordRules[hits[at] as number] ?? []) {
      if (runs.has(rule)) continue;
      if (follow) follow.lastIndex = hits[at + 1] as number;
      if (!follow || follow.test(text)) runs.add(rule);
    }
  }
  return runs;
}

/** Whether a secret a rule found is one: gitleaks' entropy, allow lists and stopwords. */
function isSecret(index: number, secret: string): boolean {
  const rule = RULES[index] as RuleData;
  if (secret.length < 6) return false;
  if (rule.entropy && entropy(secret) < rule.entropy) return false;
  globalAllow ??= data.allow.map((allowed) => compileRe2(allowed));
  if (globalAllow.some((allowed) => allowed.test(secret))) return false;
  if (compile(index).allow.some((allowed) => allowed.test(secret))) return false;
  const lower = secret.toLowerCase();
  return ![...data.stopwords, ...(rule.stopwords ?? [])].some((word) => lower.includes(word));
}

/** Finds the secrets the rules recognise in a text: calls `found` for each, by rule (index in RULE_IDS). */
export function findRuleSecrets(
  text: string,
  found: (start: number, end: number, rule: number) => boolean,
): void {
  const hits = locateKeywords(text);
  if (hits.length === 0) return;
  // Each rule that can match runs around all its keywords' occurrences, as it would without the test.
  const runs = rulesToRun(text, hits);
  if (runs.size === 0) return;
  // Windows per rule, merged: [start, end) pairs in order of start (hits come in order of their end).
  const windows = new Map<number, number[]>();
  for (let at = 0; at < hits.length; at += 2) {
    const id = hits[at] as number;
    const end = hits[at + 1] as number;
    for (const { rule: index } of keywordRules[id] ?? []) {
      if (!runs.has(index)) continue;
      const start = Math.max(0, end - BEFORE - (RULES[index]?.keywords[0]?.length ?? 0));
      const stop = Math.min(text.length, end + AFTER);
      const list = windows.get(index);
      if (!list) windows.set(index, [start, stop]);
      else if (start <= (list[list.length - 1] as number)) list[list.length - 1] = stop;
      else list.push(start, stop);
    }
  }
  let budget = RULE_BUDGET + text.length / 4;
  for (const [index, list] of windows) {
    const rule = RULES[index] as RuleData;
    const { regex } = compile(index);
    for (let at = 0; at < list.length; at += 2) {
      const start = list[at] as number;
      let end = list[at + 1] as number;
      // A token running past the window is followed to its end.
      while (
        end < text.length &&
        /[\w+/=.~-]/.test(text[end] as string) &&
        end - (list[at + 1] as number) < 1_024
      ) {
        end += 1;
      }
      if (end - start > budget) return;
      budget -= end - start;
      const window = text.slice(start, end);
      if (!regex.test(window)) continue;
      const matcher = regex.matcher(window);
      const groups = matcher.groupCount();
      while (matcher.find()) {
        // gitleaks' secret: the rule's secret group, else its first group that took part, else the match.
        let group = rule.secretGroup ?? 1;
        while (!rule.secretGroup && group < groups && matcher.start(group) < 0) group += 1;
        if (groups === 0 || matcher.start(group) < 0) group = 0;
        const secretStart = matcher.start(group);
        const secretEnd = matcher.end(group);
        const secret = window.slice(secretStart, secretEnd);
        if (!isSecret(index, secret)) continue;
        // A secret the window cut short (a Kubernetes Secret's long base64 value) goes on to its run's end.
        let stop = start + secretEnd;
        if (stop === end) {
          const limit = Math.min(text.length, stop + 65_536);
          while (stop < limit && /[\w+/=.~-]/.test(text[stop] as string)) stop += 1;
        }
        if (!found(start + secretStart, stop, index)) break;
      }
    }
  }
}

/** Every rule's keywords (for the suite's worst case). */
export const RULE_KEYWORDS: readonly string[] = RULES.flatMap((rule) => rule.keywords);

/** The rules' ids, by the index `findRuleSecrets` reports. */
export const RULE_IDS: readonly string[] = RULES.map((rule) => rule.id);
