import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serializeTaskData } from '../../../src/infinium/task-data';
import { BLOCKING_THREAD_CHARS, tryLock } from '../../../src/spool/lock';
import type { ClosedTurn } from '../../../src/worker/closed-turn';
import { composeSessionTrace, composeTurnTrace } from '../../../src/worker/compose';
import { rolloutTurnStatus } from '../../../src/worker/rollout-status';
import { RolloutWriter } from '../codex/rollout-writer';
import { context, FIXTURES, fixturePayloads, spooled } from './helpers';

let dir: string;
let rollout: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'compose-'));
  const sessions = join(dir, 'sessions/2026/11/25');
  mkdirSync(sessions, { recursive: true });
  rollout = join(sessions, 'rollout-2026-11-25T11-32-55-01a2127a-ec4e-7450-ae94-ecf921fe396d.jsonl');
  copyFileSync(join(FIXTURES, 'rollout-two-turns-resume.jsonl'), rollout);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function realTurns(transcriptPath: string | null): ClosedTurn[] {
  const payloads = fixturePayloads().map((p) => ({ ...p, transcript_path: transcriptPath }));
  const first = payloads.slice(0, 5);
  const second = payloads.slice(6, 11);
  return [first, second].map((events, index) => ({
    sessionId: '01a2127a-ec4e-7450-ae94-ecf921fe396d',
    turnId: events[1]?.turn_id ?? null,
    cwd: '/home/dev/project',
    transcriptPath,
    events: spooled(events, Date.parse('2026-11-25T11:32:55.600Z') + index * 4000, 500),
    ending: 'stop',
    turnNumber: index + 1,
  }));
}

describe('composeTurnTrace on the real two-turn rollout', () => {
  it('builds each turn with its prompt, command, final message and per-turn tokens', async () => {
    const [first, second] = realTurns(rollout);
    const one = await composeTurnTrace(first as ClosedTurn, context(), undefined);
    serializeTaskData(one.taskData);
    expect(one.taskData.input_summary).toBe('first prompt');
    expect(one.taskData.output_summary).toBe('All done (fake model).');
    expect(one.taskData.duration).toBeCloseTo(3.184);
    expect(one.taskData.steps?.map((s) => [s.action, s.tool_name, s.status, s.exit_code])).toEqual([
      ['user_prompt', undefined, 'success', undefined],
      ['tool_call', 'exec_command', 'success', 0],
      ['assistant_message', undefined, 'success', undefined],
    ]);
    expect(one.taskData.steps?.[1]).toMatchObject({
      input: 'echo hello-from-fake-model',
      output: 'hello-from-fake-model\n',
      duration_ms: 1254,
    });
    expect(one.taskData.llm_usage).toEqual({
      model: 'gpt-5.5',
      provider: 'fake',
      prompt_tokens: 2300,
      completion_tokens: 70,
      total_tokens: 2370,
      cached_tokens: 1200,
      reasoning_tokens: 15,
      api_calls_count: 2,
      // gpt-5.5 at $5 in / $0.50 cached / $30 out per million, per response: 800 + 200 cached in and
      // 50 out, then 300 + 1000 cached in and 20 out.
      cost: (800 * 5 + 200 * 0.5 + 50 * 30 + 300 * 5 + 1000 * 0.5 + 20 * 30) / 1e6,
    });
    expect(one.taskData.environment).toMatchObject({ codex_version: '0.169.0', tool_detail: 'rollout' });
    expect(JSON.stringify(one.cursor)).not.toContain('prompt');

    const two = await composeTurnTrace(second as ClosedTurn, context(), one.cursor);
    expect(two.taskData.input_summary).toBe('second prompt');
    expect(two.taskData.llm_usage?.total_tokens).toBe(2370);
    expect(two.cursor?.offset).toBeGreaterThan(one.cursor?.offset ?? 0);
  });
});

function synthTurn(
  turnId: string | null,
  prompt: string,
  transcriptPath: string | null,
  extra: Partial<ClosedTurn> = {},
  finalMessage = 'done',
): ClosedTurn {
  const base = {
    session_id: 'S',
    transcript_path: transcriptPath,
    cwd: '/home/dev/project',
    model: 'gpt-5.5',
  };
  const turn = turnId ? { turn_id: turnId } : {};
  return {
    sessionId: 'S',
    turnId,
    cwd: '/home/dev/project',
    transcriptPath,
    events: spooled(
      [
        { ...base, ...turn, hook_event_name: 'UserPromptSubmit', prompt },
        { ...base, ...turn, hook_event_name: 'Stop', last_assistant_message: finalMessage },
      ],
      Date.parse('2026-11-25T10:00:00.000Z'),
      2500,
    ),
    ending: 'stop',
    turnNumber: 1,
    ...extra,
  };
}

