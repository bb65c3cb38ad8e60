import { describe, expect, it } from 'vitest';
import type { ContentMode } from '../../../src/config/settings';
import { LIMITS, type Step, serializeTaskData } from '../../../src/infinium/task-data';
import { buildTurnTrace, type TraceOptions } from '../../../src/trace/build';
import { bodyBytes, truncateMiddle } from '../../../src/trace/limits';
import { RolloutWriter } from '../codex/rollout-writer';
import { input } from './helpers';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');
const KEY = 'sk-proj-lJRU3tnlgQBbDUhGbNB4_UbuhTmQkfSm2BR7uEXs8CgXTUwh';

const options = (contentMode: ContentMode = 'redacted', extra: Partial<TraceOptions> = {}): TraceOptions => ({
  contentMode,
  redactPatterns: [],
  capture: 'lean',
  nowMs: NOW,
  ...extra,
});

function secretTurn(): RolloutWriter {
  return new RolloutWriter()
    .startTurn('t1', `Use OPENAI_API_KEY=${KEY} to call the API`)
    .exec('t1', 'c1', `curl -H "Authorization: Bearer ${KEY}" https://api.example.com`, {
      output: `{"key":"${KEY}"}\n`,
      exitCode: 22,
    })
    .usage('t1', 'r1', { input: 100, output: 10 })
    .agentMessage('t1', `Done; your key ${KEY} works.`)
    .complete('t1', 1000, `Done; your key ${KEY} works.`);
}

function allText(value: unknown): string {
  return JSON.stringify(value);
}

describe('metadata names', () => {
  it.each(['redacted', 'metadata'] as const)(
    'a branch, folder or run label named after a secret is redacted (%s mode)',
    (mode) => {
      const token = 'ghp_R2D4hqvZHN9y0ci72ZSxbgdUXlb7KofCa8b9';
      const data = buildTurnTrace(
        input(secretTurn(), {
          environment: {
            project: `rotate-${token}`,
            cwd: `/work/rotate-${token}`,
            gitBranch: `fix/${token}`,
            runLabel: `run ${token}`,
            os: 'Linux',
            connectorVersion: '0.1.0',
          },
        }),
        options(mode),
      );
      expect(allText(data)).not.toContain(token.slice(4, 20));
      expect(data.environment?.git_branch).toBe('fix/[REDACTED:github-token]');
    },
  );
});

describe('content modes', () => {
  it('redacted (default): secrets are gone from every field, the rest is kept', () => {
    const data = buildTurnTrace(input(secretTurn()), options('redacted'));
    expect(allText(data)).not.toContain(KEY);
    expect(data.input_summary).toBe('Use OPENAI_API_KEY=[REDACTED:openai-key] to call the API');
    expect(data.steps?.[1]?.input).toBe(
      'curl -H "Authorization: Bearer [REDACTED:openai-key]" https://api.example.com',
    );
    expect(data.output_summary).toBe('Done; your key [REDACTED:openai-key] works.');
    expect(data.errors?.[0]?.message).toContain('curl -H');
    expect(data.environment?.content_mode).toBe('redacted');
  });

  it('user patterns are applied on top', () => {
    const data = buildTurnTrace(
      input(secretTurn()),
      options('redacted', { redactPatterns: ['api\\.example\\.com'] }),
    );
    expect(data.steps?.[1]?.input).toContain('https://[REDACTED:custom]');
  });

  it('full: text is sent as written', () => {
    const data = buildTurnTrace(input(secretTurn()), options('full'));
    expect(data.input_summary).toBe(`Use OPENAI_API_KEY=${KEY} to call the API`);
    expect(data.steps?.[1]?.output).toBe(`{"key":"${KEY}"}\n`);
  });

  it('metadata: no prompt, command, output or message text anywhere', () => {
    const data = buildTurnTrace(input(secretTurn()), options('metadata'));
    serializeTaskData(data);
    const text = allText(data);
    for (const fragment of [KEY, 'OPENAI_API_KEY', 'curl', 'api.example.com', 'Done;', 'to call the API']) {
      expect(text).not.toContain(fragment);
    }
    expect(data.input_summary).toBeUndefined();
    expect(data.output_summary).toBeUndefined();
    expect(data.name).toBe('demo: Codex turn 1');
    expect(data.steps?.map((s) => [s.action, s.tool_name, s.status, s.exit_code, s.description])).toEqual([
      ['user_prompt', undefined, 'success', undefined, 'User prompt'],
      ['tool_call', 'exec_command', 'failure', 22, 'Ran a shell command'],
      ['assistant_message', undefined, 'success', undefined, 'Final assistant message'],
    ]);
    expect(data.errors?.[0]).toMatchObject({
      error_type: 'command_failed',
      message: 'Command exited with code 22',
    });
    expect(data.llm_usage?.total_tokens).toBe(110);
  });
});

