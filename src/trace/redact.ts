// Secret-looking values in prompts, commands, outputs and messages are replaced by `[REDACTED:<kind>]`
// before a trace is kept or sent. The patterns aim at things that are secrets by their shape (provider
// prefixes, key blocks, JWTs) or by their name (`*_TOKEN=...`, `password: ...`, `--password ...`,
// `Authorization:` headers); ordinary code that merely talks about keys and tokens (`const token =
// tokens[i]`, `password: string;`) must pass unchanged: the tests hold examples of both.
//
// No text can make redaction slow (64 KB of `A_KEY=A_KEY=...(` once took 3.6 s). The built-in patterns run
// on JavaScript's engine, each written so that matching takes time linear in the text (see SECRET_PATTERNS);
// the user's `redactPatterns` run on RE2 (re2js, a pure-JS port), linear whatever the pattern. Every
// pattern runs once over the text, its matches judged in code (what a lookahead used to exclude, a
// reference such as `$TOKEN` or a call, is judged on the match), and the marks go in at the end; a pattern
// finds at most MATCHES_PER_PATTERN secrets per text. A 1 MB field takes tens of milliseconds.
import { compileRe2 } from '../config/re2';
import { makeSecretFinder } from '../infinium/secret-forms';
import { type Hint, HintScanner } from './hints';
import { entropy, findRuleSecrets, RULE_IDS } from './secret-rules';
import { looksGenerated } from './word-shape';

interface Match {
  /** Capturing groups by number; 0 is the whole match. Unmatched groups are undefined. */
  groups: readonly (string | undefined)[];
  text: string;
  start: number;
  end: number;
}

/** A part of the text as [start, end) UTF-16 offsets. */
type Range = readonly [start: number, end: number];

interface SecretPattern {
  kind: string;
  /** JavaScript syntax, written to match in linear time (see below). */
  source: string;
  /** Flags besides `g`. */
  flags?: string;
  /**
   * Literal strings one of which any match contains. A plain substring search is many times faster than
   * running the regex, and most text (command output) holds none of them.
   */
  hints?: readonly string[];
  /** Same purpose, for case-insensitive names: ASCII letters match in either case. */
  lowerHints?: readonly string[];
  /** The secret in a match (the whole match by default), or null when the match holds none. */
  secret?: (match: Match) => Range | null;
  /** Shape-recognised tokens: a token wrapped onto the next line is taken with its continuation. */
  wraps?: boolean;
  /** Where the secret really starts, at or before the match, not before `floor` (what is already done). */
  reachBack?: (text: string, start: number, floor: number) => number;
}

const mark = (kind: string) => `[REDACTED:${kind}]`;

/**
 * Where group `group` of a match lies, the groups before it running one after another from the match's
 * start, as in every pattern here. Should a pattern ever break that, the whole match goes.
 */
function groupRange(match: Match, group: number): Range {
  let start = match.start;
  for (let before = 1; before < group; before += 1) start += match.groups[before]?.length ?? 0;
  const value = match.groups[group] ?? '';
  return match.text.startsWith(value, start) ? [start, start + value.length] : [match.start, match.end];
}

/** The secret is group `group` when `judge` says its value is one; what comes before and after it stays. */
const secretGroup =
  (group: number, judge: (value: string, match: Match) => boolean = () => true) =>
  (match: Match): Range | null =>
    judge(match.groups[group] ?? '', match) ? groupRange(match, group) : null;

