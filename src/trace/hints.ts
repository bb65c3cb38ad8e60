// Which of a fixed set of short ASCII strings (the redaction patterns' hints, the rules' keywords) occur in a
// text. A long text is read in one pass (Aho–Corasick automata) instead of one search per hint: on a 1 MB
// field made of what starts many hints (`x-x-x-...`, `AAAA...`), 80 searches took 20–40 ms. A text of usual
// size is searched once per hint (native substring search, well under a millisecond for a command's output):
// the automata, whose build costs a process about 10 ms, are built the first time a long text comes.

/** A hint: matched with its case, or with ASCII letters of either case. */
export interface Hint {
  text: string;
  caseless: boolean;
}

/** Only ASCII drives the automata: any other character ends every partial hint. */
const ALPHABET = 128;

const isUpper = (code: number) => code >= 65 && code <= 90;

/** An automaton for some of the hints: `next[state * ALPHABET + code]`, and what ends in each state. */
interface Automaton {
  next: Int32Array;
  /** Per state, the ids of the hints that end there (through suffix links too). */
  ends: number[][];
}

function build(hints: readonly Hint[], ids: readonly number[], caseless: boolean): Automaton {
  const fold = (code: number) => (caseless && isUpper(code) ? code + 32 : code);
  const children: Map<number, number>[] = [new Map()];
  const ends: number[][] = [[]];
  for (const id of ids) {
    const text = (hints[id] as Hint).text;
    let state = 0;
    for (let at = 0; at < text.length; at += 1) {
      const code = fold(text.charCodeAt(at));
      let child = children[state]?.get(code);
      if (child === undefined) {
        child = children.length;
        children.push(new Map());
        ends.push([]);
        children[state]?.set(code, child);
      }
      state = child;
    }
    ends[state]?.push(id);
  }
  const next = new Int32Array(children.length * ALPHABET);
  const fail = new Int32Array(children.length);
  // Breadth first: a state's suffix link is shallower, so its transitions are complete when needed.
  const queue: number[] = [0];
  for (let head = 0; head < queue.length; head += 1) {
    const state = queue[head] as number;
    for (let code = 0; code < ALPHABET; code += 1) {
      if (fold(code) !== code) continue;
      const child = children[state]?.get(code);
      const viaFail = state === 0 ? 0 : (next[(fail[state] as number) * ALPHABET + code] as number);
      if (child === undefined) {
        next[state * ALPHABET + code] = viaFail;
        continue;
      }
      next[state * ALPHABET + code] = child;
      fail[child] = viaFail;
      ends[child]?.push(...(ends[viaFail] ?? []));
      queue.push(child);
    }
    // Folded: an upper-case letter goes where its lower case goes.
    for (let upper = 65; caseless && upper <= 90; upper += 1) {
      next[state * ALPHABET + upper] = next[state * ALPHABET + upper + 32] as number;
    }
  }
  return { next, ends };
}

/** Below this length a text is searched once per hint rather than run through the automata. */
const SEARCHED_TEXT = 65_536;

/**
 * The text in lower case, for a search: null when lower-casing would turn another character into an ASCII
 * letter (the Kelvin sign into `k`) or change the length (a dotted capital I), where the automata decide.
 */
function searchable(text: string): string | null {
  if (text.length > SEARCHED_TEXT) return null;
  const lower = text.toLowerCase();
  return lower.length === text.length && !text.includes('\u212A') ? lower : null;
}

/**
 * Finds which hints occur in a text. Hints must be non-empty ASCII. A caseless hint matches ASCII letters
 * of either case only, as a JavaScript regex with the `i` flag (and no `u`) does: no other character
 * folds to an ASCII letter there, so a hint absent here cannot be matched by such a regex either.
 */
export class HintScanner {
  private automata?: { exact: Automaton; caseless: Automaton };
  /** What each hint is searched for: caseless ones in lower case. */
  private readonly needles: readonly string[];

