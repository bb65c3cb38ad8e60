// Secret-looking values in prompts, commands, outputs and messages are replaced by `[REDACTED:<kind>]`
// before a trace is kept or sent. The patterns aim at things that are secrets by their shape (provider
// prefixes, key blocks, JWTs) or by their name (`*_TOKEN=...`); ordinary code that merely talks about keys
// and tokens (`const token = tokens[i]`) must pass unchanged: the tests hold examples of both.

interface SecretPattern {
  kind: string;
  regex: RegExp;
  /** Replaces the whole match, or keeps the groups that are not secret. */
  replace?: (match: string, ...groups: string[]) => string;
}

const mark = (kind: string) => `[REDACTED:${kind}]`;

// Values of named assignments: a quoted string, or a bare run of non-space characters.
const VALUE = String.raw`("[^"\s]{4,}"|'[^'\s]{4,}'|[^\s'"\`;,)}\]]{4,})`;

export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    kind: 'private-key',
    regex:
      /-----BEGIN ([A-Z0-9 ]+ )?PRIVATE KEY( BLOCK)?-----[\s\S]*?(-----END ([A-Z0-9 ]+ )?PRIVATE KEY( BLOCK)?-----|$)/g,
  },
  { kind: 'aws-access-key', regex: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b/g },
  { kind: 'google-api-key', regex: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: 'github-token', regex: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { kind: 'gitlab-token', regex: /\bgl(?:pat|dt|ptt|rt|cbt|oas)-[A-Za-z0-9_-]{20,}/g },
  { kind: 'slack-token', regex: /\bxox[abposre]-[A-Za-z0-9-]{10,}/g },
  { kind: 'slack-webhook', regex: /https:\/\/hooks\.slack\.com\/(?:services|workflows)\/[A-Za-z0-9/_-]+/g },
  { kind: 'anthropic-key', regex: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  { kind: 'openai-key', regex: /\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}/g },
  {
    kind: 'stripe-key',
    regex: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b|\bwhsec_[A-Za-z0-9]{24,}\b/g,
  },
  { kind: 'npm-token', regex: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: 'jwt', regex: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  {
    kind: 'url-password',
    // scheme://user:password@host: the user and host stay readable.
    regex: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]+:)([^\s@/'"]+)(@)/gi,
    replace: (_match, before = '', _password, at = '') => `${before}${mark('url-password')}${at}`,
  },
  {
    kind: 'bearer',
    regex: /\b(Bearer|Basic|token)(\s+)([A-Za-z0-9._~+/-]{16,}=*)/g,
    replace: (_match, scheme = '', space = '') => `${scheme}${space}${mark('bearer')}`,
  },
  {
    kind: 'assignment',
    // SHOUTY_NAMES ending in KEY/TOKEN/SECRET/PASSWORD (env files, exports, CLI flags in commands).
    regex: new RegExp(
      String.raw`\b([A-Z][A-Z0-9_]*_(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|PWD|CREDENTIALS?)|PASSWORD|PASSWD|SECRET|TOKEN|API_KEY)(\s*[=:]\s*)${VALUE}`,
      'g',
    ),
    replace: (_match, name = '', op = '') => `${name}${op}${mark('assignment')}`,
  },
  {
    kind: 'assignment',
    // lower/camel-case names holding a quoted literal: `password = "hunter22"`, `"apiKey": "abc..."`.
    regex:
      /\b((?:[a-z][a-z0-9]*[_-]?)?(?:api[_-]?key|apikey|secret(?:[_-]?key)?|password|passwd|access[_-]?token|auth[_-]?token|client[_-]?secret|private[_-]?key)["']?)(\s*[=:]\s*)("[^"\s]{6,}"|'[^'\s]{6,}')/gi,
    replace: (_match, name = '', op = '') => `${name}${op}${mark('assignment')}`,
  },
  {
    kind: 'assignment',
    // lower/camel-case names holding a bare key-like value (config files, CLI output): the value must
    // look random (letters, digits, +/=_-, at least one digit, 16+ long), so `token = tokens[i]` passes.
    regex:
      /\b([a-z][a-z0-9_]*(?:_key|_secret|_token|_password|api[_-]?key|apikey|secret|password|passwd|token))(\s*[=:]\s*)(?=[A-Za-z0-9+/=_-]*\d)[A-Za-z0-9+/=_-]{16,}(?![A-Za-z0-9+/=_.(-])/gi,
    replace: (_match, name = '', op = '') => `${name}${op}${mark('assignment')}`,
  },
];

export type Redactor = (text: string) => string;

/** A redactor for the built-in patterns (unless `builtIn` is false) plus the user's own regexes. */
export function makeRedactor(userPatterns: readonly string[], builtIn = true): Redactor {
  const patterns: SecretPattern[] = builtIn ? [...SECRET_PATTERNS] : [];
  for (const source of userPatterns) patterns.push({ kind: 'custom', regex: new RegExp(source, 'g') });
  if (patterns.length === 0) return (text) => text;
  return (text) => {
    let result = text;
    for (const pattern of patterns) {
      pattern.regex.lastIndex = 0;
      const replace = pattern.replace;
      result = replace
        ? result.replace(pattern.regex, (...args) => replace(...(args.slice(0, -2) as [string, ...string[]])))
        : result.replace(pattern.regex, (match) => (match === '' ? match : mark(pattern.kind)));
    }
    return result;
  };
}