describe('size limits', () => {
  it('cuts a long field in the middle, keeping head and tail and saying how much was cut', () => {
    const text = `HEAD${'x'.repeat(100_000)}TAIL`;
    const cut = truncateMiddle(text, 1000);
    expect(cut.length).toBeLessThanOrEqual(1000);
    expect(cut.startsWith('HEAD')).toBe(true);
    expect(cut.endsWith('TAIL')).toBe(true);
    const [head, count, tail] =
      /^([\s\S]*)\n\[\.\.\. (\d+) characters cut \.\.\.\]\n([\s\S]*)$/.exec(cut)?.slice(1) ?? [];
    expect((head?.length ?? 0) + Number(count) + (tail?.length ?? 0)).toBe(text.length);
  });

  it('never splits a surrogate pair', () => {
    const cut = truncateMiddle('😀'.repeat(5000), 101);
    expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });

  it('a huge command output is cut to the step output limit', () => {
    const w = new RolloutWriter()
      .startTurn('t1', 'print a lot')
      .exec('t1', 'c1', 'yes | head -n 1000000', {
        output: `first\n${'y\n'.repeat(1_000_000)}last\n`,
        exitCode: 0,
      })
      .complete('t1', 10);
    const data = buildTurnTrace(input(w), options());
    const output = data.steps?.[1]?.output ?? '';
    expect(output.length).toBeLessThanOrEqual(16_000);
    expect(output.startsWith('first\n')).toBe(true);
    expect(output.endsWith('last\n')).toBe(true);
    expect(output).toMatch(/characters cut/);
  });

  it('a turn far over 1 MB is brought under it, keeping every required field', () => {
    const w = new RolloutWriter().startTurn('t1', 'p'.repeat(200_000));
    for (let i = 0; i < 3000; i += 1) {
      w.exec('t1', `c${i}`, `cat file-${i} ${'z'.repeat(9000)}`, {
        output: 'o'.repeat(20_000),
        exitCode: i % 2,
      });
    }
    w.complete('t1', 10_000, 'done');
    const data = buildTurnTrace(input(w), options());
    expect(bodyBytes(data)).toBeLessThanOrEqual(LIMITS.bodyMaxBytes);
    expect(() => serializeTaskData(data)).not.toThrow();
    expect(data.name).toBeTruthy();
    expect(data.description).toBeTruthy();
    expect(data.steps?.[0]?.action).toBe('user_prompt');
    expect(data.steps?.at(-1)?.action).toBe('assistant_message');
    expect(data.errors?.length).toBe(1500);
  });
});

describe('large turns', () => {
  it('1,000 tool calls become 1,000 ordered steps', () => {
    const w = new RolloutWriter().startTurn('t1', 'run a thousand commands');
    for (let i = 0; i < 1000; i += 1) {
      w.exec('t1', `c${i}`, `echo ${i}`, { output: `${i}\n`, exitCode: 0 });
      w.usage('t1', `r${i}`, { input: 100, cached: 50, output: 10, reasoning: 2 });
    }
    w.agentMessage('t1', 'all done').complete('t1', 60_000, 'all done');
    const data = buildTurnTrace(input(w), options());
    serializeTaskData(data);
    const tools = data.steps?.filter((s: Step) => s.action === 'tool_call') ?? [];
    expect(tools).toHaveLength(1000);
    expect(tools.map((s) => s.input)).toEqual(Array.from({ length: 1000 }, (_, i) => `echo ${i}`));
    expect(data.steps?.map((s) => s.step_number)).toEqual(Array.from({ length: 1002 }, (_, i) => i + 1));
    expect(data.llm_usage).toMatchObject({
      prompt_tokens: 100_000,
      cached_tokens: 50_000,
      completion_tokens: 10_000,
      reasoning_tokens: 2_000,
      total_tokens: 110_000,
      api_calls_count: 1000,
    });
  });
});

