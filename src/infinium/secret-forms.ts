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
 * Finds the secrets in a text: calls `found(start, end)` for each [start, end) that is one of their forms
 * or a long prefix of one (at least half of it, 8 characters or more: a server that cuts what it echoes),
 * form after form, each form's places in order; stops a form when `found` returns false. Occurrences of
 * different forms may overlap. Secrets shorter than 4 characters are not secrets anyone could tell apart
 * from text, and are ignored. Plain substring search: linear in the text for each form.
 */
export type SecretFinder = (text: string, found: (start: number, end: number) => boolean) => void;

export function makeSecretFinder(secrets: readonly string[]): SecretFinder {
  const usable = [...new Set(secrets)].filter((secret) => secret.length >= 4);
  const forms = [...new Set(usable.flatMap(secretForms))];
  const prefixes = usable
    .filter((secret) => secret.length >= 2 * MIN_FORM)
    .map((secret) => ({ secret, prefix: secret.slice(0, Math.ceil(secret.length / 2)) }));
  return (text, found) => {
    // A whole form also starts with the prefix: where one was found, the prefix says nothing more.
    const formStarts = new Set<number>();
    for (const form of forms) {
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + form.length)) {
        if (!found(at, at + form.length)) break;
        formStarts.add(at);
      }
    }
    for (const { secret, prefix } of prefixes) {
      for (let at = text.indexOf(prefix); at !== -1; ) {
        // The echo may go on past the prefix: take every further character that continues the secret.
        let end = at + prefix.length;
        while (end - at < secret.length && text[end] === secret[end - at]) end += 1;
        if (!formStarts.has(at) && !found(at, end)) break;
        at = text.indexOf(prefix, end);
      }
    }
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
