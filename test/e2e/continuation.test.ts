// stop-continuation (test/fixtures/field) with the real Codex: a Stop hook of the user's own blocks once
// ({"decision":"block","reason":...}), so Codex continues the SAME turn with the reason as a hook prompt and
// fires Stop again with stop_hook_active: true. The trace is one turn with both parts.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { taskData, toolSteps } from './support/expect-trace';
import { conversation, execCommand, message } from './support/model-server';
import { type HooksFile, trustEntries, trustToml } from './support/trust';
import { startWorld, type World } from './support/world';

const skipReason = inject('codexSkipReason');
const REASON = 'Run the check once more before you stop.';

/** Adds the user's own Stop hook (blocks the first Stop only) to hooks.json, trusted as /hooks would. */
function addBlockingStopHook(world: World): void {
  const { codexHome, home } = world.sandbox;
  const script = join(home, 'block-once.sh');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      'cat >/dev/null',
      `[ -e "${home}/blocked-once" ] && exit 0`,
      `touch "${home}/blocked-once"`,
      `printf '%s\\n' '${JSON.stringify({ decision: 'block', reason: REASON })}'`,
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  const hooksPath = join(codexHome, 'hooks.json');
  const file = JSON.parse(readFileSync(hooksPath, 'utf8')) as HooksFile;
  const command = `sh ${script}`;
  file.hooks.Stop = [...(file.hooks.Stop ?? []), { hooks: [{ type: 'command', command, timeout: 10 }] }];
  writeFileSync(hooksPath, `${JSON.stringify(file, null, 2)}\n`);
  const ours = trustEntries(hooksPath, file).filter((entry) => entry.canonical.includes(script));
  const configPath = join(codexHome, 'config.toml');
  writeFileSync(configPath, `${readFileSync(configPath, 'utf8')}\n${trustToml(ours)}`);
}

describe.skipIf(skipReason !== '')('real Codex: a Stop hook continues the turn', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ capture: 'lean' });
    addBlockingStopHook(world);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('gives one trace holding both parts and the continuation as a hook_prompt step', async () => {
    const replies = [
      { items: [execCommand('cont_call_1', 'echo part-one')], usage: { input: 1000, output: 30 } },
      { items: [message('Stopping after part one.')], usage: { input: 1100, cached: 900, output: 20 } },
      {
        items: [execCommand('cont_call_2', 'echo part-two')],
        usage: { input: 1200, cached: 1000, output: 25 },
      },
      { items: [message('Both parts done.')], usage: { input: 1300, cached: 1100, output: 15 } },
    ];
    await world.exec('Do the two-part job.', conversation(replies));
    const [trace] = await world.nextTraces(1);
    const data = taskData(trace);
    expect(toolSteps(data.steps ?? []).map((step) => [step.input, step.status])).toEqual([
      ['echo part-one', 'success'],
      ['echo part-two', 'success'],
    ]);
    const hookPrompts = (data.steps ?? []).filter((step) => step.action === 'hook_prompt');
    expect(hookPrompts.map((step) => step.input)).toEqual([REASON]);
    expect(data.output_summary).toBe('Both parts done.');
    expect(data.llm_usage).toMatchObject({
      prompt_tokens: 4600,
      completion_tokens: 90,
      cached_tokens: 3000,
      api_calls_count: 4,
    });
    expect((data.errors ?? []).map((error) => error.error_type)).toEqual([]);
    // The second Stop (stop_hook_active) sends nothing more.
    expect(world.unseen()).toEqual([]);
  });
});
