// What must follow a secret rule's keyword in every match of the rule, derived from the rule's RE2 program
// (re2js compiles a regex to an NFA; its instructions are read here, at rules:update and in the unit test,
// never at run time). The redactor compiles and runs a rule only where one of its keywords occurs followed
// by what the rule needs there (RuleData.follow): gitleaks' short keywords (`s.`, `ey`, `sk`) occur in most
// prose ("commands.", "they", "task"), but a match holds `s.` before 24 letters or digits.
//
// Every path through the program is walked (every assertion taken as passable: a match in any context, a
// window of the text included) along with where it stands in each keyword (ASCII letters in either case, as
// the keyword scanner finds them). From the first keyword occurrence a path reads (the one that ends first),
// the characters each next instruction may read are collected by their distance from it: as far as every
// path holding that keyword first still reads, FOLLOW_CAP at most, and short of the first distance where
// punctuation or a space may come. That occurrence is one in the text, followed by those characters, so
// every text a rule matches has an occurrence that passes the test. A rule that can match without any of
// its keywords gets no test: it runs where any of them occurs, as before.
import { RE2JS } from 're2js';

/** re2js's instruction codes (its Inst class): FAIL (5) goes nowhere, RUNE1 (9) reads as RUNE does. */
const ALT = 1;
const ALT_MATCH = 2;
const CAPTURE = 3;
const EMPTY_WIDTH = 4;
const MATCH = 6;
const NOP = 7;
const RUNE = 8;
const RUNE_ANY = 10;
const RUNE_ANY_NOT_NL = 11;
const FOLD_CASE = 1;
const MAX_RUNE = 0x10ffff;

interface Inst {
  op: number;
  out: number;
  arg: number;
  runes: ArrayLike<number>;
  matchRune(rune: number): boolean;
}

/** How many characters after a keyword the test looks at, at most. */
export const FOLLOW_CAP = 32;

/** The ASCII characters a kept run may hold: letters, digits and the signs tokens are made of. */
const TOKEN_SIGNS = /^[A-Za-z0-9_\-+/=.~]$/;

/** A set of characters: flat sorted [low, high] pairs, not touching. */
type Ranges = number[];

function merge(ranges: Ranges): Ranges {
  const pairs: [number, number][] = [];
  for (let at = 0; at < ranges.length; at += 2) pairs.push([ranges[at] as number, ranges[at + 1] as number]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [low, high] of pairs) {
    const last = out.length - 1;
    if (last > 0 && low <= (out[last] as number) + 1) out[last] = Math.max(out[last] as number, high);
    else out.push(low, high);
  }
  return out;
}

const contains = (ranges: Ranges, rune: number) => {
  for (let at = 0; at < ranges.length; at += 2) {
    if (rune >= (ranges[at] as number) && rune <= (ranges[at + 1] as number)) return true;
  }
  return false;
};

/** Every character one letter of a case-folded literal matches (RE2's folding: `k` also takes U+212A). */
const foldOrbits = new Map<number, Ranges>();
function foldOrbit(inst: Inst): Ranges {
  const rune = inst.runes[0] as number;
  let orbit = foldOrbits.get(rune);
  if (!orbit) {
    orbit = [];
    // Unicode's case pairs all lie below U+20000.
    for (let other = 0; other < 0x20000; other += 1) if (inst.matchRune(other)) orbit.push(other, other);
    orbit = merge(orbit);
    foldOrbits.set(rune, orbit);
  }
  return orbit;
}

/** The characters a reading instruction takes. */
function reads(inst: Inst): Ranges {
  if (inst.op === RUNE_ANY) return [0, MAX_RUNE];
  if (inst.runes.length === 1) {
    const rune = inst.runes[0] as number;
    return (inst.arg & FOLD_CASE) !== 0 ? foldOrbit(inst) : [rune, rune];
  }
  return merge(Array.from(inst.runes));
}

