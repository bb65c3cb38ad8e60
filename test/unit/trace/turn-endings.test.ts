// The kinds behind the Codex 0.171 field cases, on synthetic rollouts in the shapes Codex writes: how a
// turn ends (turn_status, a failed turn's error), background commands (still running, polled, killed at
// exit, finishing in a later turn), rejected calls, unknown items, plans and images.
import { describe, expect, it } from 'vitest';
import { buildTurnTrace, type TraceOptions } from '../../../src/trace/build';
import { RolloutWriter } from '../codex/rollout-writer';
import { input } from './helpers';

const options: TraceOptions = {
  contentMode: 'redacted',
  redactPatterns: [],
  capture: 'lean',
  nowMs: Date.parse('2026-11-25T12:00:00.000Z'),
};

/** exec_command that Codex leaves running in the background as process `pid`. */
function background(w: RolloutWriter, callId: string, command: string, pid: number): RolloutWriter {
  return w
    .line('response_item', {
      type: 'function_call',
      name: 'exec_command',
      arguments: JSON.stringify({ cmd: command, yield_time_ms: 300 }),
      call_id: callId,
    })
    .wait(300)
    .line('response_item', {
      type: 'function_call_output',
      call_id: callId,
      output: `Chunk ID: 1\nWall time: 0.3004 seconds\nProcess running with session ID ${pid}\nOriginal token count: 0\nOutput:\nstarting\n`,
    });
}

function commandItem(w: RolloutWriter, turnId: string, callId: string, command: string, exitCode: number) {
  return w.event({
    type: 'item_completed',
    turn_id: turnId,
    item: {
      type: 'CommandExecution',
      id: callId,
      command: ['/bin/bash', '-lc', command],
      status: exitCode === 0 ? 'completed' : 'failed',
      aggregated_output: 'starting\n',
      exit_code: exitCode,
      duration: { secs: 9, nanos: 0 },
    },
    started_at_ms: w.nowMs - 9000,
    completed_at_ms: w.nowMs,
  });
}

const calls = (data: ReturnType<typeof buildTurnTrace>) =>
  (data.steps ?? []).filter((s) => s.action === 'tool_call').map((s) => [s.input, s.status, s.exit_code]);

describe('how a turn ends (environment.turn_status)', () => {
  it('completed, interrupted, incomplete; never completed by default', () => {
    const done = new RolloutWriter().startTurn('t1', 'go').complete('t1', 10, 'ok');
    expect(buildTurnTrace(input(done), options).environment?.turn_status).toBe('completed');
    const cut = new RolloutWriter().startTurn('t1', 'go').aborted('t1');
    expect(buildTurnTrace(input(cut), options).environment?.turn_status).toBe('interrupted');
    const open = new RolloutWriter().startTurn('t1', 'go');
    const unended = input(open, { ending: 'session_end' });
    const rollout = unended.rollout && { ...unended.rollout, ended: false };
    const data = buildTurnTrace({ ...unended, rollout }, options);
    expect(data.environment?.turn_status).toBe('incomplete');
    expect(data.errors?.map((e) => e.error_type)).toEqual(['turn_incomplete']);
  });

  it('failed: task_complete carrying an error (0.171) is one model_error with Codex’s message and code', () => {
    const w = new RolloutWriter()
      .startTurn('t1', 'go')
      .exec('t1', 'c1', 'ls', { output: 'a\n', exitCode: 0 })
      .agentMessage('t1', 'Looking further.')
      .event({
        type: 'task_complete',
        turn_id: 't1',
        last_agent_message: null,
        error: { message: 'Quota exceeded.', codex_error_info: { usage_limit_exceeded: {} } },
        duration_ms: 50,
      });
    const data = buildTurnTrace(input(w, { ending: 'session_end' }), options);
    expect(data.environment?.turn_status).toBe('failed');
    expect(data.errors).toEqual([
      expect.objectContaining({
        error_type: 'model_error',
        message: 'Model request failed (usage_limit_exceeded): Quota exceeded.',
      }),
    ]);
    // The earlier message stays a message; it is not made the turn's answer.
    expect(data.output_summary).toBeUndefined();
    expect(data.steps?.at(-1)?.description).toBe('Assistant message');
    expect(calls(data)).toEqual([['ls', 'success', 0]]);
  });

  it('failed: an error event and the same error in task_complete are one error', () => {
    const w = new RolloutWriter()
      .startTurn('t1', 'go')
      .event({ type: 'error', message: 'Too long.', codex_error_info: 'context_window_exceeded' })
      .event({
        type: 'task_complete',
        turn_id: 't1',
        last_agent_message: null,
        error: { message: 'Too long.', codex_error_info: 'context_window_exceeded' },
      });
    const data = buildTurnTrace(input(w, { ending: 'stale' }), options);
    expect(data.errors?.map((e) => e.error_type)).toEqual(['model_error']);
    expect(data.environment?.turn_status).toBe('failed');
  });
});

