// Whether a run of letters and digits was generated (a key, a token, a password) or is made of words (an
// identifier, a file name, a domain). Words are pronounceable: their letter pairs are the ones words use.
// A generated string draws its letters at random, so about a third of its pairs are ones no word has, and
// in a generated string of mixed case and digits the case and the digits switch far more often than in an
// identifier (`getElementById`, `utf8mb4`, `x86_64`). Used for values nothing names a secret (a plain log
// line), where only the shape can tell.
import { entropy } from './secret-rules';

/**
 * The letter pairs of words: for each letter, the letters that follow it in at least 3 of the 5,979
 * distinct lower-case words of English technical prose (the READMEs of this package's dependencies and its
 * own docs; code words such as `npm`, `json`, `mkdir` are among them). 444 of the 676 pairs.
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

/** A run of one kind: a capitalised or lower-case word, an upper-case run, digits. */
const CHUNK = /[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+/g;

/**
 * A part that is a number or hex with a digit (an id, a hash, a date, a UUID's groups): counted as neither
 * words nor random letters.
 */
const NUMBER_OR_HEX = /^(?=[a-f]*[0-9])[0-9a-f]+$|^(?=[A-F]*[0-9])[0-9A-F]+$/;

/**
 * Whether a token looks generated rather than made of words: its letter pairs that no word has, plus its
 * switches between case and digits beyond one every eight characters, reach a sixth of its length (and 3).
 * Numbers and hex parts are left to the id rules; the token needs `shortest` letters and digits besides
 * them (12; 8 for a quoted value, which stands apart from the words around it).
 */
export function looksGenerated(token: string, shortest = 12): boolean {
  let length = 0;
  let letters = 0;
  let oddPairs = 0;
  let switches = 0;
  for (const part of token.split(/[^A-Za-z0-9]+/)) {
    if (part.length < 2 || NUMBER_OR_HEX.test(part)) continue;
    length += part.length;
    const chunks = part.match(CHUNK) ?? [];
    switches += chunks.length - 1;
    for (const chunk of chunks) {
      const code = chunk.charCodeAt(0);
      if (code >= 48 && code <= 57) continue;
      letters += chunk.length;
      const lower = chunk.toLowerCase();
      for (let at = 1; at < lower.length; at += 1)
        if (!WORD_PAIRS.has(lower.slice(at - 1, at + 1))) oddPairs += 1;
    }
  }
  if (length < shortest || letters < Math.min(6, shortest - 3)) return false;
  const score = oddPairs + Math.max(0, switches - length / 8);
  return score >= Math.max(3, length / 6) && entropy(token) >= (length < 12 ? 2.8 : 3);
}
