// Sub-agent threads whose rollout opens by replaying the parent's history (forks): their work is nested
// once, and the replayed usage is not counted again.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HookPayload } from '../../../src/codex/hook-payload';
import type { ClosedTurn } from '../../../src/worker/closed-turn';
import { composeTurnTrace } from '../../../src/worker/compose';
import { RolloutWriter } from '../codex/rollout-writer';
import { context, spooled } from './helpers';

let home: string;
let parentPath: string;
let childPath: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'codex-home-'));
  const dir = join(home, 'sessions/2026/11/25');
  mkdirSync(dir, { recursive: true });
  parentPath = join(dir, 'rollout-2026-11-25T10-00-00-P.jsonl');
  childPath = join(dir, 'rollout-2026-11-25T10-00-01-C.jsonl');
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function parentRollout(): RolloutWriter {
  return new RolloutWriter('P')
    .sessionMeta()
    .startTurn('p1', 'delegate the check')
    .line('response_item', {
      type: 'function_call',
      name: 'spawn_agent',
      namespace: 'multi_agent_v1',
      arguments: '{"message":"run the check"}',
      call_id: 'spawn_1',
    })
    .usage('p1', 'resp_p1', { input: 1000, output: 100 })
    .tokenCount({ input: 1000, output: 100 }, { input: 1000, output: 100 })
    .line('response_item', { type: 'function_call_output', call_id: 'spawn_1', output: '{"agent_id":"C"}' })
    .wait(500)
    .agentMessage('p1', 'the helper is done')
    .usage('p1', 'resp_p2', { input: 1200, output: 20 })
    .tokenCount({ input: 2200, output: 120 }, { input: 1200, output: 20 })
    .complete('p1', 900, 'the helper is done');
}

/** A forked child: its own meta, then the parent's history replayed, then its own turn. */
function forkedChild(withRecords: boolean): RolloutWriter {
  const w = new RolloutWriter('C', Date.parse('2026-11-25T10:00:00.100Z'))
    .sessionMeta({ id: 'C', session_id: 'P', parent_thread_id: 'P' })
    .sessionMeta()
    .startTurn('p0', 'an earlier parent turn');
  if (withRecords) w.usage('p0', 'resp_p0', { input: 5000, output: 500 });
  w.tokenCount({ input: 5000, output: 500 }, { input: 5000, output: 500 })
    .complete('p0', 100, 'earlier')
    .startTurn('c1', 'run the check')
    .exec('c1', 'child_1', 'npm test', { output: 'ok\n', exitCode: 0 });
  if (withRecords) w.usage('c1', 'resp_c1', { input: 300, output: 30 });
  w.tokenCount({ input: 5300, output: 530 }, { input: 300, output: 30 }).agentMessage('c1', 'tests pass');
  if (withRecords) w.usage('c1', 'resp_c2', { input: 400, output: 40 });
  return w
    .tokenCount({ input: 5700, output: 570 }, { input: 400, output: 40 })
    .complete('c1', 200, 'tests pass');
}

function turn(childTurnId: string | undefined): ClosedTurn {
  const root = { session_id: 'P', transcript_path: parentPath, cwd: '/home/dev/project', turn_id: 'p1' };
  const child = {
    ...root,
    agent_id: 'C',
    agent_type: 'default',
    ...(childTurnId ? { turn_id: childTurnId } : { turn_id: undefined }),
  };
  const payloads: HookPayload[] = [
    { ...root, hook_event_name: 'UserPromptSubmit', prompt: 'delegate the check' },
    { ...child, hook_event_name: 'SubagentStart', transcript_path: childPath },
    {
      ...child,
      hook_event_name: 'SubagentStop',
      agent_transcript_path: childPath,
      last_assistant_message: 'tests pass',
    },
    { ...root, hook_event_name: 'Stop', last_assistant_message: 'the helper is done' },
  ];
  return {
    sessionId: 'P',
    turnId: 'p1',
    cwd: '/home/dev/project',
    transcriptPath: parentPath,
    events: spooled(payloads, Date.parse('2026-11-25T10:00:00.000Z'), 300),
    ending: 'stop',
    turnNumber: 1,
  };
}

describe('forked sub-agent rollouts', () => {
  it.each([
    ['token_usage_record lines, child turn id known', true, 'c1'],
    ['token_count lines only, child turn id known', false, 'c1'],
    ['token_count lines only, no child turn id (its last turn)', false, undefined],
  ] as const)('%s', async (_name, withRecords, childTurnId) => {
    writeFileSync(parentPath, parentRollout().text());
    writeFileSync(childPath, forkedChild(withRecords).text());
    const { taskData } = await composeTurnTrace(turn(childTurnId), context(), undefined);
    const sub = taskData.steps?.find((s) => s.action === 'subagent');
    expect(sub?.agent_id).toBe('C');
    expect(sub?.input).toBe('run the check');
    expect(sub?.steps?.map((s) => s.input ?? s.output)).toEqual(['npm test', 'tests pass']);
    // Parent 1,100 + 1,220; child 330 + 440; the replayed 5,500 never.
    expect(taskData.llm_usage).toMatchObject({ total_tokens: 1100 + 1220 + 330 + 440, api_calls_count: 4 });
    expect(JSON.stringify(taskData)).not.toContain('an earlier parent turn');
    // The sub-agent's `npm test` is the turn's check, placed at its sub-agent step.
    expect(taskData.environment?.outcome?.checks).toEqual([
      {
        kind: 'test',
        command: 'npm test',
        step_number: sub?.step_number,
        agent_id: 'C',
        exit_code: 0,
        status: 'passed',
      },
    ]);
    expect(taskData.environment?.outcome?.checks_final).toEqual({ test: 'passed' });
  });
});