describe('background commands', () => {
  it('a command still running when the turn ends is incomplete, never a success with empty output', () => {
    const w = background(new RolloutWriter().startTurn('t1', 'serve'), 'c1', 'npm run dev', 77).complete(
      't1',
      500,
      'Started the dev server.',
    );
    const data = buildTurnTrace(input(w), options);
    expect(calls(data)).toEqual([['npm run dev', 'incomplete', undefined]]);
    expect(data.errors?.[0]).toMatchObject({
      error_type: 'tool_incomplete',
      message:
        'exec_command was still running in the background (process 77) when the turn ended: npm run dev',
    });
    expect(data.environment?.turn_status).toBe('completed');
  });

  it('a poll that sees the exit settles the command (no item of its own) and is itself a success', () => {
    const w = background(new RolloutWriter().startTurn('t1', 'build'), 'c1', 'make', 5)
      .line('response_item', {
        type: 'function_call',
        name: 'write_stdin',
        arguments: JSON.stringify({ session_id: 5, chars: '' }),
        call_id: 'p1',
      })
      .wait(1000)
      .line('response_item', {
        type: 'function_call_output',
        call_id: 'p1',
        output: 'Chunk ID: 2\nWall time: 1.0 seconds\nProcess exited with code 2\nOutput:\nmake: *** error\n',
      })
      .complete('t1', 1500, 'The build failed.');
    const data = buildTurnTrace(input(w), options);
    expect(calls(data)).toEqual([
      ['make', 'failure', 2],
      ['{"session_id":5,"chars":""}', 'success', undefined],
    ]);
    expect(data.steps?.[1]?.output).toBe('starting\nmake: *** error\n');
    expect(data.errors?.map((e) => [e.error_type, e.step_number])).toEqual([['command_failed', 2]]);
  });

  it('a poll of a process an earlier turn started is a success: the exit it reports is not its own', () => {
    const w = new RolloutWriter()
      .startTurn('t2', 'is it done?')
      .line('response_item', {
        type: 'function_call',
        name: 'write_stdin',
        arguments: JSON.stringify({ session_id: 41, chars: '' }),
        call_id: 'p2',
      })
      .line('response_item', {
        type: 'function_call_output',
        call_id: 'p2',
        output: 'Chunk ID: 3\nWall time: 0.1 seconds\nProcess exited with code 1\nOutput:\nFAIL\n',
      })
      .complete('t2', 100, 'It failed.');
    const data = buildTurnTrace(input(w, { turnId: 't2' }), options);
    expect(calls(data)).toEqual([['{"session_id":41,"chars":""}', 'success', undefined]]);
    expect(data.errors).toEqual([]);
  });

  it('a background command Codex killed after the turn ended is reported as killed, not as a failure', () => {
    const w = background(new RolloutWriter().startTurn('t1', 'serve'), 'c1', 'npm run dev', 9).complete(
      't1',
      500,
      'Started.',
    );
    commandItem(w, 't1', 'c1', 'npm run dev', -1);
    const data = buildTurnTrace(input(w, { ending: 'session_end' }), options);
    expect(calls(data)).toEqual([['npm run dev', 'incomplete', -1]]);
    expect(data.errors?.map((e) => [e.error_type, e.message])).toEqual([
      [
        'tool_incomplete',
        'exec_command was still running when the turn ended; Codex killed it when it exited: npm run dev',
      ],
    ]);
  });

  it('a completion of an earlier turn’s command is a late result, never a call of this turn', () => {
    const w = new RolloutWriter().startTurn('t2', 'next');
    commandItem(w, 't1', 'c-old', 'npm run dev', 0);
    w.exec('t2', 'c2', 'ls', { output: 'a\n', exitCode: 0 }).complete('t2', 100, 'ok');
    const data = buildTurnTrace(input(w, { turnId: 't2' }), options);
    expect(calls(data)).toEqual([['ls', 'success', 0]]);
    expect(data.environment?.late_results).toEqual([
      expect.objectContaining({ call_id: 'c-old', turn_id: 't1', exit_code: 0 }),
    ]);
    const prompt = data.steps?.[0]?.started_at ?? '';
    for (const step of data.steps ?? []) expect((step.started_at ?? '') >= prompt).toBe(true);
  });
});

