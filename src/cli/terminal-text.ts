// Text from outside (Infinium's answers, Maestro's evaluations, rollouts, payloads, file names, settings files)
// is data on a terminal, never commands to it. One policy for every character a terminal could act on or
// that hides what is shown: C0 controls (ESC starts CSI/OSC sequences that retitle the window, write the
// clipboard, clear the screen), DEL, C1 controls (U+009B is a one-character CSI on many terminals), Unicode
// format characters (bidi overrides and isolates, zero-width characters, tags), line and paragraph separators
// and lone surrogates. Each is shown as a JSON escape (`\u001b`): visible, and inside JSON strings the very
// same value, so a JSON document passed through here stays exact JSON.

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\p{Cf}\p{Cs}]/gu;
/** A zero-width joiner inside an emoji sequence (👩‍💻, 👩🏽‍💻) only joins pictures: kept. */
const PICTURE_BEFORE = /[\p{Extended_Pictographic}\p{Emoji_Modifier}]\uFE0F?$/u;
const PICTURE_AFTER = /^\p{Extended_Pictographic}/u;

function escapeUnit(unit: number): string {
  return `\\u${unit.toString(16).padStart(4, '0')}`;
}

function escapeChar(char: string): string {
  let text = '';
  for (let i = 0; i < char.length; i += 1) text += escapeUnit(char.charCodeAt(i));
  return text;
}

export interface InertOptions {
  /** Keep line feeds and tabs (multi-line text); otherwise they are escaped too, so one field stays one line. */
  multiline?: boolean;
}

/** `text` with every character a terminal would act on, or that hides text, shown as its escape. */
export function inert(text: string, options: InertOptions = {}): string {
  const keep = options.multiline !== false;
  return text.replace(UNSAFE, (char, offset: number, whole: string) => {
    if (keep && (char === '\n' || char === '\t')) return char;
    if (
      char === '\u200d' &&
      PICTURE_BEFORE.test(whole.slice(Math.max(0, offset - 3), offset)) &&
      PICTURE_AFTER.test(whole.slice(offset + 1, offset + 3))
    )
      return char;
    return escapeChar(char);
  });
}

/** One field of a line (a name, a verdict, a reason): also line feeds and tabs escaped. */
export function inertLine(text: string): string {
  return inert(text, { multiline: false });
}

/** Long outside text (a summary, an error body) cut to `max` characters, saying how much more there is. */
export function cutLong(text: string, max: number, more = '--full prints all of it'): string {
  if (text.length <= max) return text;
  // Never between the two halves of a surrogate pair.
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  const rest = text.length - end;
  return `${text.slice(0, end)}… (${rest} more character${rest === 1 ? '' : 's'}; ${more})`;
}