describe('full capture with a rollout', () => {
  const base = { session_id: 'S', transcript_path: '/r.jsonl', cwd: '/p', turn_id: 't1' };
  const at = (iso: string) => Date.parse(iso);

  it('hook facts fill only what the rollout lacks', () => {
    const w = new RolloutWriter('S', at('2026-11-25T10:00:00.000Z'))
      .startTurn('t1', 'go')
      .exec('t1', 'known', 'ls', { output: 'a\n', exitCode: 0 })
      .exec('t1', 'cut', 'make', null)
      .wait(5000)
      .agentMessage('t1', 'done')
      .complete('t1', 6000, 'done');
    const events = [
      {
        ...base,
        hook_event_name: 'PreToolUse',
        tool_name: 'Bash',
        tool_input: { command: 'ls' },
        tool_use_id: 'known',
      },
      {
        ...base,
        hook_event_name: 'PostToolUse',
        tool_name: 'Bash',
        tool_input: { command: 'ls' },
        tool_use_id: 'known',
        tool_response: 'DIFFERENT\n',
      },
      {
        ...base,
        hook_event_name: 'PreToolUse',
        tool_name: 'Bash',
        tool_input: { command: 'make' },
        tool_use_id: 'cut',
      },
      {
        ...base,
        hook_event_name: 'PostToolUse',
        tool_name: 'Bash',
        tool_input: { command: 'make' },
        tool_use_id: 'cut',
        tool_response: 'built\n',
      },
      {
        ...base,
        hook_event_name: 'PreToolUse',
        tool_name: 'web_fetch',
        tool_input: { url: 'https://example.com' },
        tool_use_id: 'unknown',
      },
      {
        ...base,
        hook_event_name: 'PostToolUse',
        tool_name: 'web_fetch',
        tool_input: { url: 'https://example.com' },
        tool_use_id: 'unknown',
        tool_response: '<html>',
      },
    ];
    const arrivals = [10, 20, 30, 2000, 3000, 3100].map((ms) => at('2026-11-25T10:00:00.000Z') + ms);
    const data = buildTurnTrace(
      input(w, {
        events: events.map((payload, i) => ({
          event: payload.hook_event_name,
          arrivedAtMs: arrivals[i] as number,
          payload,
        })),
      }),
      options('redacted', { capture: 'full' }),
    );
    expect(
      data.steps?.filter((s) => s.action === 'tool_call').map((s) => [s.tool_name, s.status, s.output]),
    ).toEqual([
      ['exec_command', 'success', 'a\n'],
      ['exec_command', 'success', 'built\n'],
      ['web_fetch', 'success', '<html>'],
    ]);
    expect(data.errors).toEqual([]);
  });
});

describe('items without a call line', () => {
  it('a completed WebSearch item is a successful web_search step with its query', () => {
    const w = new RolloutWriter()
      .startTurn('t1', 'look it up')
      .event({
        type: 'item_completed',
        turn_id: 't1',
        item: { type: 'WebSearch', id: 'ws_1', query: 'codex hooks docs', action: { type: 'search' } },
      })
      .complete('t1', 100, 'found it');
    const data = buildTurnTrace(input(w), options());
    expect(data.steps?.[1]).toMatchObject({
      tool_name: 'web_search',
      status: 'success',
      input: 'codex hooks docs',
      description: 'Called web_search',
    });
    expect(data.errors).toEqual([]);
  });
});

