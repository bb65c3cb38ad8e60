// The fake-secret corpus (test/fixtures/secrets) and Codex sessions that carry its secrets everywhere a
// user's secret can turn up: the prompt, a shell command, an env assignment, command output, file names
// and contents of a patch, MCP arguments and results, the final message. Each session is one turn as
// Codex 0.169 fires its hooks and writes its rollout (shapes from the real fixtures).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