  constructor(private readonly hints: readonly Hint[]) {
    for (const hint of hints) {
      if (hint.text === '' || [...hint.text].some((char) => char.charCodeAt(0) >= ALPHABET)) {
        throw new Error(`not an ASCII hint: ${hint.text}`);
      }
    }
    this.needles = hints.map((hint) => (hint.caseless ? hint.text.toLowerCase() : hint.text));
  }

  private get exact(): Automaton {
    return this.built().exact;
  }

  private get caseless(): Automaton {
    return this.built().caseless;
  }

  private built(): { exact: Automaton; caseless: Automaton } {
    if (!this.automata) {
      const { hints } = this;
      const ids = hints.map((_, id) => id);
      this.automata = {
        exact: build(
          hints,
          ids.filter((id) => !hints[id]?.caseless),
          false,
        ),
        caseless: build(
          hints,
          ids.filter((id) => hints[id]?.caseless),
          true,
        ),
      };
    }
    return this.automata;
  }

  /**
   * Runs both automata over the text: calls `visit(exactState, caselessState, at)` after each character
   * (any non-ASCII one ends every partial hint); stops early when `visit` returns false.
   */
  private walk(text: string, visit: (one: number, other: number, at: number) => boolean): void {
    const exact = this.exact.next;
    const caseless = this.caseless.next;
    let one = 0;
    let other = 0;
    for (let at = 0; at < text.length; at += 1) {
      const code = text.charCodeAt(at);
      if (code >= ALPHABET) {
        one = 0;
        other = 0;
        continue;
      }
      one = exact[one * ALPHABET + code] as number;
      other = caseless[other * ALPHABET + code] as number;
      if (!visit(one, other, at)) return;
    }
  }

  /** found[id] is 1 when hint `id` occurs in `text`. */
  scan(text: string): Uint8Array {
    const found = new Uint8Array(this.hints.length);
    const lower = searchable(text);
    if (lower !== null) {
      for (const [id, hint] of this.hints.entries()) {
        if ((hint.caseless ? lower : text).includes(this.needles[id] as string)) found[id] = 1;
      }
      return found;
    }
    let missing = this.hints.length;
    // The states where a hint not yet found ends; a state is closed once its hints are all found.
    const exactOpen = this.exact.ends.map((ids) => ids.length > 0);
    const caselessOpen = this.caseless.ends.map((ids) => ids.length > 0);
    const reach = (ends: readonly number[]) => {
      for (const id of ends) {
        if (found[id] === 0) {
          found[id] = 1;
          missing -= 1;
        }
      }
    };
    if (missing === 0) return found;
    this.walk(text, (one, other) => {
      if (exactOpen[one]) {
        exactOpen[one] = false;
        reach(this.exact.ends[one] as number[]);
      }
      if (caselessOpen[other]) {
        caselessOpen[other] = false;
        reach(this.caseless.ends[other] as number[]);
      }
      return missing > 0;
    });
    return found;
  }

  /**
   * Every occurrence of every hint, as flat pairs [hint id, end offset], in order of their end. Linear in
   * the text plus the occurrences.
   */
  locate(text: string): number[] {
    const lower = searchable(text);
    if (lower !== null) {
      const found: [end: number, id: number][] = [];
      for (const [id, hint] of this.hints.entries()) {
        const haystack = hint.caseless ? lower : text;
        const needle = this.needles[id] as string;
        for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1))
          found.push([at + needle.length, id]);
      }
      found.sort((a, b) => a[0] - b[0]);
      return found.flatMap(([end, id]) => [id, end]);
    }
    const hits: number[] = [];
    this.walk(text, (one, other, at) => {
      for (const id of this.exact.ends[one] as number[]) hits.push(id, at + 1);
      for (const id of this.caseless.ends[other] as number[]) hits.push(id, at + 1);
      return true;
    });
    return hits;
  }
}