describe('assistant messages', () => {
  it('each message once, in order, whichever of its two lines comes first; the last is the final one', () => {
    const w = new RolloutWriter()
      .startTurn('t1', 'check')
      .line('response_item', {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'Looking.' }],
      })
      .event({
        type: 'item_completed',
        turn_id: 't1',
        item: { type: 'AgentMessage', id: 'm1', content: [{ type: 'Text', text: 'Looking.' }] },
      })
      .exec('t1', 'c1', 'ls', { output: 'a\n', exitCode: 0 })
      .agentMessage('t1', 'All good.')
      .complete('t1', 100, 'All good.');
    const data = buildTurnTrace(input(w), options());
    expect(data.steps?.map((s) => [s.action, s.description, s.output])).toEqual([
      ['user_prompt', 'User prompt', undefined],
      ['assistant_message', 'Assistant message', 'Looking.'],
      ['tool_call', 'Ran `ls`', 'a\n'],
      ['assistant_message', 'Final assistant message', 'All good.'],
    ]);
  });
});

describe('interrupted turns', () => {
  it('cuts the calls the interrupt killed (exit 137 as it came), not one killed long before', () => {
    const w = new RolloutWriter()
      .startTurn('t1', 'run things')
      .exec('t1', 'c1', 'memory-hog', { output: 'Killed\n', exitCode: 137, durationMs: 100 })
      .wait(10_000)
      // Two calls running side by side when the user pressed Esc: both killed, both written with 137.
      .exec('t1', 'c2', 'sleep 30', { output: '', exitCode: 137, durationMs: 900 })
      .exec('t1', 'c3', 'tail -f log', { output: 'line\n', exitCode: 137, durationMs: 5 })
      .aborted('t1');
    const data = buildTurnTrace(input(w, { ending: 'interrupt' }), options());
    expect(
      data.steps?.filter((s) => s.action === 'tool_call').map((s) => [s.input, s.status, s.exit_code]),
    ).toEqual([
      ['memory-hog', 'failure', 137],
      ['sleep 30', 'incomplete', 137],
      ['tail -f log', 'incomplete', 137],
    ]);
  });
});

describe('calls Codex rejected (field case rejected-tool-call; codex-matrix F1)', () => {
  it('an unknown tool, a custom tool Codex does not offer, unparseable arguments: failed, never ran', () => {
    const w = new RolloutWriter()
      .startTurn('t1', 'do things')
      .line('response_item', {
        type: 'function_call',
        name: 'no_such_tool',
        arguments: '{"x":1}',
        call_id: 'a',
      })
      .line('response_item', {
        type: 'function_call_output',
        call_id: 'a',
        output: 'unsupported call: no_such_tool',
      })
      // Codex 0.124 with a model it does not know offers no apply_patch: the file is never written.
      .line('response_item', {
        type: 'custom_tool_call',
        name: 'apply_patch',
        call_id: 'b',
        input: '*** Begin Patch\n*** Add File: hello.py\n+print(1)\n*** End Patch',
      })
      .line('response_item', {
        type: 'custom_tool_call_output',
        call_id: 'b',
        output: 'unsupported custom tool call: apply_patch',
      })
      .line('response_item', {
        type: 'function_call',
        name: 'exec_command',
        arguments: '{"cmd": ',
        call_id: 'c',
      })
      .line('response_item', {
        type: 'function_call_output',
        call_id: 'c',
        output: 'failed to parse function arguments: EOF while parsing a value at line 1 column 8',
      })
      // A command that ran and printed the same words is not a rejection.
      .exec('t1', 'd', 'echo "unsupported call: x"', { output: 'unsupported call: x\n', exitCode: 0 })
      .complete('t1', 100, 'done');
    const data = buildTurnTrace(input(w), options());
    expect(data.steps?.slice(1, 5).map((s) => [s.tool_name, s.status])).toEqual([
      ['no_such_tool', 'failure'],
      ['apply_patch', 'failure'],
      ['exec_command', 'failure'],
      ['exec_command', 'success'],
    ]);
    expect(data.errors?.map((e) => [e.error_type, e.step_number, e.message])).toEqual([
      [
        'tool_rejected',
        2,
        'Codex rejected the no_such_tool call; it never ran: unsupported call: no_such_tool',
      ],
      [
        'tool_rejected',
        3,
        'Codex rejected the apply_patch call; it never ran: unsupported custom tool call: apply_patch',
      ],
      [
        'tool_rejected',
        4,
        'Codex rejected the exec_command call; it never ran: failed to parse function arguments: EOF while parsing a value at line 1 column 8',
      ],
    ]);
    // Metadata mode: the rejection is still there, without Codex's text (it can quote arguments).
    const meta = buildTurnTrace(input(w), options('metadata'));
    expect(meta.errors?.[2]?.message).toBe('Codex rejected the exec_command call; it never ran');
  });
});

