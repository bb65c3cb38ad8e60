// The agent secret must not come back out of us in any form: not in a trace (a command that printed the
// credential file, a curl line with our header), not in an error a server or proxy echoed. One scrubber
// serves both: it knows the forms in which a secret is commonly echoed and replaces each occurrence.
// Plain substring search only, so its cost is linear in the text.

export const AGENT_SECRET_MARK = '[REDACTED:agent-secret]';

/** Below this a secret's prefix or encoded fragment is too short to tell from ordinary text. */
const MIN_FORM = 8;

/**
 * The strings that betray `secret`: itself, JSON-escaped (once and twice), URL-encoded (both hex cases),
 * hex, and base64 / base64url at each of the three byte alignments it can have inside a longer encoded
 * text (a Basic header encodes `id:secret`), cut to the characters that depend on the secret alone.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const json = JSON.stringify(secret).slice(1, -1);
  forms.add(json);
  forms.add(JSON.stringify(json).slice(1, -1));
  const url = encodeURIComponent(secret);
  forms.add(url);
  forms.add(url.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
  const bytes = Buffer.from(secret, 'utf8');
  forms.add(bytes.toString('hex'));
  for (let align = 0; align < 3; align += 1) {
    const encoded = Buffer.concat([Buffer.alloc(align), bytes]).toString('base64');
    // Character i carries bits [6i, 6i + 6): keep those that fall inside the secret's bytes.
    const inner = encoded.slice(Math.ceil((8 * align) / 6), Math.floor((8 * (align + bytes.length)) / 6));
    forms.add(inner);
    forms.add(inner.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms].filter((form) => form.length >= Math.min(MIN_FORM, secret.length));
}

export type Scrubber = (text: string) => string;

/**
 * Finds the secrets in a text: calls `found(start, end)` for each [start, end) that holds one of their forms
 * or any 8-character piece of one (a server that cuts what it echoes, a log that wraps it, a half pasted
 * into a command), each run of pieces once, in order; stops when `found` returns false. Secrets shorter
 * than 4 characters are not secrets anyone could tell apart from text, and are ignored; a form shorter than
 * 8 characters is found whole. Linear in the text: one rolling hash of its 8-character windows, looked up
 * in the set of the pieces' hashes, each hit checked.
 */
export type SecretFinder = (text: string, found: (start: number, end: number) => boolean) => void;

const BASE = 0x01000193;
/** BASE to the power MIN_FORM - 1, modulo 2^32: what the character leaving the window weighed. */
const TOP = Array.from({ length: MIN_FORM - 1 }).reduce<number>((power) => Math.imul(power, BASE), 1);

function hashOf(text: string, start: number): number {
  let hash = 0;
  for (let at = start; at < start + MIN_FORM; at += 1)
    hash = (Math.imul(hash, BASE) + text.charCodeAt(at)) | 0;
  return hash;
}

export function makeSecretFinder(secrets: readonly string[]): SecretFinder {
  const usable = [...new Set(secrets)].filter((secret) => secret.length >= 4);
  const forms = [...new Set(usable.flatMap(secretForms))];
  const short = forms.filter((form) => form.length < MIN_FORM);
  const pieces = new Map<number, string[]>();
  for (const form of forms) {
    for (let at = 0; at + MIN_FORM <= form.length; at += 1) {
      const piece = form.slice(at, at + MIN_FORM);
      const hash = hashOf(piece, 0);
      const known = pieces.get(hash);
      if (!known) pieces.set(hash, [piece]);
      else if (!known.includes(piece)) known.push(piece);
    }
  }
  return (text, found) => {
    for (const form of short) {
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + form.length)) {
        if (!found(at, at + form.length)) return;
      }
    }
    if (pieces.size === 0 || text.length < MIN_FORM) return;
    let runStart = -1;
    let runEnd = -1;
    let hash = hashOf(text, 0);
    for (let at = 0; ; at += 1) {
      const candidates = pieces.get(hash);
      if (candidates?.some((piece) => text.startsWith(piece, at))) {
        if (at > runEnd) {
          if (runEnd !== -1 && !found(runStart, runEnd)) return;
          runStart = at;
        }
        runEnd = at + MIN_FORM;
      }
      if (at + MIN_FORM >= text.length) break;
      hash =
        (Math.imul(hash - Math.imul(text.charCodeAt(at), TOP), BASE) + text.charCodeAt(at + MIN_FORM)) | 0;
    }
    if (runEnd !== -1) found(runStart, runEnd);
  };
}

/** Replaces the secrets in a text (see makeSecretFinder) by `mark`, one mark where they overlap or touch. */
export function makeSecretScrubber(secrets: readonly string[], mark: string = AGENT_SECRET_MARK): Scrubber {
  const find = makeSecretFinder(secrets);
  return (text) => {
    const spans: (readonly [number, number])[] = [];
    find(text, (start, end) => spans.push([start, end]) > 0);
    spans.sort((a, b) => a[0] - b[0]);
    let out = '';
    let from = 0;
    for (let index = 0; index < spans.length; ) {
      const [start, first] = spans[index] as readonly [number, number];
      let end = first;
      for (index += 1; index < spans.length && (spans[index]?.[0] as number) <= end; index += 1) {
        end = Math.max(end, spans[index]?.[1] as number);
      }
      out += text.slice(from, start) + mark;
      from = end;
    }
    return out + text.slice(from);
  };
}
