// The fake-secret corpus (test/fixtures/secrets) and Codex sessions that carry its secrets everywhere a
// user's secret can turn up: the prompt, a shell command, an env assignment, command output, file names
// and contents of a patch, MCP arguments and results, the final message. Each session is one turn as
// Codex 0.169 fires its hooks and writes its rollout (shapes from the real fixtures).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RolloutWriter } from '../unit/codex/rollout-writer';
import { codexSession, type EventSequence } from './capture-harness';

export const SECRETS_DIR = join(import.meta.dirname, '../fixtures/secrets');

export interface CorpusRow {
  kind: string;
  secret: string;
  context: string;
}

export function readCorpus(): CorpusRow[] {
  return readFileSync(join(SECRETS_DIR, 'corpus.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CorpusRow);
}

/**
 * What ordinary commands print in a coding session, recorded on a development machine (command-output.txt):
 * git's log, show, ls-tree, diff, status and reflog with their full hashes, npm's install, ls, pack and
 * view output with integrity digests, vitest and node --test runs (a failing one too), tsc errors, file
 * listings, Codex session files named by UUID, checksums. Nothing in it is a secret.
 */
export function readCommandOutput(): string[] {
  return readFileSync(join(SECRETS_DIR, 'command-output.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

export function readOrdinary(): string[] {
  return readFileSync(join(SECRETS_DIR, 'ordinary.txt'), 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

/**
 * Kinds recognisable by their shape alone (a provider prefix, a key block): only these can be found where
 * nothing names them a secret, like a bare file name. A bare 40-character AWS secret key or a password
 * looks like any other random string.
 */
export const SHAPE_KINDS = new Set([
  'aws_access_key_id',
  'github_token',
  'github_oauth',
  'github_fine_grained',
  'gitlab_token',
  'slack_bot_token',
  'slack_webhook',
  'openai_key',
  'openai_legacy_key',
  'anthropic_key',
  'stripe_live_key',
  'stripe_restricted_key',
  'google_api_key',
  'npm_token',
  'jwt',
]);

/**
 * What must not appear anywhere once redacted: the secret, its JSON-escaped form (a key block's newlines)
 * and, for long secrets, a 16-character piece of its middle (a partial leak is a leak).
 */
export function needles(secret: string): string[] {
  const list = new Set([secret, JSON.stringify(secret).slice(1, -1)]);
  const core = secret.replace(/^-----BEGIN [A-Z ]+-----\s*/, '').slice(8, 24);
  if (core.length >= 16) list.add(core);
  return [...list];
}

/** The corpus rows whose needles occur in `haystack` (a Buffer is searched byte for byte). */
export function leakedRows(rows: readonly CorpusRow[], haystack: Buffer | string): CorpusRow[] {
  return rows.filter((row) => needles(row.secret).some((needle) => haystack.includes(needle)));
}

/** The env variable a kind's secret is usually exported as. */
function envName(kind: string): string {
  const name = kind.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return /_(KEY|TOKEN)$/.test(name) ? name : `${name}_SECRET`;
}

export interface SecretPlacements {
  prompt: string;
  envCommand: string;
  command: string;
  output: string;
  patch: string;
  mcpArguments: Record<string, unknown>;
  mcpResult: { content: { type: string; text: string }[]; isError: boolean };
  finalMessage: string;
}

export function placements(row: CorpusRow): SecretPlacements {
  const name = envName(row.kind);
  // A key block is one line only inside a quoted value; anything else is exported bare.
  const value = row.secret.includes('\n') ? `"${row.secret}"` : row.secret;
  const fileName = SHAPE_KINDS.has(row.kind) ? `keys/${row.secret}.txt` : 'config/.env';
  return {
    prompt: `Set up the deploy with this: ${row.context}`,
    envCommand: `export ${name}=${value} && ./scripts/deploy.sh --env prod`,
    command: row.context.includes('\n') ? `printf '%s' '${row.context}'` : row.context,
    output: `loaded config\n${name}=${value}\n${row.context}\ndone`,
    patch: `*** Begin Patch\n*** Add File: ${fileName}\n+${name}=${value}\n+# ${row.context.split('\n')[0]}\n*** End Patch`,
    mcpArguments: {
      note: row.context,
      env: { [name]: row.secret },
      api_key: row.secret,
      // Only what is a token is sent as one: a password or a key block never is.
      ...(SHAPE_KINDS.has(row.kind) || row.kind === 'bearer_token'
        ? { headers: { Authorization: `Bearer ${row.secret}` } }
        : {}),
    },
    mcpResult: { content: [{ type: 'text', text: `stored: ${row.context}` }], isError: false },
    finalMessage: `Done. I used ${row.context} as you asked.`,
  };
}

/** Every text of the row's placements, as redaction meets them (MCP arguments and result as JSON). */
export function placementTexts(row: CorpusRow): string[] {
  const p = placements(row);
  return [
    p.prompt,
    p.envCommand,
    p.command,
    p.output,
    p.patch,
    JSON.stringify(p.mcpArguments),
    JSON.stringify(p.mcpResult),
    p.finalMessage,
  ];
}

export interface SecretSession {
  sessionId: string;
  turnId: string;
  /** Every hook event Codex fires for the turn (full capture); filter for lean. */
  events: EventSequence;
  rollout: string;
}

/** One Codex turn carrying the row's secret in every placement, with its rollout at `transcriptPath`. */
export function secretSession(
  row: CorpusRow,
  index: number,
  cwd: string,
  transcriptPath: string,
): SecretSession {
  const sessionId = `01a2f000-0000-7000-8000-${String(index).padStart(12, '0')}`;
  const turnId = `01a2f000-1111-7000-8000-${String(index).padStart(12, '0')}`;
  const p = placements(row);
  const base = { session_id: sessionId, transcript_path: transcriptPath, cwd, model: 'gpt-5.5' };
  const ev = (hook_event_name: string, extra: Record<string, unknown> = {}): [string, string] => [
    hook_event_name,
    JSON.stringify({ ...base, permission_mode: 'bypassPermissions', hook_event_name, ...extra }),
  ];
  const tool = (id: string, name: string, input: unknown, response: unknown): [string, string][] => [
    ev('PreToolUse', { turn_id: turnId, tool_name: name, tool_input: input, tool_use_id: id }),
    ev('PostToolUse', {
      turn_id: turnId,
      tool_name: name,
      tool_input: input,
      tool_response: response,
      tool_use_id: id,
    }),
  ];
  const patchOutput = 'Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\n';
  const events: EventSequence = [
    ev('SessionStart', { source: 'startup' }),
    ev('UserPromptSubmit', { turn_id: turnId, prompt: p.prompt }),
    ...tool('call_env', 'Bash', { command: p.envCommand }, 'deployed'),
    ...tool('call_cmd', 'Bash', { command: p.command }, p.output),
    ...tool('patch_call', 'apply_patch', { command: p.patch }, patchOutput),
    ...tool('mcp_call', 'mcp__vault__store', p.mcpArguments, p.mcpResult),
    ev('Stop', { turn_id: turnId, stop_hook_active: false, last_assistant_message: p.finalMessage }),
    ['SessionEnd', codexSession(sessionId, cwd, transcriptPath).sessionEnd()],
  ];

  const w = new RolloutWriter(sessionId, Date.now() - 60_000).sessionMeta({ cwd });
  w.startTurn(turnId, p.prompt);
  w.exec(turnId, 'call_env', p.envCommand, { output: 'deployed', exitCode: 0 });
  w.exec(turnId, 'call_cmd', p.command, { output: p.output, exitCode: 1 });
  w.line('response_item', {
    type: 'custom_tool_call',
    call_id: 'patch_call',
    name: 'apply_patch',
    input: p.patch,
  });
  w.event({
    type: 'item_completed',
    turn_id: turnId,
    item: {
      type: 'FileChange',
      id: 'patch_call',
      changes: {
        [join(cwd, p.patch.split('\n')[1]?.replace('*** Add File: ', '') ?? '')]: {
          type: 'add',
          content: p.output,
        },
      },
      status: 'completed',
      stdout: patchOutput,
      stderr: '',
    },
  });
  w.line('response_item', { type: 'custom_tool_call_output', call_id: 'patch_call', output: patchOutput });
  w.line('response_item', {
    type: 'function_call',
    name: 'store',
    namespace: 'mcp__vault',
    arguments: JSON.stringify(p.mcpArguments),
    call_id: 'mcp_call',
  });
  w.event({
    type: 'item_completed',
    turn_id: turnId,
    item: {
      type: 'McpToolCall',
      id: 'mcp_call',
      server: 'vault',
      tool: 'store',
      arguments: p.mcpArguments,
      status: 'completed',
      result: p.mcpResult,
    },
  });
  w.line('response_item', {
    type: 'function_call_output',
    call_id: 'mcp_call',
    output: [{ type: 'input_text', text: p.mcpResult.content[0]?.text ?? '' }],
  });
  w.usage(turnId, `resp-${index}`, { input: 1_000, output: 50 });
  w.agentMessage(turnId, p.finalMessage);
  w.complete(turnId, 1_500, p.finalMessage);
  return { sessionId, turnId, events, rollout: w.text() };
}

// The public corpus (test/fixtures/secrets/public.jsonl.gz, built by scripts/build-secret-corpus.ts from the
// test examples of gitleaks, secretlint and detect-secrets; see the README there): each secret as its
// scanner's tests write it (a context), and each also placed the ways a Codex session shows it.

export interface PublicRow {
  source: string;
  /** The scanner's rule that reports the secret. */
  rule: string;
  secret: string;
  /** The example text; absent for generated rows, whose contexts are gitleaks' sample forms. */
  context?: string;
  /** For generated rows: the identifier the sample forms name the secret by. */
  identifier?: string;
  /** For generated rows: the sample forms (by index) it is written in; absent: all of them. */
  forms?: number[];
}

/** gitleaks' sample forms ({i} identifier, {I} in upper case, {s} secret), from its utils/generate.go. */
const SAMPLE_FORMS = [
  '{i}Token="{s}"',
  '{i}Token = "{s}"',
  '{i}Token={s}',
  '{i}Token = {s}',
  '{\n    "{i}_token": "{s}"\n}',
  '{"config.ini": "{I}_TOKEN={s}\\nBACKUP_ENABLED=true"}',
  '<{i}Token>\n    {s}\n</{i}Token>',
  '{i}_token: {s}',
  "{i}_token: '{s}'",
  '{i}_token: "{s}"',
  'string {i}Token = "{s}";',
  'var {i}Token string = "{s}"',
  '{i}Token := "{s}"',
  '{i}Token := `{s}`',
  'String {i}Token = "{s}";',
  'var {i}Token = "{s}"',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: PHP's `$name`, not a template
  '${i}Token .= "{s}"',
  "{i}Token = '{s}'",
  '{i}Token = "{s}"',
  'System.setProperty("{I}_TOKEN", "{s}")',
  '  "{i}Token" => "{s}"',
  '{i}_TOKEN = "{s}"',
  '{i}_TOKEN := "{s}"',
  '{i}_TOKEN ::= "{s}"',
  '{i}_TOKEN :::= "{s}"',
  '{i}_TOKEN ?= "{s}"',
  '{i}_api_token = "{s}"',
];

export const SAMPLE_FORM_COUNT = SAMPLE_FORMS.length;

export function sampleForms(identifier: string, secret: string): string[] {
  return SAMPLE_FORMS.map((form) =>
    form.replaceAll('{i}', identifier).replaceAll('{I}', identifier.toUpperCase()).replaceAll('{s}', secret),
  );
}

export interface PublicSecret {
  source: string;
  rule: string;
  secret: string;
  /** The texts the scanner's examples show it in. */
  contexts: string[];
}

/** The public corpus, one entry per secret with every context it is shown in. */
export function readPublicCorpus(): PublicSecret[] {
  const bySecret = new Map<string, PublicSecret>();
  const text = gunzipSync(readFileSync(join(SECRETS_DIR, 'public.jsonl.gz'))).toString('utf8');
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as PublicRow;
    const contexts =
      row.context !== undefined
        ? [row.context]
        : sampleForms(row.identifier ?? 'key', row.secret).filter(
            (_, index) => !row.forms || row.forms.includes(index),
          );
    const known = bySecret.get(row.secret);
    if (known) known.contexts.push(...contexts);
    else bySecret.set(row.secret, { source: row.source, rule: row.rule, secret: row.secret, contexts });
  }
  return [...bySecret.values()];
}

/** The env variable name a rule's secret is exported as: `ADAFRUIT_API_KEY`, `SLACK_BOT_TOKEN`. */
function ruleEnvName(rule: string): string {
  return envName(rule.replace(/\/.*$/, ''));
}

/** Log lines that name what they print, as programs and their debug output do (one chosen by the secret). */
const NAMED_LOG_LINES = [
  (s: string) => `[auth] token accepted: ${s}`,
  (s: string) => `DEBUG client: using api key ${s} for https://api.example.com/v2`,
  (s: string) => `> POST /v1/upload HTTP/1.1 Authorization=Bearer ${s}`,
  (s: string) => `WARN credential ${s} expires in 3 days`,
  (s: string) => `login ok (secret=${s}, user=deploy)`,
  (s: string) => `Using access token ${s}`,
];

function namedLogLine(secret: string): string {
  let sum = 0;
  for (let at = 0; at < secret.length; at += 1) sum += secret.charCodeAt(at);
  return (NAMED_LOG_LINES[sum % NAMED_LOG_LINES.length] as (s: string) => string)(secret);
}

/**
 * Whether a secret is shaped like an id or a digest (a UUID, a number, hex of an object id's or a hash's
 * length): in a line that names nothing, most such shapes cannot be told from the session, call and commit
 * ids a trace must keep. The suite counts these texts with the rest and says how many of them are left.
 */
export function idShaped(secret: string): boolean {
  return (
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(secret) ||
    /^\d+$/.test(secret) ||
    /^(?:[0-9a-f]{24}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$/i.test(secret)
  );
}

/** The placements where nothing names the secret (see idShaped). */
export const NAMELESS_PLACEMENTS = new Set(['plain log line']);

/**
 * The ways a Codex session shows a secret besides its example: in a command (a heredoc writing the example,
 * an export), as command output JSON-escaped once and twice (a rollout line, MCP arguments inside it), in a
 * plain log line with no name, in a sentence of the prompt, in an env dump, and split over shell line
 * continuations, and in a log line that names it.
 */
export function publicPlacements(entry: PublicSecret): { how: string; text: string }[] {
  const { secret } = entry;
  const context = entry.contexts[0] ?? secret;
  const name = ruleEnvName(entry.rule);
  const quoted = secret.includes('\n') ? `"${secret}"` : secret;
  return [
    { how: 'heredoc command', text: `cat > config/settings.local <<'EOF'\n${context}\nEOF` },
    { how: 'export command', text: `export ${name}=${quoted} && npm run deploy` },
    { how: 'JSON-escaped output', text: JSON.stringify({ type: 'function_call_output', output: context }) },
    {
      how: 'JSON-escaped twice',
      text: JSON.stringify({ arguments: JSON.stringify({ path: 'settings.json', content: context }) }),
    },
    {
      how: 'plain log line',
      text: `2026-11-25T10:00:01.123Z INFO  [uploader] connecting with ${secret} (attempt 1/3)`,
    },
    { how: 'named log line', text: namedLogLine(secret) },
    {
      how: 'prompt sentence',
      text: `Deploy the staging app, my ${entry.rule.split(/[-/]/)[0]} credential is ${secret} and the region is eu-west-1.`,
    },
    {
      how: 'env dump',
      text: `HOME=/home/dev\nLANG=C.UTF-8\n${name}=${quoted}\nPATH=/usr/local/bin:/usr/bin`,
    },
    {
      how: 'shell continuation',
      text: `docker run --rm \\\n  -e ${name}=${quoted} \\\n  -e REGION=eu-west-1 \\\n  registry.example.com/app:1.4`,
    },
  ];
}

/**
 * The 8-character pieces of a secret that must not be left anywhere (recall counts a text as caught only
 * when none is): of each of its lines (a key block's armour lines aside), raw and JSON-escaped once and
 * twice. A secret line shorter than 8 characters is a piece whole.
 */
export function secretPieces(secret: string): string[] {
  const pieces = new Set<string>();
  const lines = secret
    .split(/\r?\n|\\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^-----(?:BEGIN|END)[A-Z0-9 ]*-----$/.test(line));
  for (const line of lines) {
    const forms = [line, JSON.stringify(line).slice(1, -1)];
    forms.push(JSON.stringify(forms[1]).slice(1, -1));
    for (const form of new Set(forms)) {
      if (form.length <= 8 && lines.length === 1) pieces.add(form);
      for (let at = 0; at + 8 <= form.length; at += 1) pieces.add(form.slice(at, at + 8));
    }
  }
  return [...pieces];
}

/**
 * Whether any 8-character piece of the secret is left in the redacted text; a piece the text also holds
 * away from the secret (`rubygems` of `rubygemsToken = "rubygems_..."`), or that is the family a mark
 * names (`[REDACTED:rubygems-api-token]` for `rubygems_...`), does not count.
 */
export function pieceLeft(
  pieces: readonly string[],
  secret: string,
  text: string,
  redacted: string,
): boolean {
  const lines = secret.split(/\r?\n|\\n/).filter((line) => line.trim().length >= 8);
  let away = text;
  for (const line of lines) away = away.split(line.trim()).join('\u0000');
  const left = redacted.replace(/\[REDACTED:[\w./-]+\]/g, '\u0000');
  return pieces.some((piece) => left.includes(piece) && !away.includes(piece));
}