describe('composeTurnTrace without a rollout', () => {
  it('ephemeral session: prompt, final message and duration from the hooks, no tool detail', async () => {
    const { taskData, cursor } = await composeTurnTrace(synthTurn('t1', 'hello', null), context(), undefined);
    serializeTaskData(taskData);
    expect(taskData.input_summary).toBe('hello');
    expect(taskData.output_summary).toBe('done');
    expect(taskData.duration).toBe(2.5);
    expect(taskData.environment?.tool_detail).toBe('unavailable');
    expect(taskData.steps?.map((s) => s.action)).toEqual(['user_prompt', 'assistant_message']);
    expect(taskData.errors).toEqual([]);
    expect(cursor).toBeUndefined();
  });

  it('a rollout path that leads nowhere is reported as an error', async () => {
    const turn = synthTurn('t1', 'hello', join(dir, 'sessions/2026/11/25/rollout-gone.jsonl'));
    const { taskData } = await composeTurnTrace(turn, context(), undefined);
    expect(taskData.errors?.map((e) => e.error_type)).toEqual(['rollout_unavailable']);
    expect(taskData.environment?.tool_detail).toBe('unavailable');
  });

  it('full capture: tool steps from the hooks alone, a missing PostToolUse makes an incomplete step', async () => {
    const base = { session_id: 'S', transcript_path: null, cwd: '/home/dev/project', turn_id: 't1' };
    const turn: ClosedTurn = {
      ...synthTurn('t1', 'run two', null),
      events: spooled(
        [
          { ...base, hook_event_name: 'UserPromptSubmit', prompt: 'run two' },
          {
            ...base,
            hook_event_name: 'PreToolUse',
            tool_name: 'Bash',
            tool_input: { command: 'ls' },
            tool_use_id: 'a',
          },
          {
            ...base,
            hook_event_name: 'PostToolUse',
            tool_name: 'Bash',
            tool_input: { command: 'ls' },
            tool_use_id: 'a',
            tool_response: 'x\n',
          },
          {
            ...base,
            hook_event_name: 'PreToolUse',
            tool_name: 'Bash',
            tool_input: { command: 'sleep 99' },
            tool_use_id: 'b',
          },
          { ...base, hook_event_name: 'Stop', last_assistant_message: 'ok' },
        ],
        Date.parse('2026-11-25T10:00:00.000Z'),
        100,
      ),
    };
    const { taskData } = await composeTurnTrace(turn, context({ capture: 'full' }), undefined);
    expect(taskData.environment?.tool_detail).toBe('hooks');
    expect(
      taskData.steps
        ?.filter((s) => s.action === 'tool_call')
        .map((s) => [s.input, s.status, s.output, s.duration_ms]),
    ).toEqual([
      ['ls', 'success', 'x\n', 100],
      ['sleep 99', 'incomplete', undefined, undefined],
    ]);
    expect(taskData.errors).toEqual([
      expect.objectContaining({ error_type: 'tool_incomplete', step_number: 3 }),
    ]);
  });
});

