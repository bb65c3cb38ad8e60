// Writes synthetic rollouts in the shapes Codex writes them (0.169, as in the real fixtures; and the
// older shape without task_started, item_completed or token_usage_record), for cases the real fixtures
// do not cover: resumes, duplicated token lines, forks, 1,000 tool calls, 200 MB files.

export interface Counts {
  input: number;
  cached?: number;
  output: number;
  reasoning?: number;
}

function usage(counts: Counts, withTotal = true) {
  return {
    input_tokens: counts.input,
    cached_input_tokens: counts.cached ?? 0,
    cache_write_input_tokens: 0,
    output_tokens: counts.output,
    reasoning_output_tokens: counts.reasoning ?? 0,
    ...(withTotal ? { total_tokens: counts.input + counts.output } : {}),
  };
}

export class RolloutWriter {
  readonly lines: string[] = [];
  private ordinal = 0;
  private atMs: number;

  constructor(
    readonly sessionId = '01a20000-0000-7000-8000-000000000001',
    startMs = Date.parse('2026-11-25T10:00:00.000Z'),
  ) {
    this.atMs = startMs;
  }

  /** Advances the line clock. */
  wait(ms: number): this {
    this.atMs += ms;
    return this;
  }

  get nowMs(): number {
    return this.atMs;
  }

  line(type: string, payload: unknown): this {
    this.lines.push(
      JSON.stringify({
        timestamp: new Date(this.atMs).toISOString(),
        ordinal: this.ordinal++,
        type,
        payload,
      }),
    );
    this.atMs += 1;
    return this;
  }

  event(payload: Record<string, unknown>): this {
    return this.line('event_msg', payload);
  }

  sessionMeta(extra: Record<string, unknown> = {}): this {
    return this.line('session_meta', {
      id: this.sessionId,
      session_id: this.sessionId,
      cwd: '/home/dev/project',
      originator: 'codex_exec',
      cli_version: '0.169.0',
      source: 'exec',
      model_provider: 'openai',
      base_instructions: { text: 'You are Codex.' },
      ...extra,
    });
  }

  /** task_started, turn_context and the prompt, as 0.169 writes a turn's start. */
  startTurn(turnId: string, prompt: string, model = 'gpt-5.5'): this {
    this.event({ type: 'task_started', turn_id: turnId, started_at: Math.floor(this.atMs / 1000) });
    this.line('turn_context', { turn_id: turnId, model, cwd: '/home/dev/project', approval_policy: 'never' });
    this.line('response_item', {
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: '<environment_context>cwd</environment_context>' }],
    });
    this.line('response_item', {
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: prompt }],
    });
    return this.event({
      type: 'item_completed',
      turn_id: turnId,
      item: { type: 'UserMessage', id: `user-${turnId}`, content: [{ type: 'text', text: prompt }] },
    });
  }

  /** An exec_command call. `result: null` leaves it without output (a call that never returned). */
  exec(
    turnId: string,
    callId: string,
    command: string,
    result: { output: string; exitCode: number; durationMs?: number } | null,
  ): this {
    this.line('response_item', {
      type: 'function_call',
      name: 'exec_command',
      arguments: JSON.stringify({ cmd: command, yield_time_ms: 10000 }),
      call_id: callId,
    });
    if (!result) return this;
    const started = this.atMs;
    this.wait(result.durationMs ?? 5);
    this.event({
      type: 'item_completed',
      turn_id: turnId,
      item: {
        type: 'CommandExecution',
        id: callId,
        command: ['/bin/bash', '-lc', command],
        status: result.exitCode === 0 ? 'completed' : 'failed',
        aggregated_output: result.output,
        exit_code: result.exitCode,
        duration: {
          secs: Math.floor((result.durationMs ?? 5) / 1000),
          nanos: ((result.durationMs ?? 5) % 1000) * 1e6,
        },
      },
      started_at_ms: started,
      completed_at_ms: this.atMs,
    });
    return this.line('response_item', {
      type: 'function_call_output',
      call_id: callId,
      output: `Chunk ID: 1\nWall time: 0.1 seconds\nProcess exited with code ${result.exitCode}\nOutput:\n${result.output}`,
    });
  }

  usage(turnId: string, responseId: string, counts: Counts, withTotal = true): this {
    return this.line('token_usage_record', {
      thread_id: this.sessionId,
      turn_id: turnId,
      response_id: responseId,
      usage: usage(counts, withTotal),
    });
  }

  tokenCount(total: Counts, last: Counts, withTotal = true): this {
    return this.event({
      type: 'token_count',
      info: { total_token_usage: usage(total, withTotal), last_token_usage: usage(last, withTotal) },
      rate_limits: null,
    });
  }

  agentMessage(turnId: string, text: string): this {
    this.event({
      type: 'item_completed',
      turn_id: turnId,
      item: { type: 'AgentMessage', id: `msg-${this.ordinal}`, content: [{ type: 'Text', text }] },
    });
    return this.line('response_item', {
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text }],
    });
  }

  complete(turnId: string, durationMs: number, lastMessage?: string): this {
    return this.event({
      type: 'task_complete',
      turn_id: turnId,
      last_agent_message: lastMessage ?? null,
      duration_ms: durationMs,
    });
  }

  aborted(turnId: string): this {
    return this.event({ type: 'turn_aborted', turn_id: turnId, reason: 'interrupted' });
  }

  // Older builds: no task_started, no turn ids, user_message/agent_message events, JSON tool outputs.
  oldTurn(prompt: string, model = 'gpt-5-codex'): this {
    this.line('turn_context', { cwd: '/home/dev/project', model, approval_policy: 'on-request' });
    this.line('response_item', {
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: prompt }],
    });
    return this.event({ type: 'user_message', message: prompt, kind: 'plain' });
  }

  oldShell(callId: string, argv: string[], output: string, exitCode: number): this {
    this.line('response_item', {
      type: 'function_call',
      name: 'shell',
      arguments: JSON.stringify({ command: argv, workdir: '/home/dev/project' }),
      call_id: callId,
    });
    return this.line('response_item', {
      type: 'function_call_output',
      call_id: callId,
      output: JSON.stringify({ output, metadata: { exit_code: exitCode, duration_seconds: 0.25 } }),
    });
  }

  oldAgentMessage(text: string): this {
    this.event({ type: 'agent_message', message: text });
    return this.line('response_item', {
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text }],
    });
  }

  text(): string {
    return this.lines.map((line) => `${line}\n`).join('');
  }
}