describe('calls and items', () => {
  it('a call Codex rejected keeps the raw arguments and no invented duration', () => {
    const raw = '{"cmd": "ls", "bogus": }';
    const w = new RolloutWriter()
      .startTurn('t1', 'go')
      .line('response_item', { type: 'function_call', name: 'nope', arguments: raw, call_id: 'r1' })
      .wait(40)
      .line('response_item', {
        type: 'function_call_output',
        call_id: 'r1',
        output: 'unsupported call: nope',
      })
      .complete('t1', 100, 'ok');
    const step = buildTurnTrace(input(w), options).steps?.[1];
    expect(step).toMatchObject({ tool_name: 'nope', input: raw, status: 'failure' });
    expect(step?.duration_ms).toBeUndefined();
  });

  it('an item of an unknown type is counted, and only updates a call it answers', () => {
    const w = new RolloutWriter()
      .startTurn('t1', 'go')
      .event({ type: 'item_completed', turn_id: 't1', item: { type: 'Hologram', id: 'h1', status: 'done' } })
      .complete('t1', 100, 'ok');
    const data = buildTurnTrace(input(w), options);
    expect(data.steps?.map((s) => s.action)).toEqual(['user_prompt', 'assistant_message']);
    expect(JSON.stringify(data)).not.toMatch(/Called hologram/i);
    expect(data.environment?.unread_rollout_lines).toEqual({ 'item_completed:Hologram': 1 });
  });

  it('images: a pasted one (data URL) and older builds’ user_message images are attachments, no bytes', () => {
    const png = `data:image/jpeg;base64,${Buffer.alloc(300, 7).toString('base64')}`;
    const w = new RolloutWriter()
      .event({ type: 'task_started', turn_id: 't1' })
      .line('turn_context', { turn_id: 't1', model: 'gpt-5.5' })
      .event({
        type: 'item_completed',
        turn_id: 't1',
        item: { type: 'UserMessage', id: 'u1', content: [{ type: 'image', image_url: png }] },
      })
      .event({
        type: 'user_message',
        message: 'and this one',
        images: [png],
        local_images: ['/tmp/shots/diagram.webp'],
      })
      .complete('t1', 100, 'ok');
    const data = buildTurnTrace(input(w), options);
    expect(data.name).toBe('demo: [image] image 1');
    expect(data.steps?.[0]?.attachments).toEqual([{ name: 'image 1', type: 'image/jpeg', size_bytes: 300 }]);
    expect(data.steps?.[1]?.attachments).toEqual([
      { name: 'diagram.webp', type: 'image/webp' },
      { name: 'image 2', type: 'image/jpeg', size_bytes: 300 },
    ]);
    expect(JSON.stringify(data)).not.toContain(png.slice(30, 60));
  });

  it('a plan followed by tool calls is a step, not the answer', () => {
    const w = new RolloutWriter()
      .startTurn('t1', 'go')
      .event({ type: 'item_completed', turn_id: 't1', item: { type: 'Plan', id: 'p', text: '1. ls' } })
      .exec('t1', 'c1', 'ls', { output: 'a\n', exitCode: 0 })
      .complete('t1', 100, 'Done.');
    const data = buildTurnTrace(input(w), options);
    expect(data.steps?.map((s) => s.action)).toEqual([
      'user_prompt',
      'plan',
      'tool_call',
      'assistant_message',
    ]);
    expect(data.output_summary).toBe('Done.');
  });
});

describe('every token on the model that spent it', () => {
  it('a compaction Codex runs on the previous model after a /model switch is counted under that model', () => {
    // The new turn's compaction request comes before its own turn_context (gpt-5.5-mini).
    const w = new RolloutWriter()
      .event({ type: 'task_started', turn_id: 't2' })
      .usage('t2', 'r-compact', { input: 50_000, output: 900 })
      .line('compacted', { message: 'summary' })
      .line('turn_context', { turn_id: 't2', model: 'gpt-5.5-mini' })
      .event({
        type: 'item_completed',
        turn_id: 't2',
        item: { type: 'UserMessage', id: 'u2', content: [{ type: 'text', text: 'go on' }] },
      })
      .usage('t2', 'r1', { input: 4_000, cached: 1_000, output: 60 })
      .complete('t2', 100, 'ok');
    const base = input(w, { turnId: 't2' });
    const rollout = base.rollout && { ...base.rollout, modelBefore: 'gpt-5.5' };
    const usage = buildTurnTrace({ ...base, rollout }, options).llm_usage;
    expect(usage?.model).toBe('gpt-5.5-mini');
    expect([usage?.prompt_tokens, usage?.api_calls_count]).toEqual([4_000, 1]);
    expect(
      usage?.by_model?.map((share) => [share.model, share.prompt_tokens, share.api_calls_count]),
    ).toEqual([
      ['gpt-5.5-mini', 4_000, 1],
      ['gpt-5.5', 50_000, 1],
    ]);
  });
});
