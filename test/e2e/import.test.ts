// `infinium-codex import` on the real Codex's own rollouts: a session whose first turn ran with tracing
// off (INFINIUM_CODEX_DISABLED, so its hooks kept nothing) and whose second turn was traced live. The
// import leaves the first alone, since it ran while our hooks were installed (import-sends-disabled-sessions),
// unless told --include-unrecorded: it then traces it from the rollout as the worker would have. The second
// is never sent again.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { cli, waitForWorkerIdle } from './support/connector';
import { expectTurnTrace, taskData } from './support/expect-trace';
import { conversation } from './support/model-server';
import { oneCommand } from './support/turns';
import { startWorld, type World } from './support/world';

const skipReason = inject('codexSkipReason');

describe.skipIf(skipReason !== '')('real Codex: import', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('traces the turn that ran untraced, once, with the live keys; the live turn is not sent again', async () => {
    world = await startWorld({ capture: 'lean' });
    const untraced = oneCommand('past');
    await world.exec('A turn before tracing.', conversation(untraced), {
      env: { INFINIUM_CODEX_DISABLED: '1' },
    });
    await world.exec('A traced turn.', conversation(oneCommand('live')), { resume: true });
    const [live] = await world.nextTraces(1);
    expect(taskData(live).input_summary).toBe('A traced turn.');

    const dry = await cli(world.sandbox, ['import', '--since', '1d', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as {
      sessions: { turns: { prompt: string; action: string; reason: string | null }[] }[];
    };
    expect(plan.sessions).toHaveLength(1);
    expect(plan.sessions[0]?.turns.map((t) => [t.prompt, t.action, t.reason])).toEqual([
      [null, 'skip', 'unrecorded'],
      [null, 'skip', 'traced'],
    ]);
    const skipped = await cli(world.sandbox, ['import', '--since', '1d', '--yes']);
    expect(skipped.stdout).toContain('Nothing to import.');
    expect(skipped.stdout).not.toContain('A turn before tracing.');

    const run = await cli(world.sandbox, ['import', '--since', '1d', '--include-unrecorded', '--yes']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Imported 1 turn: 1 sent, 0 queued, 0 failed.');
    const [imported, ...extra] = await world.nextTraces(1);
    expect(extra).toEqual([]);
    const data = expectTurnTrace(imported, {
      agent: world.agent,
      prompt: 'A turn before tracing.',
      replies: untraced,
      tools: [{ input: 'echo hello-past', output: 'hello-past', status: 'success', exitCode: 0 }],
      finalMessage: 'Printed hello-past.',
    });
    expect(data.environment).toMatchObject({
      imported: true,
      session_id: taskData(live).environment?.session_id,
    });

    const again = await cli(world.sandbox, ['import', '--since', '1d', '--include-unrecorded', '--yes']);
    expect(again.stdout).toContain('Nothing to import.');
    await waitForWorkerIdle(world.sandbox);
    expect(world.unseen()).toEqual([]);
  });
});
