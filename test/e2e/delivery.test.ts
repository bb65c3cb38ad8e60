// Issue 6, scenarios 9-12: delivery through outages, pause/resume, per-project agents, and secrets, with
// real `codex exec` sessions, our hooks and worker, and the stand-in Infinium.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { init, pause, readAllFiles, resume, retry, waitForWorkerIdle } from './support/connector';
import { expectTurnTrace, taskData } from './support/expect-trace';
import { conversation, execCommand, type ModelReply, message } from './support/model-server';
import { oneCommand } from './support/turns';
import { newAgent, startWorld, type World } from './support/world';

const skipReason = inject('codexSkipReason');

describe.skipIf(skipReason !== '')('real Codex: delivery', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('9a. Infinium down during the session: the trace arrives once after `retry`', async () => {
    world = await startWorld({ capture: 'lean' });
    world.standIn.goDown({ kind: 'status', status: 503 });
    const replies = oneCommand('outage');
    await world.exec('Prompt during an outage.', conversation(replies));
    await waitForWorkerIdle(world.sandbox);
    expect(world.unseen()).toEqual([]);
    expect(world.standIn.requests.filter((r) => r.path.endsWith('/trace')).length).toBeGreaterThan(0);

    world.standIn.recover();
    await retry(world.sandbox);
    const [trace, ...extra] = await world.nextTraces(1);
    expect(extra).toEqual([]);
    expectTurnTrace(trace, {
      agent: world.agent,
      prompt: 'Prompt during an outage.',
      replies,
      tools: [{ input: 'echo hello-outage', output: 'hello-outage', status: 'success', exitCode: 0 }],
      finalMessage: 'Printed hello-outage.',
    });
    await retry(world.sandbox);
    await waitForWorkerIdle(world.sandbox);
    expect(world.unseen()).toEqual([]);
  });

  it('9b. Infinium down during the session: the trace arrives once with the next turn', async () => {
    world = await startWorld({ capture: 'lean' });
    world.standIn.goDown({ kind: 'drop' });
    await world.exec('First prompt, Infinium down.', conversation(oneCommand('down')));
    await waitForWorkerIdle(world.sandbox);
    expect(world.unseen()).toEqual([]);

    world.standIn.recover();
    await world.exec('Second prompt, Infinium up.', conversation(oneCommand('up')), { resume: true });
    const traces = await world.nextTraces(2);
    expect(traces.map((t) => taskData(t).input_summary).sort()).toEqual([
      'First prompt, Infinium down.',
      'Second prompt, Infinium up.',
    ]);
  });

  it('10. pause: nothing sent; resume: sent', async () => {
    world = await startWorld({ capture: 'lean' });
    await pause(world.sandbox);
    await world.exec('Prompt while paused.', conversation(oneCommand('paused')));
    await waitForWorkerIdle(world.sandbox);
    expect(world.unseen()).toEqual([]);

    await resume(world.sandbox);
    await world.exec('Prompt after resume.', conversation(oneCommand('resumed')));
    const [trace, ...extra] = await world.nextTraces(1);
    expect(extra).toEqual([]);
    expect(taskData(trace).input_summary).toBe('Prompt after resume.');
    await retry(world.sandbox);
    await waitForWorkerIdle(world.sandbox);
    expect(world.unseen()).toEqual([]);
  });

  it('11. two projects with different agents: each trace goes to its own agent', async () => {
    const second = newAgent();
    world = await startWorld({ capture: 'lean', extraAgents: [second] });
    const otherProject = join(world.sandbox.home, 'other-project');
    mkdirSync(otherProject, { recursive: true });
    await init(world.sandbox, {
      agent: second,
      standIn: world.standIn,
      capture: 'lean',
      project: otherProject,
    });
    await waitForWorkerIdle(world.sandbox);
    world.markSeen();

    await world.exec('Prompt in the first project.', conversation(oneCommand('first-project')));
    await world.exec('Prompt in the second project.', conversation(oneCommand('second-project')), {
      cwd: otherProject,
    });
    const received = (await world.nextTraces(2)).map((t) => [t.agentId, taskData(t).input_summary] as const);
    expect(received).toHaveLength(2);
    expect(received).toContainEqual([world.agent.id, 'Prompt in the first project.']);
    expect(received).toContainEqual([second.id, 'Prompt in the second project.']);
  });

  it('12. a fake API key in a prompt and a command never reaches Infinium nor our state files', async () => {
    world = await startWorld({ capture: 'full' });
    const key = `sk-proj-${'Zx8Qv2Lm4Np6Rt1Ws3Yb5Kd7'.repeat(2)}`;
    const replies: ModelReply[] = [
      {
        items: [execCommand('key_call_1', `export OPENAI_API_KEY=${key}; echo "key is $OPENAI_API_KEY"`)],
        usage: { input: 500, output: 20 },
      },
      { items: [message('Set the key.')], usage: { input: 600, output: 5 } },
    ];
    await world.exec(`Use my key ${key} for the script.`, conversation(replies));
    const [trace] = await world.nextTraces(1);
    const data = taskData(trace);
    expect(data.steps?.some((step) => step.action === 'tool_call')).toBe(true);
    for (const request of world.standIn.traces) expect(request.rawBody).not.toContain(key);
    for (const file of readAllFiles(world.sandbox.stateDir)) {
      expect(file.text.includes(key), `${file.path} holds the key`).toBe(false);
    }
    expect(JSON.stringify(data)).not.toContain(world.agent.secret);
    for (const file of readAllFiles(world.sandbox.stateDir)) {
      if (!file.path.endsWith('credentials.json'))
        expect(file.text.includes(world.agent.secret), file.path).toBe(false);
    }
  });
});
