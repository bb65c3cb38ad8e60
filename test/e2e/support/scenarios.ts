// Scenarios run both by the full suite (scenarios.test.ts, on the pinned Codex) and by the acceptance
// subset (acceptance.test.ts, also on the oldest supported Codex and on 0.145.0): each runs one world's
// turns and checks the trace(s), adapting to what the Codex under test has (codex-matrix case).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TaskData } from '../../../src/infinium/task-data';
import { codexHas, INTERRUPT_EXIT_CODE, interruptOnceCommandRuns } from './codex';
import { execAndExpectTurn, expectTurnTrace, taskData, toolSteps } from './expect-trace';
import { conversation } from './model-server';
import { failingCommand, longCommand, oneCommand, patchFiles, tenCommands } from './turns';
import type { World } from './world';

export function failingCommandTurn(world: World): Promise<TaskData> {
  const replies = failingCommand();
  return execAndExpectTurn(world, 'Run a command that fails.', conversation(replies), {
    replies,
    tools: [{ input: 'exit 3', output: /about to fail[\s\S]*missing/, status: 'failure', exitCode: 3 }],
    finalMessage: 'The command failed with exit code 3.',
    errorTypes: ['command_failed'],
  }).then((data) => {
    const failed = toolSteps(data.steps ?? [])[0];
    expect(data.errors?.[0]?.step_number).toBe(failed?.step_number);
    return data;
  });
}

/** Two apply_patch calls; the files must be on disk as patched (a rejected call would leave none). */
export async function applyPatchTurn(world: World): Promise<TaskData> {
  const replies = patchFiles();
  const data = await execAndExpectTurn(world, 'Create two files, then edit one.', conversation(replies), {
    replies,
    tools: [
      {
        tool: 'apply_patch',
        input: /Add File: notes\/todo\.txt[\s\S]*Add File: hello\.py/,
        status: 'success',
      },
      { tool: 'apply_patch', input: /Update File: hello\.py/, status: 'success' },
    ],
    finalMessage: 'Created notes/todo.txt and hello.py, then edited hello.py.',
  });
  const [created, edited] = toolSteps(data.steps ?? []);
  expect(created?.description).toMatch(/todo\.txt/);
  expect(edited?.description).toMatch(/hello\.py/);
  expect(readFileSync(join(world.sandbox.project, 'hello.py'), 'utf8')).toBe("print('hello, world')\n");
  expect(readFileSync(join(world.sandbox.project, 'notes', 'todo.txt'), 'utf8')).toBe(
    'first line\nsecond line\n',
  );
  return data;
}

export function tenCommandsTurn(world: World): Promise<TaskData> {
  const replies = tenCommands();
  return execAndExpectTurn(world, 'Run ten commands.', conversation(replies), {
    replies,
    tools: Array.from({ length: 10 }, (_, index) => ({
      input: `echo step-${index + 1}`,
      output: `step-${index + 1}`,
      status: 'success' as const,
      exitCode: 0,
    })),
    finalMessage: 'Ran ten commands.',
  });
}

const INTERRUPTED = {
  tools: [{ input: 'sleep 30', status: 'incomplete' as const }],
  errorTypes: ['tool_incomplete', 'turn_interrupted'],
};

/**
 * Ctrl-C mid-command: the turn is delivered, marked interrupted. From 0.145 the session's end (SessionEnd;
 * from 0.150 also Interrupt) makes the worker deliver it at once. Before, no hook fires after the
 * interrupt, so it is delivered with the session's next turn, which the scenario then runs (both traces
 * checked; codex-matrix F8).
 */
export async function interruptTurn(world: World): Promise<void> {
  const replies = longCommand();
  const prompt = 'Run a long command.';
  if (codexHas('sessionEnd')) {
    await execAndExpectTurn(
      world,
      prompt,
      conversation(replies),
      { replies: replies.slice(0, 1), ...INTERRUPTED },
      { onSpawn: interruptOnceCommandRuns, expectExit: INTERRUPT_EXIT_CODE },
    );
    return;
  }
  await world.exec(prompt, conversation(replies), {
    onSpawn: interruptOnceCommandRuns,
    expectExit: INTERRUPT_EXIT_CODE,
  });
  const next = oneCommand('after');
  const nextPrompt = 'Now print hello-after.';
  await world.exec(nextPrompt, conversation(next), { resume: true });
  const traces = await world.nextTraces(2);
  const byPrompt = (text: string) => traces.find((trace) => taskData(trace).input_summary === text);
  expectTurnTrace(byPrompt(prompt), {
    agent: world.agent,
    prompt,
    replies: replies.slice(0, 1),
    ...INTERRUPTED,
  });
  expectTurnTrace(byPrompt(nextPrompt), {
    agent: world.agent,
    prompt: nextPrompt,
    replies: next,
    tools: [{ input: 'echo hello-after', output: 'hello-after', status: 'success', exitCode: 0 }],
    finalMessage: 'Printed hello-after.',
  });
}
