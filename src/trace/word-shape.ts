// Whether a run of letters and digits was generated (a key, a token, a password) or is made of words (an
// identifier, a file name, a domain). Words are pronounceable: their letter pairs are the ones words use.
// A generated string draws its letters at random, so about a third of its pairs are ones no word has, and
// in a generated string of mixed case and digits the case and the digits switch far more often than in an
// identifier (`getElementById`, `utf8mb4`, `x86_64`). Used for values nothing names a secret (a plain log
// line), where only the shape can tell.
import { entropy } from './secret-rules';

/**
 * The letter pairs of words: those found in at least 3 of the 5,979 distinct lower-case words of English
 * technical prose (the READMEs of this package's dependencies and its own docs, counted once; code words
 * such as `npm`, `json`, `mkdir` are among them). 444 of the 676 pairs.
 */
const WORD_PAIRS = new Set(
  (
    'aa ab ac ad af ag ah ai aj ak al am an ap ar as at au av aw ax ay az ba bb bc bd be bf bi bj bl ' +
    'bm bn bo bp br bs bt bu by ca cc cd ce cf cg ch ci ck cl cm co cp cr cs ct cu cy da db dc dd de ' +
    'df dg di dj dl dm dn do dp dr ds dt du dv dy ea eb ec ed ee ef eg eh ei ej ek el em en eo ep eq ' +
    'er es et eu ev ew ex ey ez fa fb fc fe ff fi fl fm fn fo fr fs ft fu fw fy ga gb gc ge gf gg gh ' +
    'gi gl gm gn go gr gs gt gu gw gy gz ha he hi hl hm hn ho hp hr hs ht hu hw hy ia ib ic id ie if ' +
    'ig ij ik il im in io ip ir is it iu iv ix iy iz ja je jo jp js ju ka kb kd ke kf kg ki kl kn ko ' +
    'kp ks kt ku ky la lb lc ld le lf lg li lj lk ll lm ln lo lp lr ls lt lu lv ly ma mb mc md me mg ' +
    'mi mk ml mm mn mo mp mr ms mt mu mx my na nb nc nd ne nf ng nh ni nj nk nl nm nn no np nr ns nt ' +
    'nu nv nw ny nz oa ob oc od oe of og oi oj ok ol om on oo op or os ot ou ov ow ox oy oz pa pb pc ' +
    'pd pe pf pg ph pi pk pl pm pn po pp pr ps pt pu pv pw py ql qu ra rb rc rd re rf rg rh ri rk rl ' +
    'rm rn ro rp rr rs rt ru rv rw ry sa sb sc sd se sf sh si sk sl sm sn so sp sq sr ss st su sv sw ' +
    'sx sy ta tb tc td te tf tg th ti tl tm tn to tp tr ts tt tu tw ty ua ub uc ud ue uf ug ui ul um ' +
    'un uo up ur us ut ux uz va ve vi vm vo vs vt vu wa wd we wg wh wi wl wn wo wr ws xa xc xd xe xh ' +
    'xi xo xp xt xx xy ya yb yc ye yf yi yl ym yn yo yp yr ys yt yw yz za ze zi zl zo zz'
  ).split(' '),
);

/** WORD_PAIRS as a 26 x 26 table (first letter * 26 + second): 1 where words have the pair. */
const WORD_PAIR = new Uint8Array(26 * 26);
for (const pair of WORD_PAIRS) WORD_PAIR[(pair.charCodeAt(0) - 97) * 26 + pair.charCodeAt(1) - 97] = 1;

/** 1 a digit, 2 an upper-case letter, 3 a lower-case one, 0 anything else. */
function kindOf(code: number): number {
  if (code >= 48 && code <= 57) return 1;
  if (code >= 65 && code <= 90) return 2;
  return code >= 97 && code <= 122 ? 3 : 0;
}

/** Whether token[start, end) is a number or hex with a digit (an id, a hash, a date, a UUID's groups). */
function numberOrHex(token: string, start: number, end: number): boolean {
  let digit = false;
  let lower = false;
  let upper = false;
  for (let at = start; at < end; at += 1) {
    const code = token.charCodeAt(at);
    if (code >= 48 && code <= 57) digit = true;
    else if (code >= 97 && code <= 102) lower = true;
    else if (code >= 65 && code <= 70) upper = true;
    else return false;
  }
  return digit && !(lower && upper);
}

/**
 * Whether a token looks generated rather than made of words: its letter pairs that no word has, plus its
 * switches between case and digits beyond one every eight characters, reach a sixth of its length (and 3).
 * A word is a capitalised or lower-case run, an upper-case run or digits (`getHTTPResponse2`: get, HTTP,
 * Response, 2); pairs count within words. Numbers and hex parts are left to the id rules; the token needs
 * `shortest` letters and digits besides them (12; 8 for a quoted value, which stands apart from the words
 * around it). One pass, no allocation: it runs on every long token of every text.
 */
export function looksGenerated(token: string, shortest = 12): boolean {
  let length = 0;
  let letters = 0;
  let oddPairs = 0;
  let switches = 0;
  let start = 0;
  for (let end = 0; end <= token.length; end += 1) {
    if (end < token.length && kindOf(token.charCodeAt(end)) !== 0) continue;
    if (end - start >= 2 && !numberOrHex(token, start, end)) {
      length += end - start;
      // The pair before a letter: odd (1), a word's (0), or none (-1: not two letters of one word).
      let previousPair = -1;
      let code = token.charCodeAt(start);
      let kind = kindOf(code);
      let before = 0;
      if (kind !== 1) letters += 1;
      for (let at = start + 1; at < end; at += 1) {
        const beforeThat = before;
        const previous = code;
        before = kind;
        code = token.charCodeAt(at);
        kind = kindOf(code);
        if (kind !== 1) letters += 1;
        let pair = -1;
        if (kind === 1 || before === 1) {
          if (kind !== before) switches += 1;
        } else if (kind === 2 && before === 3) switches += 1;
        else if (kind === 3 && before === 2 && beforeThat === 2) {
          // `HTTPResponse`: the last capital starts the next word; its pair with the run before is none.
          switches += 1;
          if (previousPair === 1) oddPairs -= 1;
          pair = WORD_PAIR[(previous - 65) * 26 + code - 97] === 1 ? 0 : 1;
        } else pair = WORD_PAIR[((previous | 32) - 97) * 26 + (code | 32) - 97] === 1 ? 0 : 1;
        if (pair === 1) oddPairs += 1;
        previousPair = pair;
      }
    }
    start = end + 1;
  }
  if (length < shortest || letters < Math.min(6, shortest - 3)) return false;
  const score = oddPairs + Math.max(0, switches - length / 8);
  return score >= Math.max(3, length / 6) && entropy(token) >= (length < 12 ? 2.8 : 3);
}