/** The program's instructions, checked to hold only what this walk knows (no lookbehind). */
function program(regex: string): { inst: Inst[]; start: number } {
  const prog = (RE2JS.compile(regex) as unknown as { re2Input: { prog: { inst: Inst[]; start: number } } })
    .re2Input.prog;
  for (const inst of prog.inst) {
    if (inst.op < ALT || inst.op > RUNE_ANY_NOT_NL) throw new Error(`${regex}: instruction ${inst.op}`);
  }
  return prog;
}

/** The instructions after `pc` that go on without reading. */
function successors(inst: Inst): number[] {
  switch (inst.op) {
    case ALT:
    case ALT_MATCH:
      return [inst.out, inst.arg];
    case CAPTURE:
    case EMPTY_WIDTH:
    case NOP:
      return [inst.out];
    default:
      return [];
  }
}

/**
 * Where a path stands in finding some keywords (their ASCII letters in either case, as the keyword
 * scanner): one matcher per keyword, its state the length of the keyword's longest prefix that ends the
 * text read so far.
 */
class KeywordSteps {
  /** The ASCII characters the keywords hold, in lower case. */
  private readonly letters: number[];

  constructor(private readonly keywords: readonly string[]) {
    this.letters = [...new Set(keywords.join(''))].map((char) => char.charCodeAt(0));
  }

  /** What a reading instruction may give the matchers: each keyword letter it takes, and -1 for any other. */
  symbols(ranges: Ranges): number[] {
    const symbols = this.letters.filter(
      (code) => contains(ranges, code) || (code >= 97 && code <= 122 && contains(ranges, code - 32)),
    );
    // Anything else: the ranges hold more characters than the keyword letters (either case) among them.
    let size = 0;
    for (let at = 0; at < ranges.length; at += 2)
      size += (ranges[at + 1] as number) - (ranges[at] as number) + 1;
    const lettersIn = this.letters.reduce(
      (count, code) =>
        count +
        (contains(ranges, code) ? 1 : 0) +
        (code >= 97 && code <= 122 && contains(ranges, code - 32) ? 1 : 0),
      0,
    );
    const other = size > lettersIn;
    return other ? [...symbols, -1] : symbols;
  }

  /** The state of keyword `which`'s matcher after `state` and the character `symbol`. */
  step(which: number, state: number, symbol: number): number {
    const keyword = this.keywords[which] as string;
    // The longest prefix of the keyword that ends (what was matched + the character): a keyword is short.
    const seen = keyword.slice(0, state) + (symbol === -1 ? '\u0000' : String.fromCharCode(symbol));
    for (let length = Math.min(keyword.length, seen.length); length > 0; length -= 1) {
      if (seen.endsWith(keyword.slice(0, length))) return length;
    }
    return 0;
  }
}

/**
 * What every match reads right after its first keyword occurrence (the one that ends first; two that end
 * together are both first), by keyword: one character set per position, as many as every such match reads
 * past it, up to FOLLOW_CAP and up to the first that may hold punctuation or a space. Null when the program
 * can match a text holding none of the keywords.
 */