/** Where a secret is kept, not the secret: `$TOKEN`, `${X}`, `process.env.X`, `os.environ[...]`, a mark. */
const REFERENCE = /^(?:\$|%\w+%|\{\{|<[\w -]+>$|process\.env|os\.environ|os\.getenv|ENV\[|env\.|\[REDACTED:)/;

/** Words a value takes in code and schemas rather than being a secret (`password: string;`). */
const NOT_SECRETS = new Set([
  'string',
  'str',
  'text',
  'bool',
  'boolean',
  'number',
  'int',
  'integer',
  'bytes',
  'object',
  'any',
  'none',
  'null',
  'nil',
  'undefined',
  'true',
  'false',
  'yes',
  'no',
  'required',
  'optional',
  'hidden',
  'masked',
  'redacted',
  'secret',
  'password',
  'token',
  'todo',
  'changeme',
  'pass',
  'passwd',
  'pw',
  'await',
  'new',
  'this',
  'self',
  'typeof',
  'function',
  'lambda',
  'require',
  'import',
  'yield',
  'async',
]);

/** The match goes on as a call or an index: `getpass()`, `tokens[i]`, `Record<...>`. */
const followedByOpening = (match: Match) => /[([{<]/.test(match.text[match.end] ?? ' ');

/** A bare value that is code, a type, a path, prose or a reference rather than a secret. */
function notASecret(value: string, match: Match): boolean {
  const v = value.replace(/[;,]+$/, '');
  if (v.startsWith(':')) return true;
  if (v.length < 3 || REFERENCE.test(v) || NOT_SECRETS.has(v.toLowerCase())) return true;
  if (followedByOpening(match)) return true;
  // A property path (`req.body.password`, `self.token`) or a file path.
  if (/^[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)+$/.test(v) || /^(?:~|\.{1,2})?\//.test(v)) return true;
  // An identifier in code: camelCase or PascalCase (`fromFile`, `FoundSecret`), an ENV_NAME.
  if (/^[a-z]+[A-Z][A-Za-z]*$|^[A-Z][a-z]+[A-Z][A-Za-z]*$|^[A-Z]+(?:_[A-Z]+)+$/.test(v)) return true;
  const after = match.text.slice(match.end, match.end + 4);
  // An operand (`x === y`, `a ?? b`) or, after a colon, the first word of a sentence (`secret: what ...`).
  if (/^[A-Za-z_$][\w$]*$/.test(v) && /^ ?(?:[=!?&|<>+*/%]|$)/.test(after) && after !== '') return true;
  if (/^[A-Za-z]+$/.test(v) && /^ [A-Za-z`(]/.test(after) && /:/.test(match.groups[2] ?? '')) return true;
  // A lone run of dots or stars is a mask someone already applied.
  return /^[*.x•]+$/i.test(v);
}

/** A token-like value (API key, access token): random-looking, not a word. */
function looksRandom(value: string): boolean {
  if (value.length < 8) return false;
  if (/^[A-Za-z]+$/.test(value)) return value.length >= 16 && /[a-z]/.test(value) && /[A-Z]/.test(value);
  return /[0-9]/.test(value) || value.length >= 16;
}

// Keywords that end a name whose value is a password or a secret (any value), and those whose value is a
// token or key (a random-looking value). A match starts at the keyword, not at the name's start: the name's
// front stays as it is, and the engine never scans an identifier from every one of its positions. The
// keyword must be followed by the separator, so `tokens = ...` or `token_count: 5` is not a name of either.
const PASSWORD_KEYWORD = String.raw`pass(?:word|wd|phrase)|[_-](?:pass|pwd)`;
const TOKEN_KEYWORD = String.raw`secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|secret[_-]?key|auth[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key|credentials?|auth`;
/** Names that are a key or secret whatever their value looks like (the old `apiKey = "..."` rule). */
const KEY_NAME =
  /^(?:api[_-]?key|apikey|access[_-]?key|private[_-]?key|secret[_-]?key|auth[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key)$/i;
// A key's closing quote and a value's opening quote may each be escaped (JSON inside a JSON string inside a
// JSON string).
// Make's `::=`, `:::=` and `?=`, PHP's `.=`; a declared type between name and sign (`var apiToken string =`).
const ASSIGN = String.raw`\\{0,4}["']?(?:[ \t]{1,8}[A-Za-z_][\w.]{0,30})?[ \t]{0,8}(?:=>|:{1,3}=|[?.]=|=|:)[ \t]{0,8}`;
/** Also a quoted name and value as a call's arguments: `setProperty("ACCESS_TOKEN", "...")`. */
const ASSIGN_OR_ARGUMENT = String.raw`(?:${ASSIGN}|\\{0,4}["'][ \t]{0,8},[ \t]{0,8})`;
const TAB = String.raw`\\{0,4}["']?\t{1,8}`;
const QUOTED = String.raw`\\{0,4}"([^"\\\r\n]{3,1024})\\{0,4}"|'([^'\r\n]{3,1024})'`;
const BARE = String.raw`([^\s'"\x60;,(){}[\]<>\\]{3,})`;
/**
 * The rest of a name past its keyword (`some_api_token_123`, `db.password.prod`): after `_`, `-`, `.` or a
 * digit only, so `tokens`, `tokenizer` or `secretary` are other words.
 */
const NAME_REST = String.raw`(?:[_.\-0-9][\w.-]{0,40})?`;
/** Names that go on past a keyword into what is not a secret (`token_type`, `secret_name`, `key_id`). */
const NOT_SECRET_NAME =
  /[_.-](?:name|id|ids|type|url|uri|path|file|dir|length|len|size|count|endpoint|version|expiry|expires|expires_in|expiration|at|ttl|header|field|env|var|prefix|hint|policy|provider|method|scope|scopes|kind|format|ref|label|store|storage|manager|mode|enabled|rotation|limit|timeout|index)$/i;
/** A command's options up to the one that matters, on the same line and not past a pipe or `;`. */
const SAME_COMMAND = String.raw`[^\r\n;|&]{0,200}?`;
// Not another option: `--with-token --token x` is two options.
const OPTION_VALUE = String.raw`('[^'\r\n]{0,1024}'|"[^"\r\n]{0,1024}"|[^\s'"-][^\s'"]*)`;

const NAME_HINTS = ['pass', 'secret', 'token', 'key', 'credential', 'auth', 'pwd'];

/** One group of a quoted value, whichever quote it had. */
const quotedValue = (match: Match, first: number) => match.groups[first] ?? match.groups[first + 1] ?? '';

/** The secret is the quoted value (without its quotes) when `judge` says it is one. */
const quotedSecret =
  (judge: (value: string, name: string) => boolean) =>
  (match: Match): Range | null => {
    const value = quotedValue(match, 3);
    if (REFERENCE.test(value) || !judge(value, match.groups[1] ?? '')) return null;
    const at = match.start + (match.groups[0] ?? '').lastIndexOf(value);
    return [at, at + value.length];
  };

/** An option's value without its quotes, judged like any secret value. */
function optionValueIsSecret(value: string): boolean {
  const v = value.replace(/^['"]|['"]$/g, '').replace(/[\x60,;.)]+$/, '');
  return v.length >= 3 && !v.startsWith('-') && !REFERENCE.test(v) && !NOT_SECRETS.has(v.toLowerCase());
}

// Every pattern is written so that matching stays linear in the text on JavaScript's engine: a run of
// unbounded length is only ever the last element of a pattern (it cannot fail once it has its minimum, so
// the engine never backtracks through it), every run followed by something else is bounded, and what a
// lookahead used to exclude is judged on the match in code, after which the scan goes on past the match.
// Matching restarts only where a new keyword starts, never inside a run already scanned.
const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    kind: 'private-key',
    // A whole key block, or its start when the rest was cut off.
    source: String.raw`-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----|$)`,
    hints: ['PRIVATE KEY'],
  },
  {
    kind: 'private-key',
    // The end of a key block whose start was cut off: the key lines before it go too.
    source: String.raw`-----END[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----`,
    hints: ['PRIVATE KEY'],
    reachBack: (text, start, floor) => {
      let at = start;
      while (at > floor && start - at < 65_536 && /[A-Za-z0-9+/=\r\n\\ ]/.test(text[at - 1] as string))
        at -= 1;
      return at;
    },
  },
  {
    kind: 'aws-access-key',
    source: String.raw`\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|APKA)[0-9A-Z]{16}\b`,
    hints: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'AGPA', 'AIDA', 'AROA', 'ANPA', 'ANVA', 'APKA'],
  },
  {
    kind: 'azure-key',
    // Storage / Service Bus connection strings: AccountKey=<base64>;
    source: String.raw`\b(AccountKey=|SharedAccessKey=)([A-Za-z0-9+/]{20,}={0,2})`,
    hints: ['AccountKey=', 'SharedAccessKey='],
    secret: secretGroup(2),
  },
  {
    kind: 'google-api-key',
    // Not `\b` at the end: a key may end in `-`.
    source: String.raw`\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])`,
    hints: ['AIza'],
    wraps: true,
  },
  {
    kind: 'google-oauth-token',
    source: String.raw`\bya29\.[0-9A-Za-z_-]{20,}|\b1\/\/0[0-9A-Za-z_-]{30,}`,
    hints: ['ya29.', '1//0'],
    wraps: true,
  },
  {
    kind: 'github-token',
    source: String.raw`\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b`,
    hints: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    wraps: true,
  },
  {
    kind: 'gitlab-token',
    source: String.raw`\bgl(?:pat|dt|ptt|rt|cbt|oas|ft|imt|agent|soat)-[A-Za-z0-9_-]{20,}`,
    hints: [
      'glpat-',
      'gldt-',
      'glptt-',
      'glrt-',
      'glcbt-',
      'gloas-',
      'glft-',
      'glimt-',
      'glagent-',
      'glsoat-',
    ],
    wraps: true,
  },
  {
    kind: 'slack-token',
    source: String.raw`\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-[0-9]-[A-Za-z0-9-]{10,}`,
    hints: ['xox', 'xapp-'],
  },
  {
    kind: 'slack-webhook',
    source: String.raw`https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]+`,
    hints: ['hooks.slack.com'],
  },
  { kind: 'anthropic-key', source: String.raw`\bsk-ant-[A-Za-z0-9_-]{20,}`, hints: ['sk-ant-'], wraps: true },
  {
    kind: 'openai-key',
    source: String.raw`\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}`,
    hints: ['sk-'],
    wraps: true,
  },
  {
    kind: 'stripe-key',
    source: String.raw`\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,255}\b|\bwhsec_[A-Za-z0-9]{24,255}\b`,
    hints: ['_live_', '_test_', 'whsec_'],
    wraps: true,
  },
  {
    kind: 'huggingface-token',
    source: String.raw`\b(?:hf|api_org)_[A-Za-z0-9]{30,255}\b`,
    hints: ['hf_', 'api_org_'],
    wraps: true,
  },
  { kind: 'npm-token', source: String.raw`\bnpm_[A-Za-z0-9]{36}\b`, hints: ['npm_'] },
  { kind: 'pypi-token', source: String.raw`\bpypi-[A-Za-z0-9_-]{50,}`, hints: ['pypi-'], wraps: true },
  {
    kind: 'service-token',
    // Other providers' documented token prefixes: SendGrid, DigitalOcean, Docker Hub, Shopify, Linear,
    // Vault, Doppler, Sentry, Grafana, Groq, Replicate, Perplexity, Atlassian, age, Postman, Databricks,
    // Mailgun (`key-`, `pubkey-`), Plaid (`access-sandbox-<uuid>`).
    source: String.raw`\bSG\.[A-Za-z0-9_-]{16,64}\.[A-Za-z0-9_-]{16,}|\b(?:dop|doo|dor)_v1_[a-f0-9]{64}\b|\bdckr_pat_[A-Za-z0-9_-]{20,}|\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b|\blin_(?:api|oauth)_[A-Za-z0-9]{32,}|\bhv[sbr]\.[A-Za-z0-9_-]{24,}|\bdp\.(?:pt|st|ct|sa|scim|audit)\.[A-Za-z0-9]{40,}|\bsntr[ysu]_[A-Za-z0-9+/=_-]{32,}|\bglsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}\b|\bgsk_[A-Za-z0-9]{40,}|\br8_[A-Za-z0-9]{37}\b|\bpplx-[A-Za-z0-9]{40,}|\bATATT3[A-Za-z0-9_=-]{40,}|\bAGE-SECRET-KEY-1[0-9A-Z]{58}\b|\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b|\bdapi[a-fA-F0-9]{32}\b|\b(?:pub)?key-[a-fA-F0-9]{32}\b|\baccess-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`,
    hints: [
      'SG.',
      '_v1_',
      'dckr_pat_',
      'shp',
      'lin_',
      'hvs.',
      'hvb.',
      'hvr.',
      'dp.',
      'sntr',
      'glsa_',
      'gsk_',
      'r8_',
      'pplx-',
      'ATATT3',
      'AGE-SECRET-KEY-1',
      'PMAK-',
      'dapi',
      'key-',
      'access-',
    ],
    wraps: true,
  },
  {
    kind: 'service-token',
    // Tokens whose own prefix names them, where gitleaks' rule also wants the service's name before them:
    // Defined Networking, Dropbox short-lived, GoCardless, Mapbox, New Relic, Typeform, Yandex.
    source: String.raw`\bdnkey-[A-Za-z0-9=_-]{26}-[A-Za-z0-9=_-]{52}|\bsl\.[A-Za-z0-9=_-]{135,}|\blive_[A-Za-z0-9=_-]{40}(?![A-Za-z0-9=_-])|\bpk\.[A-Za-z0-9]{60}\.[A-Za-z0-9]{22}\b|\bNR(?:JS-[a-f0-9]{19}\b|II-[A-Za-z0-9-]{32}|AK-[A-Za-z0-9]{27}\b)|\btfp_[A-Za-z0-9_.=-]{59}|\bt1\.[A-Za-z0-9_-]{1,256}={0,2}\.[A-Za-z0-9_-]{86}={0,2}|\bAQVN[A-Za-z0-9_-]{35,38}(?![A-Za-z0-9_-])`,
    hints: ['dnkey-', 'sl.', 'live_', 'pk.', 'NRJS-', 'NRII-', 'NRAK-', 'tfp_', 't1.', 'AQVN'],
    wraps: true,
  },
  {
    kind: 'service-token',
    // Tokens that start with a numeric id: a Telegram bot's `<bot id>:AA...`, a Facebook app token
    // `<app id>|<secret>` (also URL-encoded). The id goes with the secret: a bare token's judge would keep it.
    source: String.raw`\b[0-9]{5,16}:A[A-Za-z0-9_-]{34}(?![A-Za-z0-9_-])|\b[0-9]{15,16}(?:\||%7[Cc]|%)[0-9A-Za-z_-]{27,40}(?![0-9A-Za-z_-])`,
    hints: [':A', '|', '%'],
  },
  {
    kind: 'assignment',
    // The text of an XML element named like a secret (`<accessToken>` and a random value on the next line,
    // `<password>...</password>`): a password-like name's any value, a token-like name's random one.
    source: String.raw`<((?:[A-Za-z_][\w.-]{0,40})?(?:pass(?:word|wd|phrase)|secret|token|key|credentials?))>(\s{0,64})([^<>\s]{3,1024})\s{0,64}<\/\1>`,
    flags: 'i',
    lowerHints: NAME_HINTS,
    secret: (match) => {
      const name = match.groups[1] ?? '';
      const value = match.groups[3] ?? '';
      if (REFERENCE.test(value) || NOT_SECRETS.has(value.toLowerCase()) || NOT_SECRET_NAME.test(name))
        return null;
      if (/^[*.x•]+$/i.test(value)) return null; // a mask

      if (!/pass/i.test(name) && !looksRandom(value) && !randomLetters(value)) return null;
      const start = match.start + 2 + name.length + (match.groups[2] ?? '').length;
      return [start, start + value.length];
    },
  },
  {
    kind: 'token',
    // A well-known token broken over two lines (a terminal's width) too early for its own pattern to see.
    source: String.raw`\b(?:gh[pousr]_|github_pat_|gl(?:pat|dt|rt)-|sk-(?:ant-|proj-)?|xox[abposre]-|hf_|npm_|pypi-|AKIA|AIza)[A-Za-z0-9_-]{4,255}\r?\n[A-Za-z0-9_-]{4,255}(?![^\r\n])`,
    hints: ['\n'],
    secret: (match) =>
      (match.groups[0] ?? '').replace(/\s/g, '').length >= 20 ? [match.start, match.end] : null,
  },
  {
    kind: 'jwt',
    // Only where a run of token characters starts: a candidate inside a run already scanned would rescan it.
    // Any payload (not only a JSON object's `eyJ`), an empty signature (`alg: none`), five parts (JWE).
    source: String.raw`(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){0,3}`,
    hints: ['eyJ'],
  },
  {
    kind: 'url-signature',
    // A signed URL's signature and credentials (S3 and GCS presigned URLs, Azure SAS `sig=`, tokens and
    // keys passed as query parameters): the parameter's name stays.
    source: String.raw`([?&;](?:sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|googleaccessid|secret|client_secret|token|access_token|refresh_token|id_token|auth|api_?key|apikey|key|password|passwd|pwd|code)=)([^&#\s'"<>\\]{6,})`,
    flags: 'i',
    lowerHints: ['sig', 'signature', 'credential', 'token', 'key', 'secret', 'auth', 'pass', 'pwd', 'code'],
    secret: secretGroup(2, (value) => !REFERENCE.test(value) && !/^\[REDACTED/.test(value)),
  },
  {
    kind: 'private-key',
    // A PuTTY key file's private part (its public lines are public).
    source: String.raw`(Private-Lines:[ \t]*\d{1,4}\r?\n)((?:[A-Za-z0-9+/=]{1,128}\r?\n){1,64}(?:Private-MAC:[ \t]*[0-9a-fA-F]{1,128})?)`,
    hints: ['Private-Lines:'],
    secret: secretGroup(2),
  },
  {
    kind: 'url-password',
    // scheme://user:password@host: the user and host stay readable. The password runs to the last `@`
    // before the path, so one containing `@` goes whole.
    source: String.raw`(\/\/[^\s:/@'"]{1,256}:)([^\s/'"]{1,1024})(@)`,
    hints: ['@'],
    secret: secretGroup(2, (value) => !REFERENCE.test(value) && !NOT_SECRETS.has(value.toLowerCase())),
  },
  {
    kind: 'header',
    // Authorization, Cookie and API-key headers (our own x-agent-key included), as sent or as printed
    // (also a log's `Authorization=Bearer <token>`), also as keys of a JSON headers object. An auth scheme word stays readable. An `x-` name is not
    // taken from inside another name (after a `-`): 1 MB of `x-x-x-...` would be tried from every dash.
    source: String.raw`\b((?:proxy-)?authorization|(?:set-)?cookie|(?<!-)x-[a-z0-9-]{0,40}?(?:key|token|secret|auth|signature|session)|api-?key|private-token)(\\{0,4}["']?[ \t]{0,8}[:=][ \t]{0,8}\\{0,4}["']?)((?:(?:bearer|basic|token|digest|negotiate|ntlm|apikey|sso-key)[ \t]{1,8}(?:["'](?=[^\s+'"]))?)?)([^\r\n"'\\]{6,})`,
    flags: 'i',
    lowerHints: ['authorization', 'cookie', 'key', 'token', 'secret', 'auth', 'signature', 'session'],
    secret: (match) => {
      const [start, whole] = groupRange(match, 4);
      let end = whole;
      let value = (match.groups[4] ?? '').trim();
      // `name=value` (a log's, a query's) is one word, and only a random-looking one: prose and code name
      // options so (`--api-key=x`).
      if ((match.groups[2] ?? '').includes('=')) {
        value = /^[^\s,;)\x60]*/.exec(value)?.[0] ?? '';
        end = start + value.length;
        // Code: an index, a call, a property path (`cookies[0]`, `keys2[i]`, `req.headers.cookie`).
        if (/[[\](){}<>]/.test(value) || /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(value)) return null;
        if (!looksRandom(value) && !randomLetters(value)) return null;
      }
      if (value.length < 6 || REFERENCE.test(value) || value.includes('${')) return null;
      // Code (`agent.secret()`, `config.key,`), prose about a header, or a placeholder (`Bearer ...`).
      if (/^[\x60),;.<]|^[A-Za-z_$][\w$.]*\(|^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+[,;)]?$/.test(value))
        return null;
      if (/^(?:bearer|basic|token|digest|negotiate|ntlm)$/i.test(value)) return null;
      return [start, end];
    },
  },
  {
    kind: 'bearer',
    source: String.raw`\b(Bearer|Basic|token)(\s{1,8})([A-Za-z0-9._~+/-]{16,}=*)`,
    hints: ['Bearer', 'Basic', 'token'],
    secret: secretGroup(3),
  },
  {
    kind: 'cli-password',
    // Password and token options of common CLIs: `--password x`, `--api-key=x`, `-storepass x`, ...
    source: String.raw`(\s--?(?:[a-z0-9]{1,20}-){0,5}(?:password|passwd|passphrase|pass|secret|token|api-?key|access-key|secret-key|private-key|client-secret|storepass|keypass|srcstorepass|deststorepass|srckeypass|destkeypass)(?:=|[ \t]{1,8}))${OPTION_VALUE}`,
    flags: 'i',
    lowerHints: ['pass', 'secret', 'token', 'key'],
    secret: secretGroup(2, optionValueIsSecret),
  },
  {
    kind: 'cli-password',
    // A password glued to its option: `mysql -p<password>`, `7z x -p<password>`.
    source: String.raw`(\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mysqlsh|mysqlpump|mariadb|mariadb-dump|mycli|7z|7za|7zr|unrar|rar)\b${SAME_COMMAND}\s-p)${OPTION_VALUE}`,
    hints: ['-p'],
    secret: secretGroup(2, optionValueIsSecret),
  },
  {
    kind: 'cli-password',
    // Short password options: `sshpass -p x`, `redis-cli -a x`, `zip -P x`, `docker login -p x`,
    // `mongosh -p x`, `openssl ... -passin pass:x`, `smbclient -U user%<password>`.
    source: String.raw`(\b(?:sshpass[ \t]{1,8}-p|redis-cli\b${SAME_COMMAND}\s-a|(?:un)?zip\b${SAME_COMMAND}\s-P|(?:docker|podman|buildah|helm|skopeo|oras)[ \t]{1,8}(?:registry[ \t]{1,8})?login\b${SAME_COMMAND}\s-p|mongo(?:sh|dump|restore)?\b${SAME_COMMAND}\s-p)[ \t]{0,8}|\s-pass(?:in|out)?[ \t]{1,8}pass:|\s-U[ \t]{1,8}['"]?[^\s%'"]{1,64}%)${OPTION_VALUE}`,
    hints: ['-p', '-a', '-P', '-U', 'pass:'],
    secret: secretGroup(2, optionValueIsSecret),
  },
  {
    kind: 'cli-password',
    // curl/wget `-u user:password`: the user stays. A token passed as the user with an empty password
    // (`-u "<token>:"`) is the secret itself.
    source: String.raw`(\b(?:curl|wget|http|https|xh)\b${SAME_COMMAND}\s(?:-u|--user|--proxy-user|-U)[ \t=]{1,4}['"]?)([^\s'"]+)`,
    hints: ['-u', '--user', '-U'],
    secret: (match) => {
      const credential = match.groups[2] ?? '';
      const [start, end] = groupRange(match, 2);
      const colon = credential.indexOf(':');
      if (colon === -1) return null;
      const range: Range =
        colon === credential.length - 1 ? [start, start + colon] : [start + colon + 1, end];
      const value = match.text.slice(...range);
      return value.length >= 3 && !REFERENCE.test(value) ? range : null;
    },
  },
  {
    kind: 'netrc',
    source: String.raw`(\b(?:machine\s{1,16}\S{1,256}\s{1,16}|default\s{1,16})(?:login\s{1,16}\S{1,256}\s{1,16})?(?:account\s{1,16}\S{1,256}\s{1,16})?password\s{1,16}|\blogin\s{1,16}\S{1,256}\s{1,16}password\s{1,16})(\S+)`,
    hints: ['password'],
    secret: secretGroup(2),
  },
  {
    kind: 'assignment',
    // SHOUTY_NAMES ending in KEY/TOKEN/SECRET/PASSWORD (env files, exports, CLI flags in commands), also as
    // JSON or YAML keys (`"AWS_SECRET_ACCESS_KEY": "..."`: an env object in MCP arguments): any value.
    source: String.raw`\b([A-Z][A-Z0-9_]{0,64}_(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|PWD|CREDENTIALS?|AUTH)|PASSWORD|PASSWD|SECRET|TOKEN|API_KEY)(\\{0,4}["']?[ \t]{0,8}[=:][ \t]{0,8}|${TAB})(\\{0,4}"[^"\s\\]{4,1024}\\{0,4}"|'[^'\s]{4,1024}'|[^\s'"\x60;,(){}[\]\\]{4,})`,
    hints: ['KEY', 'TOKEN', 'SECRET', 'PASS', 'PWD', 'CREDENTIAL', 'AUTH'],
    secret: secretGroup(3, (quoted, match) => {
      const value = quoted.replace(/^\\*["']|\\*["']$/g, '');
      // `${NAME:-default}`, `${NAME:+set}`: the shell's expansion of the variable, not a value of it.
      const expansion = match.text.startsWith('${', match.start - 2) && /^[-+?=]/.test(value);
      // A value of code that unsets it (`INFINIUM_AGENT_SECRET: undefined`).
      if (/^(?:undefined|null|nil|none|true|false)$/i.test(value)) return false;
      return !expansion && !REFERENCE.test(value) && !followedByOpening(match);
    }),
  },
  {
    kind: 'assignment',
    // A quoted value of a password-like name: anything, spaces included (`{"password": "<several words>"}`).
    source: String.raw`((?:${PASSWORD_KEYWORD})${NAME_REST})(${ASSIGN})(?:${QUOTED})`,
    flags: 'i',
    lowerHints: NAME_HINTS,
    secret: quotedSecret(
      (value, name) => !NOT_SECRET_NAME.test(name) && !NOT_SECRETS.has(value.toLowerCase()),
    ),
  },
  {
    kind: 'assignment',
    // A quoted value of a token-like name: when it looks random (`{"token": "aBcD...eF"}`).
    source: String.raw`((?:${TOKEN_KEYWORD})${NAME_REST})(${ASSIGN_OR_ARGUMENT})(?:${QUOTED})`,
    flags: 'i',
    lowerHints: NAME_HINTS,
    secret: quotedSecret(
      (value, name) =>
        !/\s/.test(value) &&
        !NOT_SECRET_NAME.test(name) &&
        (looksRandom(value) ||
          randomLetters(value) ||
          (KEY_NAME.test(name) && value.length >= 6 && !NOT_SECRETS.has(value.toLowerCase()))),
    ),
  },
  {
    kind: 'assignment',
    // A config line whose password-like key has a value of several words (INI, .env): before the
    // bare-value pattern, which would take only the first word.
    source: String.raw`^([ \t]{0,64}(?:export[ \t]{1,8})?[A-Za-z0-9_.-]{0,64}(?:${PASSWORD_KEYWORD})[ \t]{0,8}[=:][ \t]{0,8})([^\s"'\x60([{][^\r\n]{0,1024}[^\s;,])$`,
    flags: 'im',
    lowerHints: NAME_HINTS,
    secret: secretGroup(
      2,
      (value) => /\s/.test(value) && !/[()[\]{}<>=]|\[REDACTED:/.test(value) && !REFERENCE.test(value),
    ),
  },
  {
    kind: 'assignment',
    // A bare value of a password-like name (YAML, INI, .env, tables split by tabs): anything but code, a
    // type or a reference (`password: <password>`, not `password: string;`).
    source: String.raw`((?:${PASSWORD_KEYWORD})${NAME_REST})(${ASSIGN}|${TAB})${BARE}`,
    flags: 'i',
    lowerHints: NAME_HINTS,
    secret: secretGroup(
      3,
      (value, match) => !NOT_SECRET_NAME.test(match.groups[1] ?? '') && !notASecret(value, match),
    ),
  },
  {
    kind: 'assignment',
    // A bare value of a token-like name (`aws_secret_access_key<TAB>wJalr...`, `my_api_key: W2D4...`).
    source: String.raw`((?:${TOKEN_KEYWORD}|_key)${NAME_REST})(${ASSIGN}|${TAB})${BARE}`,
    flags: 'i',
    lowerHints: NAME_HINTS,
    secret: secretGroup(
      3,
      (value, match) =>
        !NOT_SECRET_NAME.test(match.groups[1] ?? '') &&
        (randomLetters(value.replace(/[;,]+$/, ''))
          ? !followedByOpening(match)
          : !notASecret(value, match) && looksRandom(value.replace(/[;,]+$/, ''))),
    ),
  },
  {
    kind: 'password',
    // A secret stated in a sentence: `my password is hunter2!`, `the API key: k3y-...`, `token = abc...`.
    // A short keyword (`pass`, `key`) needs its verb or sign: `PASS test/x.ts` is a test runner's line.
    source: String.raw`\b(pass(?:word|wd|phrase)|(?:credentials?|pass|passcode|pwd|pin|secret|token|api[ _-]?key|key)(?=[ \t]{0,4}(?:is|was|are|=|:)\b|[ \t]{0,4}[=:]))\b((?:[ \t]{1,4}(?:is|was|are|to|=|:|of|be))?(?:[ \t]{1,4}(?:now|set[ \t]to|still|just))?[ \t]{0,4}[:=]?[ \t]{1,4}["'\x60]?)([^\s"'\x60]{6,128})`,
    flags: 'i',
    lowerHints: ['pass', 'pwd', 'pin', 'secret', 'token', 'key', 'credential'],
    secret: secretGroup(3, (value) => statedSecret(value)),
  },
  {
    kind: 'token',
    // A value a log line or a sentence names as a secret, a word or two on: `token accepted: <v>`, `using
    // api key <v>`, `credential <v> expires`, `access token <v>`. Only a random-looking value (entropy, or
    // the shape of a key: a UUID or long hex named so is a key here, not an id).
    source: String.raw`\b(token|secret|api[ _-]?key|access[ _-]?key|secret[ _-]?key|credentials?|password|passphrase)\b((?:[ \t]{1,4}[A-Za-z]{2,12}){0,2}[ \t]{0,4}[:=]?[ \t]{1,4}["'\x60]?)([A-Za-z0-9_+/=.~:-]{8,256})`,
    flags: 'i',
    lowerHints: ['token', 'secret', 'key', 'credential', 'pass'],
    secret: secretGroup(
      3,
      // `token id: ...`, `secret version ...`: the words between say what the value is.
      (value, match) => !NAMED_NOT_SECRET.test(match.groups[2] ?? '') && namedSecret(value, match),
    ),
  },
  {
    kind: 'token',
    // A random-looking token with nothing naming it (a plain log line, a sentence): judged in code.
    source: String.raw`(?<![A-Za-z0-9_+/=.~-])[A-Za-z0-9_+/=.~-]{14,}`,
    secret: (match) => bareTokenRange(match),
  },
  {
    kind: 'token',
    // A short generated value in quotes with nothing naming it (a password a log line quotes): only one
    // whose letters no word has; an id of the model API's or of hex and digits stays.
    source: String.raw`(["'\x60])([A-Za-z0-9_+/=.~-]{8,13})["'\x60]`,
    hints: ['"', "'", '\x60'],
    secret: secretGroup(
      2,
      (value) =>
        !API_OBJECT_ID.test(value) &&
        !/^[0-9a-f_.-]+$|^[0-9A-F_.-]+$/.test(value) &&
        looksGenerated(value, 8),
    ),
  },
];

/**
 * Letters that are no word or identifier (the entropy of a value after a secret-like name): mixed case that
 * does not split into words (`suZdqMcMEPJkOO`, not `ClearTextPassword`), or one case with too few vowels
 * for a word (`ytrsizpydblnvq`).
 */
function randomLetters(raw: string): boolean {
  // `_` and `-` join parts (`czngwcvcyqo_ns`), as in names: the letters decide.
  const value = raw.replace(/[_-]/g, '');
  if (value.length < 12 || !/^[A-Za-z]+$/.test(value) || entropy(value) < 3.2) return false;
  // Words of an identifier (`getElementById`) are 3 or more letters long on average; random case changes
  // far more often.
  const words = value.match(/[A-Z]?[a-z]+|[A-Z]+(?![a-z])/g) ?? [];
  if (/[A-Z]/.test(value.slice(1)) && /[a-z]/.test(value)) return words.length >= value.length / 3;
  return (value.match(/[aeiou]/gi)?.length ?? 0) / value.length < 0.2;
}

/** A value stated after `password is`: not a word of the sentence, not a reference, something random. */
function statedSecret(raw: string): boolean {
  const value = raw.replace(/[.,;:!?)\]]+$/, '');
  // An option (`--agent-secret-stdin`) or a shell expansion's operator is not a value.
  if (/^[-+?]/.test(value)) return false;
  if (value.length < 6 || REFERENCE.test(value) || NOT_SECRETS.has(value.toLowerCase())) return false;
  if (randomLetters(value)) return true;
  // A word (`stored`, `getKey`), code (`hashPassword(input)`), a path or a URL is part of the sentence.
  if (/^[A-Za-z]+$/.test(value) || /[()[\]{}<>/]/.test(value)) return false;
  if (/^[a-z][\w+.-]*:\/\//i.test(value) || /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(value))
    return false;
  return (
    /[0-9]/.test(value) || /[^A-Za-z0-9]/.test(value) || /[a-z].*[A-Z]|[A-Z].*[a-z]/.test(value.slice(1))
  );
}

/** Words between a secret-like word and its value that say the value is something else. */
const NAMED_NOT_SECRET =
  /\b(?:id|ids|name|names|type|url|uri|path|file|version|count|usage|length|size|limit|expiry|expires|ttl|scope|kind|hash|sha|digest|index|number|for)\b/i;

/**
 * A value a line names as a secret (`token accepted: <value>`): random-looking, or a key's shape (a UUID, 16
 * or more hex digits, 16 or more digits). Not a time, a version, a size, a path or a URL.
 */
function namedSecret(raw: string, match: Match): boolean {
  const value = raw.replace(/[.,;:!?~=-]+$/, '').replace(/^[:=-]+/, '');
  if (value.length < 8 || REFERENCE.test(value) || NOT_SECRETS.has(value.toLowerCase())) return false;
  if (followedByOpening(match) || /^[a-z][\w+.-]*:\/\//i.test(value)) return false;
  if (
    /^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(value) ||
    /^(?:[0-9a-f]{16,}|[0-9]{16,})$/i.test(value)
  )
    return true;
  // A date or time, a version, a number with a unit, a property path or a file path.
  if (/^\d{4}-\d\d-\d\d|^\d{1,2}:\d\d|^v?\d+(?:\.\d+)+|^\d+(?:\.\d+)?[a-z]{0,3}$/i.test(value)) return false;
  if (/\/.*\//.test(value) || /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(value)) return false;
  if (randomLetters(value)) return true;
  if (!/[0-9]/.test(value) || !/[A-Za-z]/.test(value)) return false;
  // A word with a number before or after it (`1Password`, `build_2`) is a name.
  const word = /^([A-Za-z]+)[_-]?\d+$|^\d+[_-]?([A-Za-z]+)$/.exec(value);
  if (word && !randomLetters(word[1] ?? word[2] ?? '')) return false;
  return entropy(value) >= (value.length < 16 ? 2.8 : 3.2);
}

/** Base64 of ordinary words (`SGVsbG8sIHRoaXMgaXMg...`): data, not a secret (secrets have no spaces). */
function base64OfProse(token: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token) || token.length % 4 !== 0) return false;
  const text = Buffer.from(token, 'base64').toString('latin1');
  return / [a-z]/i.test(text) && /^[\x20-\x7e\r\n\t]+$/.test(text);
}

/**
 * Short words, words with a number (`mips64el`, `wasm32`, a Debian revision's `deb12u1`) and hex (a build's
 * hash in a file name) are parts of names, not of a secret.
 */
const WORD_LIKE =
  /^(?:[a-z]+|[A-Z][a-z]*|[A-Z]+|\d+|[a-z]{0,3}\d{1,3}|\d{1,3}[a-z]{0,3}|[a-z]{2,8}\d{1,3}(?:[a-z]{1,4}\d{0,3})?|\w{1,5}|[0-9a-f]{7,}|[0-9A-F]{7,})$/;

/** Words that say a hex string on the same line is a hash or an id rather than a key. */
const HASH_WORDS =
  /md5|sha|hash|checksum|digest|commit|etag|revision|\brev\b|\bid\b|uuid|object|blob|tree|fingerprint|build/i;

/**
 * A bare hex string taken as a key, nothing on its line saying hash: 32 to 48 digits (an optional `-us12`
 * datacenter) but not 40, a commit's; or 64 or 128, 32 or 64 random bytes (`openssl rand -hex 32`, an
 * HMAC or wallet key, a framework's secret key base), whose digests (SHA-256, SHA-512) come with their
 * name (`sha256:`, `Digest:`, a checksum listing). A 24-digit object id, a commit and a UUID stay.
 */
function hexKeyRange(match: Match, start: number, end: number, token: string): Range | null {
  if (
    !/^(?:[0-9a-f]{32,48}(?:-us\d{1,2})?|[0-9A-F]{32,48}|[0-9a-f]{64}|[0-9A-F]{64}|[0-9a-f]{128}|[0-9A-F]{128})$/.test(
      token,
    ) ||
    token.length === 40
  )
    return null;
  const lineStart = match.text.lastIndexOf('\n', start) + 1;
  const lineEnd = match.text.indexOf('\n', end);
  const line = match.text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
  // A checksum listing (`md5sum`, `sha256sum`: the digest, two spaces or ` *`, the file).
  if (start === lineStart && /^ [ *]\S/.test(match.text.slice(end, end + 3))) return null;
  return HASH_WORDS.test(line) ? null : [start, end];
}

/** A path's folder around a token: a word, or empty (an absolute path's or a URL's leading slashes). */
const isFolder = (segment: string) => segment === '' || WORD_LIKE.test(segment);

/** A name made of words (`request_id`, `session.key`). */
const WORD_LIKE_NAME = /^[A-Za-z]+(?:[_.-][A-Za-z]+)*\d{0,2}$/;

/**
 * The ids of the model API's objects, as Codex's errors quote them (`No tool output found for function call
 * call_HgSm...`, `Previous response with id 'resp_0a1b...' not found`), and the security advisories `npm
 * audit` names (`GHSA-gm62-xv2j-4rw9`): public ids, not secrets.
 */
const API_OBJECT_ID =
  /^(?:(?:call|resp|msg|rs|fc|ws|ctc|thread|run|step|asst|batch|file|ftjob|vs|chatcmpl)[_-][A-Za-z0-9]{8,64}|GHSA(?:-[a-z0-9]{4}){3})$/;

const TOKEN_DIGEST_BEFORE = /(?:sha(?:1|224|256|384|512)|md5)[-:]$|integrity[": ]*$|@$|#$/i;

/** A random-looking run of token characters (a bare secret in a log line or a sentence). */
function bareTokenRange(match: Match): Range | null {
  let { start, end } = match;
  let token = match.text.slice(start, end);
  // A package's scope (`@esbuild/linux-x64`), a version or a host after `@`.
  if (match.text[start - 1] === '@') return null;
  // A function called (`header.readUInt32BE(8)`).
  if (match.text[end] === '(' && /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/.test(token)) return null;
  // A build's file name with its content hash (`worker-chunk-66HCAZME.mjs`, `index-BfX2k9aQ.js`): no
  // run of letters and digits in it is as long as a secret's.
  if (/\.[a-z][a-z0-9]{0,4}$/.test(token) && !/[A-Za-z0-9]{13}/.test(token)) return null;
  // Data inlined in a URL (`data:image/png;base64,...`): an image or a source map, not a secret.
  if (match.text[start - 1] === ',' && match.text.endsWith(';base64', start - 1)) return null;
  // After a scheme (`https:`): a URL.
  const url = match.text[start - 1] === ':' && /[a-z]/i.test(match.text[start - 2] ?? '');
  // Sentence punctuation and padding at its end are not part of it.
  const trimmed = token.replace(/[.~-]+$|(?<=[^=])[.~-]+(?==+$)/, '');
  end -= token.length - trimmed.length;
  token = trimmed;
  // A name it is assigned to (`request_id=<uuid>`) is not part of it.
  const named = /^([A-Za-z_][\w.-]{0,40})=(?!=)/.exec(token);
  if (named && WORD_LIKE_NAME.test(named[1] as string)) {
    start += named[0].length;
    token = token.slice(named[0].length);
  }
  // A path's folders around it (`fix/<token>`, `keys/<token>/raw`) are not part of it.
  // An absolute path's or a URL's leading slashes too (empty segments).
  const segments = token.split('/');
  const leading = start;
  while (segments.length > 1 && isFolder(segments[0] as string))
    start += (segments.shift() as string).length + 1;
  while (segments.length > 1 && isFolder(segments.at(-1) as string))
    end -= (segments.pop() as string).length + 1;
  // A content-addressed store's path (`/nix/store/<hash>-nodejs-20.11.0`): the hash names a package.
  if (start > leading && /(?:^|\/)(?:nix|gnu)\/store\/$/.test(match.text.slice(leading, start))) return null;
  // A URL or a path whose folders are not all words (`github.com/GoogleChromeLabs/...`): each part is
  // judged alone, and only from its first random part to its last one goes; its host and words stay.
  const absolute =
    match.text[leading] === '/' || /^(?:~|\.{1,2})\//.test(match.text.slice(leading, leading + 3));
  if (url || absolute || segments[0]?.includes('.')) {
    let first = -1;
    let last = -1;
    let at = start;
    for (const [index, segment] of segments.entries()) {
      // A URL's host is a name.
      const host = index === 0 && segment.includes('.') && match.text.startsWith('//', at - 2);
      const range = host ? null : randomTokenRange(match, at, at + segment.length, segment);
      if (range || (first !== -1 && !isFolder(segment))) {
        if (first === -1) first = at;
        last = at + segment.length;
      }
      at += segment.length + 1;
    }
    return first === -1 ? null : [first, last];
  }
  const range = randomTokenRange(match, start, end, segments.join('/'));
  return range && withSymbols(match.text, range);
}

/** Characters a password mixes in that end no token (`Xk9#mQ2$pL7w`): its pieces around them go with it. */
const JOINING = /[!#$%&*^|~?:@]/;

/**
 * A random token's range grown over the rest of its word where a password's symbols join it to more: up to
 * a space, a quote or a bracket, without the sentence's punctuation at its end. Backwards not past a `:`
 * or `@` (a name or a user before it stays).
 */
function withSymbols(text: string, [start, end]: Range): Range {
  let from = start;
  if (/[!#$%&*^|~?]/.test(text[start - 1] ?? ' ')) {
    while (from > 0 && start - from < 256 && /[^\s'"\x60()[\]{}<>,;=:@]/.test(text[from - 1] as string))
      from -= 1;
  }
  let to = end;
  if (JOINING.test(text[end] ?? ' ')) {
    while (to < text.length && to - end < 256 && /[^\s'"\x60()[\]{}<>,;]/.test(text[to] as string)) to += 1;
    while (to > end && /[.,:;!?]/.test(text[to - 1] as string)) to -= 1;
  }
  return [from, to];
}

/** The token at [start, end) of the match's text when it looks random (see bareTokenRange). */
function randomTokenRange(match: Match, start: number, end: number, token: string): Range | null {
  if (token.length < 14 || token.length > 1_024) return null;
  if (API_OBJECT_ID.test(token)) return null;
  if (/^[0-9a-f]{32}-us\d{1,2}$/.test(token)) return [start, end]; // a Mailchimp key
  // Hex of one case is a hash, a commit or a UUID, unless it has a key's length and nothing says hash.
  if (/^[0-9a-f-]+$|^[0-9A-F-]+$/.test(token)) return hexKeyRange(match, start, end, token);
  if (!randomMix(token) && !looksGenerated(token)) return null;
  if (TOKEN_DIGEST_BEFORE.test(match.text.slice(Math.max(0, start - 12), start))) return null;
  if (/^(?:sha(?:1|224|256|384|512)|md5)-/i.test(token)) return null; // an integrity digest
  return base64OfProse(token) ? null : [start, end];
}

/**
 * Letters and digits mixed as no name mixes them: alternating often, or, from 20 characters on, a spread
 * of characters no name has (a generated key of lower-case letters and digits).
 */
function randomMix(token: string): boolean {
  let letters = 0;
  let digits = 0;
  let switches = 0;
  let previous = 0;
  for (let at = 0; at < token.length; at += 1) {
    const code = token.charCodeAt(at);
    const kind =
      code >= 48 && code <= 57 ? 1 : (code | 32) >= 97 && (code | 32) <= 122 ? (code < 97 ? 2 : 3) : 4;
    if (kind === 1) digits += 1;
    else if (kind !== 4) letters += 1;
    if (at > 0 && kind !== previous) switches += 1;
    previous = kind;
  }
  if (letters < 4 || digits < 2) return false;
  // The shorter, the more random it must look.
  const alternating = switches / token.length >= 0.25;
  if (!alternating && token.length < 20) return false;
  // A path, a file name, a version or a domain: made of words.
  const words = token.split(/[^A-Za-z0-9]+/).filter((word) => word !== '');
  if (words.every((word) => WORD_LIKE.test(word))) return false;
  return entropy(token) >= (alternating ? (token.length < 20 ? 3.3 : 3.5) : 4);
}

/** A token wrapped onto the next line continues there when that whole line is token characters. */
function wrappedEnd(text: string, end: number): number {
  const newline = text.startsWith('\r\n', end) ? 2 : text[end] === '\n' ? 1 : 0;
  if (newline === 0) return end;
  let next = end + newline;
  const limit = Math.min(text.length, next + 256);
  while (next < limit && /[A-Za-z0-9_\-+/=]/.test(text[next] as string)) next += 1;
  const atLineEnd = next === text.length || text[next] === '\n' || text[next] === '\r';
  return atLineEnd && next - end - newline >= 8 ? next : end;
}

interface CompiledPattern extends SecretPattern {
  regex: RegExp;
  /** The hints' and lowerHints' places in HINTS. */
  hintIds?: readonly number[];
  lowerHintIds?: readonly number[];
}

/** Every distinct hint of the built-in patterns, searched for in one pass. */
const HINTS: Hint[] = [];
function hintId(text: string, caseless: boolean): number {
  const known = HINTS.findIndex((hint) => hint.text === text && hint.caseless === caseless);
  return known === -1 ? HINTS.push({ text, caseless }) - 1 : known;
}

/**
 * `[...]{n,}` written as `[...]{n}[...]*`: the same language, but V8 runs a loop with a minimum and no
 * maximum through a slow path on the first two long texts a process gives it (~120 ms for a 1 MB run of
 * token characters, measured on Node 20), where the plain greedy loop is fast from the first.
 */
const simpleLoops = (source: string) => source.replace(/(\[(?:\\.|[^\]\\])*\])\{(\d+),\}/g, '$1{$2}$1*');

const BUILT_IN: readonly CompiledPattern[] = SECRET_PATTERNS.map((pattern) => ({
  ...pattern,
  regex: new RegExp(simpleLoops(pattern.source), `g${pattern.flags ?? ''}`),
  hintIds: pattern.hints?.map((hint) => hintId(hint, false)),
  lowerHintIds: pattern.lowerHints?.map((hint) => hintId(hint, true)),
}));
const HINT_SCANNER = new HintScanner(HINTS);

/**
 * How many secrets one pattern may find in a field. A field with more is a dump of secrets or an attack
 * (1 MB of a six-character URL with a password holds 166,000 of them): from the first secret past this
 * allowance on, the rest of the field is one `[REDACTED:too-many-secrets]` mark. So no field costs more
 * than this many marks per pattern to build, and no byte of a secret survives. Matches judged harmless
 * (`password: string;` in a grep of a code base) do not count: they cost a judgement each, which is linear
 * in the match, and they never cost the field its text.
 */
export const MATCHES_PER_PATTERN = 1_000;

/** The secrets found in one text, by every pattern; rank 0 is the rest of the text past an allowance. */
class Findings {
  /** [start, end) of each secret and the rank of the pattern that found it, flat: three numbers each. */
  readonly spans: number[] = [];
  /** Where the rest of the text becomes one mark (its length while no pattern has spent its allowance). */
  limit: number;
  private readonly counts: number[] = [];

  constructor(readonly text: string) {
    this.limit = text.length;
  }

  /** Whether a match at `start` still needs judging: false once it lies in the rest of the text (one mark). */
  examine(start: number): boolean {
    return start < this.limit;
  }

  /**
   * Records a secret at [start, end) found by the pattern of `rank`; false, and the rest of the text from
   * `start` becomes one mark, when it is one past the pattern's allowance. False when its finder can stop.
   */
  add(start: number, end: number, rank: number): boolean {
    if (start >= this.limit) return false;
    if (end <= start) return true;
    const count = this.counts[rank] ?? 0;
    if (count === MATCHES_PER_PATTERN) {
      this.limit = start;
      return false;
    }
    this.counts[rank] = count + 1;
    this.spans.push(start, end, rank);
    return true;
  }

  /** The same secrets in `original`, the text this one was decoded from by `at` (see Decoded). */
  mapped(original: string, at: (offset: number) => number): Findings {
    const result = new Findings(original);
    for (let index = 0; index < this.spans.length; index += 3) {
      result.spans.push(
        at(this.spans[index] as number),
        at(this.spans[index + 1] as number),
        this.spans[index + 2] as number,
      );
    }
    result.limit = this.limit < this.text.length ? at(this.limit) : original.length;
    return result;
  }

  /**
   * The text with each secret replaced by the mark of its kind (`kinds` by rank). Overlapping secrets (two
   * patterns that found the same one, or parts of it) become one mark of the first pattern's kind, and so
   * do secrets of one kind that touch: no byte of either survives.
   */
  render(kinds: readonly string[]): string {
    const { text, spans } = this;
    if (this.limit < text.length) spans.push(this.limit, text.length, 0);
    const count = spans.length / 3;
    if (count === 0) return text;
    // Each pattern's spans come in order; a stable sort by start keeps the earlier pattern first on a tie.
    const order = Array.from({ length: count }, (_, index) => 3 * index);
    order.sort((a, b) => (spans[a] as number) - (spans[b] as number));
    const parts: string[] = [];
    let from = 0;
    for (let index = 0; index < count; ) {
      const first = order[index] as number;
      const start = spans[first] as number;
      let end = spans[first + 1] as number;
      let rank = spans[first + 2] as number;
      for (index += 1; index < count; index += 1) {
        const next = order[index] as number;
        const nextStart = spans[next] as number;
        const nextRank = spans[next + 2] as number;
        if (nextStart > end || (nextStart === end && kinds[nextRank] !== kinds[rank])) break;
        end = Math.max(end, spans[next + 1] as number);
        rank = Math.min(rank, nextRank);
      }
      parts.push(text.slice(from, start), mark(kinds[rank] as string));
      from = end;
    }
    parts.push(text.slice(from));
    return parts.join('');
  }
}

/**
 * Records the secrets a built-in pattern finds. Every pattern scans the same text, never one already
 * marked by the patterns before it: a field of 166,000 URL passwords grew to 4.7 MB of marks that each
 * later pattern had to scan again.
 */
function findSecrets(findings: Findings, pattern: CompiledPattern, rank: number): void {
  const { text } = findings;
  const regex = pattern.regex;
  regex.lastIndex = 0;
  let floor = 0;
  for (let found = regex.exec(text); found; found = regex.exec(text)) {
    const whole = found[0];
    if (whole === '') {
      regex.lastIndex += 1;
      continue;
    }
    const match: Match = { groups: found, text, start: found.index, end: found.index + whole.length };
    let start = pattern.reachBack ? pattern.reachBack(text, match.start, floor) : match.start;
    if (!findings.examine(start)) return;
    let end = pattern.wraps ? wrappedEnd(text, match.end) : match.end;
    if (pattern.secret) {
      const secret = pattern.secret(match);
      if (secret === null) continue;
      [start, end] = secret;
    }
    if (!findings.add(start, end, rank)) return;
    floor = Math.max(end, match.end);
    regex.lastIndex = floor;
  }
}

/** A user's pattern, run on RE2: linear whatever the pattern. Records what it matches. */
function userPattern(source: string): (findings: Findings, rank: number) => void {
  const regex = compileRe2(source);
  return (findings, rank) => {
    if (!regex.test(findings.text)) return;
    // Only where each match starts and ends: the matcher finds no groups unless asked.
    const matcher = regex.matcher(findings.text);
    while (matcher.find() && findings.add(matcher.start(), matcher.end(), rank));
  };
}

export type Redactor = (text: string) => string;

/** Whether a built-in pattern's hints occur in a text (see HintScanner.scan). */
function hintFinder(text: string): (pattern: CompiledPattern) => boolean {
  const found = HINT_SCANNER.scan(text);
  const anyFound = (ids: readonly number[] | undefined) => !ids || ids.some((id) => found[id] === 1);
  return (pattern) => anyFound(pattern.hintIds) && anyFound(pattern.lowerHintIds);
}

/** A text with its escape layers undone, and where each of its characters came from in the original. */
interface Decoded {
  text: string;
  /**
   * Pieces of the decoded text, flat pairs [decoded start, original start] in order: a run copied as it was,
   * or the one character an escape stood for. The original's length closes the list.
   */
  pieces: number[];
  originalLength: number;
}

/** Where decoded offset `offset` lies in the original (the start of what it was decoded from). */
function originOf(decoded: Decoded, offset: number): number {
  if (offset >= decoded.text.length) return decoded.originalLength;
  const { pieces } = decoded;
  let low = 0;
  let high = pieces.length / 2 - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((pieces[2 * middle] as number) <= offset) low = middle;
    else high = middle - 1;
  }
  return (pieces[2 * low + 1] as number) + offset - (pieces[2 * low] as number);
}

/**
 * Undoes the escape layers a Codex text carries its secrets in before matching: JSON string escapes at any
 * depth (`\\"`, `\\\\\\"`, `\\n`, `\\u0041`: a run of backslashes stands for one escape, whatever layer it
 * came from) and shell line continuations (a backslash before a line break joins the lines). Null when the
 * text has no backslash. Linear in the text; the runs between backslashes are copied whole.
 */
function decodeEscapes(text: string): Decoded | null {
  let at = text.indexOf('\\');
  if (at === -1) return null;
  const parts: string[] = [];
  const pieces: number[] = [];
  let length = 0;
  let copied = 0;
  const emit = (part: string, origin: number) => {
    if (part === '') return;
    pieces.push(length, origin);
    parts.push(part);
    length += part.length;
  };
  for (; at !== -1; at = text.indexOf('\\', at)) {
    emit(text.slice(copied, at), copied);
    let end = at;
    while (end < text.length && text.charCodeAt(end) === 92) end += 1;
    const run = end - at;
    const next = text[end];
    let after = end + 1;
    let decoded: string | null = next ?? null;
    if (next === undefined) after = end;
    else if (next === '\n' || (next === '\r' && text[end + 1] === '\n')) {
      decoded = null;
      after = end + (next === '\r' ? 2 : 1);
    } else if (next === 'n') {
      // A line continuation inside a JSON string: an escaped backslash, then an escaped line break, at one
      // depth or another (3, 6, 12... backslashes before `n`; a line break alone has 1, 2, 4...).
      decoded = run % 3 === 0 && ((run / 3) & (run / 3 - 1)) === 0 ? null : '\n';
    } else if (next === 'r') decoded = '\r';
    else if (next === 't') decoded = '\t';
    else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(end + 1, end + 5))) {
      decoded = String.fromCharCode(Number.parseInt(text.slice(end + 1, end + 5), 16));
      after = end + 5;
    }
    if (decoded !== null) emit(decoded, at);
    copied = after;
    at = after;
    if (at >= text.length) break;
  }
  emit(text.slice(copied), copied);
  return { text: parts.join(''), pieces, originalLength: text.length };
}

/**
 * A redactor for the built-in patterns and gitleaks' rules (unless `builtIn` is false) plus the user's own
 * regexes (RE2 syntax; check them with `redactPatternProblem`), and, in every mode, the given agent secrets
 * in each of their common encodings and down to any 8-character piece (`[REDACTED:agent-secret]`). Every
 * pattern runs once over the text with its escape layers undone (see decodeEscapes); the marks are put in
 * the original text at the end. Cost: linear in the text's length.
 */
export function makeRedactor(
  userPatterns: readonly string[],
  builtIn = true,
  agentSecrets: readonly string[] = [],
): Redactor {
  const patterns: readonly CompiledPattern[] = builtIn ? BUILT_IN : [];
  const custom = userPatterns.map(userPattern);
  // Ranks: 0 the rest past an allowance, 1 the agent secret (first: where a pattern took only part of it,
  // the mark is its own), then the built-in patterns in order, gitleaks' rules, then the user's.
  const ruleRank = 2 + patterns.length;
  const customRank = ruleRank + (builtIn ? RULE_IDS.length : 0);
  const kinds = [
    'too-many-secrets',
    'agent-secret',
    ...patterns.map((pattern) => pattern.kind),
    ...(builtIn ? RULE_IDS : []),
    ...custom.map(() => 'custom'),
  ];
  const findAgentSecrets = makeSecretFinder(agentSecrets);
  return (text) => {
    const decoded = decodeEscapes(text);
    let findings = new Findings(decoded?.text ?? text);
    if (builtIn) {
      const hinted = hintFinder(findings.text);
      for (const [index, pattern] of patterns.entries()) {
        if (hinted(pattern)) findSecrets(findings, pattern, 2 + index);
      }
      findRuleSecrets(findings.text, (start, end, rule) => findings.add(start, end, ruleRank + rule));
    }
    for (const [index, find] of custom.entries()) find(findings, customRank + index);
    if (decoded) findings = findings.mapped(text, (offset) => originOf(decoded, offset));
    findAgentSecrets(text, (start, end) => findings.add(start, end, 1));
    return findings.render(kinds);
  };
}