describe('MCP calls on Codex 0.117-0.129 (codex-matrix F6)', () => {
  it('a namespace that already ends in __ is not doubled, and the wrapper and content array are unwrapped', () => {
    const w = new RolloutWriter()
      .startTurn('t1', 'look up abc')
      // 0.124-0.129: the namespace is mcp__fixture__, the output keeps the "Wall time" header and raw array.
      .line('response_item', {
        type: 'function_call',
        name: 'lookup',
        namespace: 'mcp__fixture__',
        arguments: '{"key":"abc"}',
        call_id: 'm1',
      })
      .line('response_item', {
        type: 'function_call_output',
        call_id: 'm1',
        output: 'Wall time: 0.0011 seconds\nOutput:\n[{"type":"text","text":"value of abc: cba"}]',
      })
      // 0.117: a plain function named mcp__fixture__lookup; the output is the raw content array.
      .line('response_item', {
        type: 'function_call',
        name: 'mcp__fixture__lookup',
        arguments: '{"key":"abc"}',
        call_id: 'm2',
      })
      .line('response_item', {
        type: 'function_call_output',
        call_id: 'm2',
        output: '[{"type":"text","text":"value of abc: cba"}]',
      })
      .complete('t1', 100, 'cba');
    const data = buildTurnTrace(input(w), options());
    expect(data.steps?.slice(1, 3).map((s) => [s.tool_name, s.description, s.output, s.status])).toEqual([
      ['mcp__fixture__lookup', 'MCP call fixture/lookup', 'value of abc: cba', 'success'],
      ['mcp__fixture__lookup', 'MCP call fixture/lookup', 'value of abc: cba', 'success'],
    ]);
  });
});

describe('model errors and the drift sentinel', () => {
  it('a stream error Codex retried is a stream_error; a fatal error a model_error', () => {
    const w = new RolloutWriter()
      .startTurn('t1', 'go')
      .event({
        type: 'stream_error',
        message: 'Reconnecting... 1/5',
        codex_error_info: { response_stream_disconnected: { http_status_code: 502 } },
      })
      .event({ type: 'error', message: 'Quota exceeded.', codex_error_info: 'usage_limit_exceeded' })
      .complete('t1', 100);
    const data = buildTurnTrace(input(w), options());
    expect(data.errors?.map((e) => [e.error_type, e.message])).toEqual([
      [
        'stream_error',
        'Model response stream dropped (Codex retried) (response_stream_disconnected): Reconnecting... 1/5',
      ],
      ['model_error', 'Model request failed (usage_limit_exceeded): Quota exceeded.'],
    ]);
    expect(data.description).toContain('1 failed model request');
  });

  it('counts the line and item types it does not know, by type name only, and still builds the turn', () => {
    const w = new RolloutWriter()
      .startTurn('t1', 'go')
      .line('world_state', { full: true })
      .event({ type: 'thread_settings_applied', thread_settings: {} })
      .event({ type: 'brand_new_event', secret: 'sk-do-not-copy' })
      .event({ type: 'brand_new_event' })
      .line('response_item', { type: 'brand_new_item', text: 'do not copy' })
      .line('future_line', { anything: 1 })
      .event({ type: 'item_completed', turn_id: 't1', item: { type: 'NewThing', id: 'n1' } })
      .exec('t1', 'c1', 'ls', { output: 'a\n', exitCode: 0 })
      .complete('t1', 100, 'done');
    const data = buildTurnTrace(input(w), options());
    expect(data.environment?.unread_rollout_lines).toEqual({
      'event_msg:brand_new_event': 2,
      'response_item:brand_new_item': 1,
      future_line: 1,
      'item_completed:NewThing': 1,
    });
    expect(JSON.stringify(data)).not.toContain('do-not-copy');
    // An item of an unknown type is counted, never invented as a tool call ("Called new_thing").
    expect(data.steps?.map((s) => s.tool_name ?? s.action)).toEqual([
      'user_prompt',
      'exec_command',
      'assistant_message',
    ]);
    const clean = buildTurnTrace(
      input(new RolloutWriter().startTurn('t1', 'go').complete('t1', 1, 'ok')),
      options(),
    );
    expect(clean.environment).not.toHaveProperty('unread_rollout_lines');
  });
});

