// Secret-looking values in prompts, commands, outputs and messages are replaced by `[REDACTED:<kind>]`
// before a trace is kept or sent. The patterns aim at things that are secrets by their shape (provider
// prefixes, key blocks, JWTs) or by their name (`*_TOKEN=...`); ordinary code that merely talks about keys
// and tokens (`const token = tokens[i]`) must pass unchanged: the tests hold examples of both.

interface SecretPattern {
  kind: string;
  regex: RegExp;
  /**
   * Literal strings one of which any match contains. A plain substring search is many times faster than
   * running the regex, and most text (command output) holds none of them.
   */
  hints?: readonly string[];
  /** Same purpose, for case-insensitive names: searched in the lower-cased text. */
  lowerHints?: readonly string[];
  /** Replaces the whole match, or keeps the groups that are not secret. */
  replace?: (match: string, ...groups: string[]) => string;
}

const mark = (kind: string) => `[REDACTED:${kind}]`;

// Values of named assignments: a quoted string (also with escaped quotes, as inside a JSON string), or a
// bare run of characters secrets are made of. Not a reference to where the secret lives (`$GITHUB_TOKEN`,
// `process.env.X`, `os.environ["X"]`), not a call.
const VALUE = String.raw`(?!\$|process\.env|os\.environ|os\.getenv|ENV\[|\[REDACTED:)("[^"\s]{4,}"|'[^'\s]{4,}'|\\"[^"\s\\]{4,}\\"|[^\s'"\`;,(){}[\]]{4,}(?![^\s'"\`;,)}\]]))`;

const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    kind: 'private-key',
    regex:
      /-----BEGIN ([A-Z0-9 ]+ )?PRIVATE KEY( BLOCK)?-----[\s\S]*?(-----END ([A-Z0-9 ]+ )?PRIVATE KEY( BLOCK)?-----|$)/g,
    hints: ['PRIVATE KEY'],
  },
  {
    kind: 'aws-access-key',
    regex: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b/g,
    hints: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'AGPA', 'AIDA', 'AROA', 'ANPA'],
  },
  {
    kind: 'azure-key',
    // Storage / Service Bus connection strings: AccountKey=<base64>;
    regex: /\b(AccountKey|SharedAccessKey)=([A-Za-z0-9+/]{20,}={0,2})/g,
    hints: ['AccountKey=', 'SharedAccessKey='],
    replace: (_match, name = '') => `${name}=${mark('azure-key')}`,
  },
  { kind: 'google-api-key', regex: /\bAIza[0-9A-Za-z_-]{35}\b/g, hints: ['AIza'] },
  {
    kind: 'github-token',
    regex: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g,
    hints: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
  },
  {
    kind: 'gitlab-token',
    regex: /\bgl(?:pat|dt|ptt|rt|cbt|oas)-[A-Za-z0-9_-]{20,}/g,
    hints: ['glpat-', 'gldt-', 'glptt-', 'glrt-', 'glcbt-', 'gloas-'],
  },
  { kind: 'slack-token', regex: /\bxox[abposre]-[A-Za-z0-9-]{10,}/g, hints: ['xox'] },
  {
    kind: 'slack-webhook',
    regex: /https:\/\/hooks\.slack\.com\/(?:services|workflows)\/[A-Za-z0-9/_-]+/g,
    hints: ['hooks.slack.com'],
  },
  { kind: 'anthropic-key', regex: /\bsk-ant-[A-Za-z0-9_-]{20,}/g, hints: ['sk-ant-'] },
  { kind: 'openai-key', regex: /\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}/g, hints: ['sk-'] },
  {
    kind: 'stripe-key',
    regex: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b|\bwhsec_[A-Za-z0-9]{24,}\b/g,
    hints: ['_live_', '_test_', 'whsec_'],
  },
  { kind: 'npm-token', regex: /\bnpm_[A-Za-z0-9]{36}\b/g, hints: ['npm_'] },
  { kind: 'jwt', regex: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, hints: ['eyJ'] },
  {
    kind: 'url-password',
    // scheme://user:password@host: the user and host stay readable. Anchored on the literal `//` so the
    // engine skips ahead instead of trying every position.
    regex: /\/\/([^\s:/@'"]+:)([^\s@/'"]+)@/g,
    hints: ['@'],
    replace: (_match, user = '') => `//${user}${mark('url-password')}@`,
  },
  {
    kind: 'bearer',
    regex: /\b(Bearer|Basic|token)(\s+)(?!\[REDACTED:)([A-Za-z0-9._~+/-]{16,}=*)/g,
    hints: ['Bearer', 'Basic', 'token'],
    replace: (_match, scheme = '', space = '') => `${scheme}${space}${mark('bearer')}`,
  },
  {
    kind: 'assignment',
    // SHOUTY_NAMES ending in KEY/TOKEN/SECRET/PASSWORD (env files, exports, CLI flags in commands), also as
    // JSON or YAML keys (`"AWS_SECRET_ACCESS_KEY": "..."`: an env object in MCP arguments).
    regex: new RegExp(
      String.raw`\b([A-Z][A-Z0-9_]*_(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|PWD|CREDENTIALS?)|PASSWORD|PASSWD|SECRET|TOKEN|API_KEY)(["']?\s*[=:]\s*)${VALUE}`,
      'g',
    ),
    hints: ['KEY', 'TOKEN', 'SECRET', 'PASS', 'PWD', 'CREDENTIAL'],
    replace: (_match, name = '', op = '') => `${name}${op}${mark('assignment')}`,
  },
  // The two lower/camel-case forms start at the name's telling end (`...password = `), not at the start of
  // the identifier: trying every identifier start and backtracking made them the slowest patterns by far.
  {
    kind: 'assignment',
    // A quoted literal: `password = "hunter22"`, `"apiKey": "abc..."`.
    regex:
      /(api[_-]?key|apikey|secret(?:[_-]?key)?|password|passwd|access[_-]?token|auth[_-]?token|client[_-]?secret|private[_-]?key)(["']?\s*[=:]\s*)("[^"\s]{6,}"|'[^'\s]{6,}')/gi,
    lowerHints: ['key', 'secret', 'passw', 'token'],
    replace: (_match, name = '', op = '') => `${name}${op}${mark('assignment')}`,
  },
  {
    kind: 'assignment',
    // A bare key-like value (config files, CLI output), or one quoted as a JSON value
    // (`"refresh_token": "..."`): it must look random (letters, digits, +/=_-, at least one digit, 16+
    // long), so `token = tokens[i]` passes.
    regex:
      /(_key|_secret|_token|_password|api[_-]?key|apikey|secret|password|passwd|token)(["']?\s*[=:]\s*["']?)(?=[A-Za-z0-9+/=_-]*\d)[A-Za-z0-9+/=_-]{16,}(?![A-Za-z0-9+/=_.(-])/gi,
    lowerHints: ['key', 'secret', 'passw', 'token'],
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
    let lower: string | undefined;
    for (const pattern of patterns) {
      if (pattern.hints && !pattern.hints.some((hint) => result.includes(hint))) continue;
      if (pattern.lowerHints) {
        lower ??= result.toLowerCase();
        if (!pattern.lowerHints.some((hint) => (lower as string).includes(hint))) continue;
      }
      pattern.regex.lastIndex = 0;
      const replace = pattern.replace;
      result = replace
        ? result.replace(pattern.regex, (...args) => replace(...(args.slice(0, -2) as [string, ...string[]])))
        : result.replace(pattern.regex, (match) => (match === '' ? match : mark(pattern.kind)));
    }
    return result;
  };
}
