// Builds the public secrets corpus of the secrets reliability suite (test/fixtures/secrets/public.jsonl.gz)
// from the public test examples of three secret scanners, checked out as git snapshots:
// - gitleaks (MIT): the true-positive examples in cmd/generate/config/rules/*.go, plus, for every rule of
//   config/gitleaks.toml, secrets generated from the rule's own secret group as gitleaks' own test generator
//   does, each written the ways gitleaks' tests write them (its sample forms: INI, JSON, YAML, code in
//   several languages, Makefiles): the first FULL_FORMS of a rule in every form, the rest in three forms
//   each, turn about, so that the suite stays quick with about 10,000 distinct secrets;
// - secretlint (MIT): every secret its rules' snapshot tests report (test/snapshots/ng*/output.json);
// - detect-secrets (Apache-2.0): the lines its plugin tests say must be flagged.
// A row is {source, rule, secret, context}; the secret is what the scanner itself reports (its secret group
// for gitleaks: each example is run through the rule with re2js, and dropped when the rule does not find
// it, as gitleaks' own entropy and allow lists would drop it). Deterministic (seeded).
// Usage: npm run corpus:secrets -- <gitleaks git dir> <secretlint git dir> <detect-secrets git dir>
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import RandExp from 'randexp';
import { RE2JS } from 're2js';
import { parse } from 'smol-toml';
import { type PublicRow, SAMPLE_FORM_COUNT, sampleForms } from '../test/support/secret-corpus';

const OUT = join(import.meta.dirname, '..', 'test', 'fixtures', 'secrets', 'public.jsonl.gz');
/** Generated secrets per gitleaks rule. */
const PER_RULE = 48;
/** How many of those are written in every sample form the rule finds them in (the rest: in three). */
const FULL_FORMS = 6;
const FORMS_EACH = 3;