describe('composeTurnTrace reading incrementally', () => {
  const file = () => join(dir, 'sessions/2026/11/25/rollout-2026-11-25T10-00-00-S.jsonl');

  function firstTurn(): RolloutWriter {
    return new RolloutWriter('S')
      .sessionMeta()
      .startTurn('t1', 'first prompt')
      .exec('t1', 'c1', 'cat notes.txt', { output: 'secret notes\n', exitCode: 0 })
      .usage('t1', 'r1', { input: 100, output: 10 })
      .agentMessage('t1', 'one')
      .complete('t1', 300, 'one');
  }

  it('reads the next turn from the cursor only, and the cursor holds no text', async () => {
    const w = firstTurn();
    writeFileSync(file(), w.text());
    const one = await composeTurnTrace(synthTurn('t1', 'first prompt', file()), context(), undefined);
    const size = Buffer.byteLength(w.text());
    expect(one.cursor?.offset).toBe(size);
    const saved = JSON.stringify(one.cursor);
    for (const text of ['first prompt', 'cat notes', 'secret notes', '"one"'])
      expect(saved).not.toContain(text);

    // Overwrite the first turn's bytes (same length, same line ends): a reader going back would choke.
    const blanked = w.text().replace(/[^\n]/g, ' ');
    const second = new RolloutWriter('S', w.nowMs + 1000)
      .startTurn('t2', 'second prompt')
      .usage('t2', 'r2', { input: 200, output: 20 })
      .agentMessage('t2', 'two')
      .complete('t2', 200, 'two');
    writeFileSync(file(), blanked + second.text());
    const two = await composeTurnTrace(synthTurn('t2', 'second prompt', file()), context(), one.cursor);
    expect(two.taskData.input_summary).toBe('second prompt');
    expect(two.taskData.llm_usage?.total_tokens).toBe(220);
    expect(two.taskData.environment?.codex_version).toBe('0.169.0');
    expect(two.cursor?.unparseable).toBe(0);
    expect(two.cursor?.offset).toBe(size + Buffer.byteLength(second.text()));
  });

  // redos-lock-takeover-duplicate: a build holds the main thread, so the lock's timer cannot beat meanwhile.
  it.skipIf(!existsSync('/proc/self/task'))(
    "starts the lock's heartbeat thread for a build of a large turn only",
    async () => {
      const threads = () => readdirSync('/proc/self/task').length;
      const lock = tryLock(join(dir, 'worker.lock'));
      try {
        writeFileSync(file(), firstTurn().text());
        const before = threads();
        await composeTurnTrace(synthTurn('t1', 'first prompt', file()), context(), undefined);
        expect(threads()).toBe(before);
        const large = new RolloutWriter('S')
          .sessionMeta()
          .startTurn('t1', 'first prompt')
          .exec('t1', 'c1', 'cat big.log', {
            output: 'log line\n'.repeat(BLOCKING_THREAD_CHARS / 9 + 1),
            exitCode: 0,
          })
          .complete('t1', 300, 'one');
        writeFileSync(file(), large.text());
        await composeTurnTrace(synthTurn('t1', 'first prompt', file()), context(), undefined);
        expect(threads()).toBeGreaterThan(before);
      } finally {
        lock?.release();
      }
    },
  );

  it('waits for task_complete written after Stop, within rolloutSettleMs', async () => {
    const w = firstTurn();
    const lines = w.text().split('\n');
    const complete = lines.splice(-2, 1)[0] as string;
    writeFileSync(file(), lines.join('\n'));
    const later = setTimeout(() => appendFileSync(file(), `${complete}\n`), 100);
    const { taskData, cursor } = await composeTurnTrace(
      synthTurn('t1', 'first prompt', file()),
      context({ rolloutSettleMs: 5000 }),
      undefined,
    );
    clearTimeout(later);
    expect(taskData.duration).toBe(0.3);
    expect(cursor?.offset).toBe(Buffer.byteLength(w.text()));
  });

  it('a turn read before its end leaves the cursor at its start; the next read sees it whole', async () => {
    const w = firstTurn();
    const text = w.text();
    const cut = text.indexOf('"item_completed","turn_id":"t1","item":{"type":"AgentMessage"');
    const head = text.slice(0, text.lastIndexOf('\n', cut) + 1);
    writeFileSync(file(), head);
    // A SubagentStop (or a stale timeout) made the worker read mid-turn.
    const early = await composeTurnTrace(
      synthTurn('t1', 'first prompt', file(), { ending: 'stale' }),
      context(),
      undefined,
    );
    expect(early.taskData.errors?.map((e) => e.error_type)).toEqual(['turn_incomplete']);
    const turnStart = text.indexOf('\n') + 1;
    expect(early.cursor?.offset).toBe(turnStart);

    writeFileSync(file(), text);
    const stop = await composeTurnTrace(synthTurn('t1', 'first prompt', file()), context(), early.cursor);
    expect(stop.taskData.output_summary).toBe('one');
    expect(stop.taskData.llm_usage?.total_tokens).toBe(110);
    expect(stop.taskData.errors).toEqual([]);
    expect(stop.cursor?.offset).toBe(Buffer.byteLength(text));
  });

  it('a turn the worker asked about is built reading on from that scan, not parsed again', async () => {
    const w = firstTurn();
    const lines = w.text().split('\n');
    const complete = lines.splice(-2, 1)[0] as string;
    const head = lines.join('\n');
    writeFileSync(file(), head);
    const turn = synthTurn('t1', 'first prompt', file());
    expect((await rolloutTurnStatus(turn, undefined)).state).toBe('open');
    // The bytes already scanned blanked (same length, same line ends): only a reader going back sees it.
    writeFileSync(file(), `${head.replace(/[^\n]/g, ' ')}${complete}\n`);
    const { taskData, cursor } = await composeTurnTrace(turn, context(), undefined);
    expect(taskData.input_summary).toBe('first prompt');
    expect(taskData.output_summary).toBe('one');
    expect(taskData.duration).toBe(0.3);
    expect(taskData.llm_usage?.total_tokens).toBe(110);
    expect(cursor?.offset).toBe(Buffer.byteLength(w.text()));
    // Another turn object (another pass) reads the file afresh.
    const fresh = await composeTurnTrace(synthTurn('t1', 'first prompt', file()), context(), undefined);
    expect(fresh.taskData.output_summary).not.toBe('one');
  });

  it('a turn before the cursor (closed out of order) is found by reading from the top', async () => {
    const w = firstTurn()
      .startTurn('t2', 'second prompt')
      .usage('t2', 'r2', { input: 200, output: 20 })
      .complete('t2', 200, 'two');
    writeFileSync(file(), w.text());
    const two = await composeTurnTrace(synthTurn('t2', 'second prompt', file()), context(), undefined);
    const one = await composeTurnTrace(synthTurn('t1', 'first prompt', file()), context(), two.cursor);
    expect(one.taskData.input_summary).toBe('first prompt');
    expect(one.taskData.llm_usage?.total_tokens).toBe(110);
  });

  it('old-format files: per-turn tokens from token_count lines across a resume', async () => {
    const w = new RolloutWriter('S')
      .sessionMeta({ cli_version: '0.46.0' })
      .oldTurn('first')
      .tokenCount({ input: 1000, output: 50 }, { input: 1000, output: 50 })
      .oldShell('c1', ['bash', '-lc', 'false'], '', 1)
      .tokenCount({ input: 1000, output: 50 }, { input: 1000, output: 50 })
      .tokenCount({ input: 2300, output: 70 }, { input: 1300, output: 20 })
      .oldAgentMessage('one');
    writeFileSync(file(), w.text());
    const one = await composeTurnTrace(
      synthTurn(null, 'first', file(), { ending: 'stale' }),
      context(),
      undefined,
    );
    expect(one.taskData.llm_usage).toMatchObject({
      total_tokens: 2370,
      api_calls_count: 2,
      model: 'gpt-5-codex',
    });
    expect(one.taskData.steps?.find((s) => s.action === 'tool_call')).toMatchObject({
      input: 'false',
      status: 'failure',
      exit_code: 1,
      duration_ms: 250,
    });
    // Resumed: the second turn's lines carry the thread's cumulative totals.
    w.oldTurn('second')
      .tokenCount({ input: 2300, output: 70 }, { input: 1300, output: 20 })
      .tokenCount({ input: 3400, output: 100 }, { input: 1100, output: 30 })
      .oldAgentMessage('two');
    writeFileSync(file(), w.text());
    const two = await composeTurnTrace(
      synthTurn(null, 'second', file(), { ending: 'stale' }),
      context(),
      one.cursor,
    );
    expect(two.taskData.input_summary).toBe('second');
    expect(two.taskData.llm_usage).toMatchObject({ total_tokens: 1130, api_calls_count: 1 });
  });
});

describe('composeSessionTrace', () => {
  it('aggregates the turns of the real session into one trace', async () => {
    const turns = realTurns(rollout);
    const { taskData, cursor } = await composeSessionTrace(turns, context(), undefined);
    serializeTaskData(taskData);
    expect(taskData.input_summary).toBe('first prompt');
    expect(taskData.llm_usage).toMatchObject({ total_tokens: 4740, api_calls_count: 4 });
    expect(taskData.steps?.map((s) => s.step_number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(taskData.steps?.filter((s) => s.action === 'user_prompt').map((s) => s.input)).toEqual([
      'first prompt',
      'second prompt',
    ]);
    expect(taskData.environment?.turn_id).toBeUndefined();
    expect(cursor?.offset).toBeGreaterThan(0);
  });
});

describe('composeTurnTrace with an unreadable rollout', () => {
  it('a directory where the rollout should be', async () => {
    const path = join(dir, 'sessions/2026/11/25/rollout-2026-11-25T10-00-00-D.jsonl');
    mkdirSync(path);
    const { taskData } = await composeTurnTrace(synthTurn('t1', 'hello', path), context(), undefined);
    expect(taskData.errors?.map((e) => e.error_type)).toEqual(['rollout_unavailable']);
  });
});