describe('description', () => {
  it('starts with the prompt excerpt, then the statistics line; only the statistics in metadata mode', () => {
    const w = new RolloutWriter()
      .startTurn('t1', 'Fix the   flaky\ntest in src/a.ts')
      .exec('t1', 'c1', 'npm test', { output: 'ok\n', exitCode: 0 })
      .complete('t1', 1500, 'fixed');
    expect(buildTurnTrace(input(w), options()).description).toBe(
      'Fix the flaky test in src/a.ts\n\nCodex CLI turn 1 of session S in demo: 1 tool call, 1.5 s, model gpt-5.5',
    );
    expect(buildTurnTrace(input(w), options('metadata')).description).toBe(
      'Codex CLI turn 1 of session S in demo: 1 tool call, 1.5 s, model gpt-5.5',
    );
  });
});

// precut-partial-token: a text too long to scan whole was cut before redaction, and the final cut kept the
// half of a token that straddled that first cut (`ghp_bSble9uhXq2G9xr` before the marker).
describe('precut-partial-token', () => {
  it('no piece of a token cut by the scan window survives next to a cut', () => {
    const secret = 'ghp_bSble9uhXq2G9xrZAAXepSpw6ACEWTNdd0WJ';
    const token = (i: number) => `ghp_${String(i).padStart(4, '0')}${'Ab3'.repeat(82)}`;
    const filler = 'build log line ok\n'.repeat(3000).slice(0, 39304 - 20);
    const tail = Array.from({ length: 110 }, (_, i) => token(i)).join(' ');
    const output = `${filler}${secret}\n${'more log\n'.repeat(2000)}${tail}`;
    const w = new RolloutWriter()
      .startTurn('t1', 'show the CI log')
      .exec('t1', 'c1', 'cat ci.log', { output, exitCode: 0 })
      .complete('t1', 1000, 'done');
    const text = allText(buildTurnTrace(input(w), options()));
    for (let at = 0; at + 8 <= secret.length; at += 1) expect(text).not.toContain(secret.slice(at, at + 8));
    expect(text).not.toContain('Ab3Ab3Ab3');
    expect(text).toContain('characters cut');
  });
});

// agent-secret-in-trace: the builder is handed the secret the trace may be sent with.
describe('agent secret', () => {
  it.each(['full', 'redacted'] as const)('is scrubbed from every field in %s mode', (mode) => {
    const secret = 'secret-abcdef-123456';
    const w = new RolloutWriter()
      .startTurn('t1', `why does tracing fail? my key is ${secret}`)
      .exec(
        't1',
        'c1',
        `curl -H 'x-agent-key: ${secret}' https://platform.i42m.ai/api/v1/agents/ag1/health`,
        {
          output: `{\n  "ag1": "${secret}"\n}\n${Buffer.from(`ag1:${secret}`).toString('base64')}\n`,
          exitCode: 1,
        },
      )
      .complete('t1', 1000, `Your secret ${secret} is stored in the fallback file.`);
    const text = allText(buildTurnTrace(input(w), options(mode, { agentSecrets: [secret] })));
    expect(text).not.toContain(secret.slice(0, 10));
    expect(text).not.toContain(Buffer.from(secret).toString('base64').slice(4, 16));
    expect(text).toContain('[REDACTED:agent-secret]');
  });
});