type Row = PublicRow;

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['--git-dir', dir, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
const files = (dir: string, pattern: RegExp) =>
  git(dir, 'ls-tree', '-r', '--name-only', 'HEAD')
    .split('\n')
    .filter((path) => pattern.test(path));
const show = (dir: string, path: string) => git(dir, 'show', `HEAD:${path}`);

// A small seeded generator (mulberry32), so that the corpus is the same on every run.
let seed = 0x5ec2e7;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** The source of capturing group `group` of an RE2 regex (0: the whole). */
function groupSource(regex: string, group: number): string {
  if (group === 0) return regex;
  let count = 0;
  let inClass = false;
  const opens: { at: number; index: number }[] = [];
  for (let at = 0; at < regex.length; at += 1) {
    const char = regex[at];
    if (char === '\\') {
      at += 1;
    } else if (inClass) {
      if (char === ']') inClass = false;
      else if (char === '[' && regex[at + 1] === ':') at = regex.indexOf(':]', at) + 1;
    } else if (char === '[') {
      inClass = true;
      if (regex[at + 1] === '^') at += 1;
      if (regex[at + 1] === ']') at += 1;
    } else if (char === '(') {
      // Named groups capture too: `(?P<name>...)`.
      const capturing = regex[at + 1] !== '?' || /^\(\?P?<\w/.test(regex.slice(at, at + 5));
      opens.push({ at, index: capturing ? ++count : 0 });
    } else if (char === ')') {
      const open = opens.pop();
      if (open && open.index === group) return regex.slice(open.at + 1, at);
    }
  }
  return regex;
}

/** RE2 syntax to what randexp reads. */
function forRandExp(source: string): RegExp {
  const js = source
    .replaceAll('(?i)', '')
    .replace(/\(\?-?i:/g, '(?:')
    .replace(/\(\?P?<\w+>/g, '(')
    .replaceAll('[[:alnum:]]', '[a-zA-Z0-9]')
    .replaceAll('[:alnum:]', 'a-zA-Z0-9')
    .replaceAll('\\z', '')
    .replaceAll('\\A', '')
    .replace(/\{(\d+),\}/g, (_, min) => `{${min},${Number(min) + 24}}`)
    // A dot outside a class is a host name's dot (`hooks.slack.com`), not any character.
    .replace(/(^|[^\\[])\.(?![^[]*\])/g, '$1\\.');
  return new RegExp(js);
}

function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) bits -= (count / text.length) * Math.log2(count / text.length);
  return bits;
}

interface GitleaksRule {
  id: string;
  regex?: string;
  secretGroup?: number;
  entropy?: number;
  keywords?: string[];
}

/** The group that holds a rule's secret; a rule whose groups are named (jwt-base64's parts) reports it whole. */
const secretGroupOf = (rule: GitleaksRule) => rule.secretGroup ?? (/\(\?P</.test(rule.regex ?? '') ? 0 : 1);

/** What gitleaks' rule reports in `context`: its secrets that pass the rule's entropy. */
function ruleSecrets(rule: GitleaksRule, regex: RE2JS, context: string): string[] {
  const found: string[] = [];
  const matcher = regex.matcher(context);
  while (matcher.find()) {
    let secret = matcher.group(0) ?? '';
    const groups = matcher.groupCount();
    const wanted = groups > 0 ? secretGroupOf(rule) : 0;
    if (wanted > 0) secret = matcher.group(wanted) ?? '';
    if (wanted === 1 && !rule.secretGroup && secret === '') {
      for (let group = 2; group <= groups && secret === ''; group += 1) secret = matcher.group(group) ?? '';
    }
    if (secret.length >= 6 && (!rule.entropy || entropy(secret) >= rule.entropy)) found.push(secret);
  }
  return found;
}

/** Go string literals in a rule file's true-positive lists (`tps`), not inside a generator's call. */
function truePositiveLiterals(go: string): string[] {
  const literals: string[] = [];
  let mode: 'tps' | 'fps' | null = null;
  const token = /\b(tps|fps)\b\s*(?::=|=)|`([^`]*)`|"((?:[^"\\\n]|\\.)*)"/g;
  for (let match = token.exec(go); match; match = token.exec(go)) {
    if (match[1]) {
      mode = match[1] as 'tps' | 'fps';
      continue;
    }
    if (mode !== 'tps') continue;
    const before = go.slice(Math.max(0, match.index - 40), match.index);
    // A generator's regex or identifier, not an example.
    if (/(?:NewSecret|MustCompile|GenerateSampleSecrets?|Hex|Numeric|AlphaNumeric\w*)\(\s*$/.test(before))
      continue;
    if (/\bfunc\b|RuleID|Description/.test(before.split('\n').pop() ?? '')) continue;
    const text = match[2] ?? JSON.parse(`"${(match[3] ?? '').replace(/\\'/g, "'")}"`);
    if (text.length >= 8) literals.push(text);
  }
  return literals;
}

function gitleaks(dir: string): Row[] {
  const config = parse(show(dir, 'config/gitleaks.toml')) as unknown as { rules: GitleaksRule[] };
  const rules = config.rules
    .filter((rule) => rule.regex)
    .map((rule) => ({ rule, regex: RE2JS.compile(rule.regex as string) }));
  const rows: Row[] = [];
  const add = (rule: GitleaksRule, regex: RE2JS, context: string, source: string) => {
    for (const secret of ruleSecrets(rule, regex, context))
      rows.push({ source, rule: rule.id, secret, context });
  };
  for (const { rule, regex } of rules) {
    let generator: RegExp;
    try {
      generator = forRandExp(groupSource(rule.regex as string, secretGroupOf(rule)));
    } catch (error) {
      console.error(`${rule.id}: no secrets generated (${error})`);
      continue;
    }
    const identifier = (rule.keywords?.[0] ?? rule.id.split('-')[0] ?? 'key').replace(/[^A-Za-z0-9]+/g, '');
    const made = new Set<string>();
    for (let tries = 0; made.size < PER_RULE && tries < 10 * PER_RULE; tries += 1) {
      const randexp = new RandExp(generator);
      randexp.randInt = (from: number, to: number) => from + Math.floor(random() * (to - from + 1));
      const secret = randexp.gen();
      // A backslash or a control character drawn from a class that allows them: no real token has one.
      if (made.has(secret) || [...secret].some((c) => c === '\\' || c.charCodeAt(0) < 0x20)) continue;
      // The forms are written out when the corpus is read (the file stays small): those the rule finds.
      const found = sampleForms(identifier || 'key', secret).flatMap((context, index) =>
        ruleSecrets(rule, regex, context).includes(secret) ? [index] : [],
      );
      if (found.length === 0) continue;
      const full = made.size < FULL_FORMS;
      const forms = full
        ? found
        : Array.from({ length: Math.min(FORMS_EACH, found.length) }, (_, k) => {
            const step = Math.floor(found.length / FORMS_EACH) || 1;
            return found[(made.size + k * step) % found.length] as number;
          });
      made.add(secret);
      rows.push({
        source: 'gitleaks-generated',
        rule: rule.id,
        secret,
        identifier: identifier || 'key',
        ...(forms.length < SAMPLE_FORM_COUNT ? { forms } : {}),
      });
    }
  }
  for (const file of files(dir, /^cmd\/generate\/config\/rules\/[^/]+\.go$/)) {
    for (const literal of truePositiveLiterals(show(dir, file))) {
      const lower = literal.toLowerCase();
      for (const { rule, regex } of rules) {
        if (rule.keywords?.some((keyword) => lower.includes(keyword.toLowerCase())))
          add(rule, regex, literal, 'gitleaks-tests');
      }
    }
  }
  return rows;
}

/**
 * secretlint rules that report something other than a secret's value: a file's name (no-dotenv), a home
 * directory's path (no-homedir), the user's own patterns (pattern), the new-rule scaffold (example), the
 * disable comments' tests (filter-comments: a mock rule reporting the word `SECRET`).
 */
const NOT_SECRET_RULES = /secretlint-rule-(?:no-dotenv|no-homedir|pattern|example|filter-comments)\//;

function secretlint(dir: string): Row[] {
  const rows: Row[] = [];
  for (const file of files(dir, /secretlint-rule-[^/]+\/test\/snapshots\/ng[^/]*\/output\.json$/)) {
    if (NOT_SECRET_RULES.test(file)) continue;
    const output = JSON.parse(show(dir, file)) as {
      messages: {
        range: [number, number];
        ruleId: string;
        messageId: string;
        data?: Record<string, unknown>;
      }[];
      sourceContent?: string;
    };
    if (!output.sourceContent) continue;
    const rule = file.replace(/^.*secretlint-rule-([^/]+)\/test\/snapshots\/([^/]+)\/.*$/, '$1/$2');
    for (const message of output.messages) {
      const content = output.sourceContent;
      // Some rules report a range off by the name before the value (aws, azure): their message's data
      // names the secret itself, which then wins.
      const named = Object.values(message.data ?? {}).find(
        (value): value is string => typeof value === 'string' && value.length >= 6 && content.includes(value),
      );
      const reported = content.slice(...message.range);
      if (named && !reported.includes(named)) {
        const at = content.indexOf(named);
        message.range = [at, at + named.length];
      }
      const secret = content.slice(...message.range);
      // The lines around the secret, as a session would show the file.
      const from = content.lastIndexOf('\n', message.range[0] - 1) + 1;
      const to = content.indexOf('\n', message.range[1]);
      const context = content.slice(from, to === -1 ? undefined : to);
      if (secret.trim().length >= 6) rows.push({ source: 'secretlint-tests', rule, secret, context });
    }
  }
  return rows;
}

/**
 * The secret in a line a detect-secrets test flags: the quoted value, a URL's password, the value at the
 * end of `name: value` or `name=value`, or else the longest token-like run.
 */
function detectSecretsSecret(line: string): string | null {
  const quoted = /[:=]\s*["']([^"'\s]{6,})["']/.exec(line)?.[1];
  if (quoted) return quoted;
  const urlPassword = /\/\/[^:/@\s]+:([^@\s]+)@/.exec(line)?.[1];
  if (urlPassword) return urlPassword;
  const value = /^.*[:=][ \t]*([A-Za-z0-9+/_.~-][A-Za-z0-9+/=_.~-]{7,})[ \t]*$/.exec(line)?.[1];
  if (value) return value;
  const runs = line.match(/[A-Za-z0-9+/=_.~-]{8,}/g) ?? [];
  return runs.sort((a, b) => b.length - a.length)[0] ?? null;
}

function detectSecrets(dir: string): Row[] {
  const rows: Row[] = [];
  // A public IP address is not a secret to hide from a trace.
  for (const file of files(dir, /^tests\/plugins\/(?!ip_public)[a-z_]+_test\.py$/)) {
    const python = show(dir, file);
    const rule = file.replace(/^tests\/plugins\/(.*)_test\.py$/, '$1');
    // `('<line>', True)` pairs of the parametrized tests: plain literals only.
    const pair = /\(\s*(?:r?'([^'\\\n]*)'|r?"([^"\\\n]*)")\s*,\s*True\s*,?\s*\)/g;
    for (let match = pair.exec(python); match; match = pair.exec(python)) {
      const context = match[1] ?? match[2] ?? '';
      const secret = detectSecretsSecret(context);
      if (secret && secret.length >= 8) rows.push({ source: 'detect-secrets-tests', rule, secret, context });
    }
  }
  return rows;
}

/**
 * The secret a reported range stands for: the password of `user:password` or of a connection URL (the user
 * and the host are not secret); null for what is not a secret to hide (an AWS account id, an Azure tenant
 * or client id: identifiers; a placeholder such as `SKxxxxxxxx...`).
 */
function secretOf(reported: string, rule: string): string | null {
  if (/AWS Account ID|ad_tenant_id|azure_client_id|privatekey-json/.test(rule)) return null;
  // A JDBC URL has two schemes (`jdbc:mysql://`).
  const url = /^(?:[a-z][a-z0-9+.-]*:)+\/\/[^:/@\s]+:([^@\s]+)@/i.exec(reported);
  // A password may hold `@` (`elastic:P@ssw0rd$1`), a user be an email; either may be quoted.
  const pair = /^["']?([^:/\s"']*)["']?:["']?([^\s"']*)["']?$/.exec(reported);
  // `user:password`: the password, unless it is empty (a token passed as the user).
  const userPassword = /basic|curl-auth-user/.test(rule) && pair;
  let secret = url?.[1] ?? (userPassword ? pair[2] || pair[1] : reported) ?? reported;
  // gitleaks' Kubernetes rule reports `key: value`; the value is the secret.
  if (rule === 'kubernetes-secret-yaml')
    secret = secret.replace(/^[\w.-]+:[ \t]*(?:[|>][ \t]*\r?\n)?\s*/, '');
  // A placeholder: a run of one character (`AKCxxxxxxxxxx`) or the word itself (`username:password@`).
  if (secret.length < 6 || /(.)\1{7}/.test(secret) || /^(?:password|secret|token)$/i.test(secret))
    return null;
  return secret;
}

const [gitleaksDir, secretlintDir, detectSecretsDir] = process.argv.slice(2);
if (!gitleaksDir || !secretlintDir || !detectSecretsDir) {
  console.error(
    'usage: npm run corpus:secrets -- <gitleaks git dir> <secretlint git dir> <detect-secrets git dir>',
  );
  process.exit(2);
}
const seen = new Set<string>();
const rows = [...gitleaks(gitleaksDir), ...secretlint(secretlintDir), ...detectSecrets(detectSecretsDir)]
  .flatMap((row) => {
    const secret = secretOf(row.secret, row.rule);
    return secret ? [{ ...row, secret }] : [];
  })
  .filter((row) => {
    const key = `${row.secret}\u0000${row.context ?? row.identifier}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
// Compressed: about 10,000 random secrets are ~1.5 MB of JSON lines. Node's gzip header holds no time, so a
// rebuild from the same snapshots gives the same bytes.
writeFileSync(OUT, gzipSync(`${rows.map((row) => JSON.stringify(row)).join('\n')}\n`, { level: 9 }));
const by = (source: string) => rows.filter((row) => row.source === source);
console.log(
  `${rows.length} rows (${new Set(rows.map((row) => row.secret)).size} distinct secrets) written to ${OUT}: ` +
    ['gitleaks-generated', 'gitleaks-tests', 'secretlint-tests', 'detect-secrets-tests']
      .map((source) => `${source} ${by(source).length}`)
      .join(', '),
);