function followsOf(inst: Inst[], start: number, keywords: readonly string[]): Ranges[][] | null {
  const steps = new KeywordSteps(keywords);
  const at: Ranges[][] = keywords.map(() => Array.from({ length: FOLLOW_CAP }, () => []));
  const shortest = keywords.map(() => FOLLOW_CAP);
  const seen = new Set<string>();
  // Before the first occurrence: each keyword's matcher state. After it: which keywords ended there (a bit
  // each) and how many characters were read since.
  type State = { pc: number; states: number[] } | { pc: number; first: number; after: number };
  const queue: State[] = [{ pc: start, states: keywords.map(() => 0) }];
  while (queue.length > 0) {
    const state = queue.pop() as State;
    const key =
      'states' in state
        ? `${state.pc}:${state.states.join(',')}`
        : `${state.pc}/${state.first}/${state.after}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const here = inst[state.pc] as Inst;
    if (here.op === MATCH) {
      if ('states' in state) return null;
      keywords.forEach((_, which) => {
        if (state.first & (1 << which)) shortest[which] = Math.min(shortest[which] as number, state.after);
      });
    }
    for (const pc of successors(here)) queue.push({ ...state, pc });
    if (here.op < RUNE) continue;
    const ranges = reads(here);
    if ('first' in state) {
      if (state.after < FOLLOW_CAP) {
        keywords.forEach((_, which) => {
          if (state.first & (1 << which)) ((at[which] as Ranges[])[state.after] as Ranges).push(...ranges);
        });
      }
      queue.push({ pc: here.out, first: state.first, after: Math.min(state.after + 1, FOLLOW_CAP) });
      continue;
    }
    for (const symbol of steps.symbols(ranges)) {
      const states = state.states.map((now, which) => steps.step(which, now, symbol));
      let first = 0;
      states.forEach((now, which) => {
        if (now === (keywords[which] as string).length) first |= 1 << which;
      });
      queue.push(first === 0 ? { pc: here.out, states } : { pc: here.out, first, after: 0 });
    }
  }
  return keywords.map((_, which) => {
    const follow: Ranges[] = [];
    for (const ranges of (at[which] as Ranges[]).slice(0, shortest[which])) {
      const set = merge(ranges);
      if (set.length === 0 || punctuation(set)) break;
      follow.push(set);
    }
    return follow;
  });
}

/** Whether a set holds an ASCII character that is not a letter, a digit or a sign of TOKEN_SIGNS. */
function punctuation(set: Ranges): boolean {
  for (let pair = 0; pair < set.length; pair += 2) {
    for (let code = set[pair] as number; code <= Math.min(set[pair + 1] as number, 127); code += 1) {
      if (!TOKEN_SIGNS.test(String.fromCharCode(code))) return true;
    }
  }
  return false;
}

/** A character set as a class of a JavaScript regex with the `u` flag. */
function characterClass(ranges: Ranges): string {
  const one = (code: number) =>
    /^[A-Za-z0-9_+/=.~]$/.test(String.fromCharCode(code))
      ? String.fromCharCode(code)
      : code === 45
        ? '\\-'
        : `\\u{${code.toString(16)}}`;
  let out = '';
  for (let at = 0; at < ranges.length; at += 2) {
    const low = ranges[at] as number;
    const high = ranges[at + 1] as number;
    out += low === high ? one(low) : high === low + 1 ? one(low) + one(high) : `${one(low)}-${one(high)}`;
  }
  return `[${out}]`;
}

/**
 * For each keyword of a rule, a JavaScript regex (flags `uy`) that matches right after any occurrence of
 * the keyword in a text the rule can match; a keyword with nothing to require is left out, and so is every
 * keyword of a rule that can match without them.
 */
export function keywordFollow(regex: string, keywords: readonly string[]): Record<string, string> {
  // What the walk assumes: lower-case printable ASCII keywords, as rules:update writes them, a bit each.
  const odd = keywords.find((keyword) => keyword === '' || !/^[\x20-\x40\x5b-\x7e]+$/.test(keyword));
  if (odd !== undefined || keywords.length > 30)
    throw new Error(`${regex}: keywords ${JSON.stringify(keywords)}`);
  const { inst, start } = program(regex);
  const sets = followsOf(inst, start, keywords);
  const follow: Record<string, string> = {};
  for (const [which, keyword] of keywords.entries()) {
    const positions = sets?.[which] ?? [];
    let source = '';
    for (let at = 0; at < positions.length; ) {
      const set = positions[at] as Ranges;
      const cls = characterClass(set);
      let count = 1;
      while (at + count < positions.length && characterClass(positions[at + count] as Ranges) === cls)
        count += 1;
      // One letter, digit or `_` as itself: `eyJ` rather than `[e][y][J]`.
      const one = set.length === 2 && set[0] === set[1] && /^\w$/.test(String.fromCharCode(set[0] as number));
      source += (one ? String.fromCharCode(set[0] as number) : cls) + (count === 1 ? '' : `{${count}}`);
      at += count;
    }
    if (source !== '') follow[keyword] = source;
  }
  return follow;
}
