// The rollout parser on the real rollouts of every Codex we keep fixtures for (0.169.0 and 0.171.0, which
// adds `metadata.model_search_state` to response items: codex-matrix case): every line parses, and the
// records say what the scripted model made Codex do, token for token.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRolloutLine, type RolloutRecord, UNPARSEABLE } from '../../../src/codex/rollout';
import type { ModelReply } from '../../e2e/support/model-server';
import { failingCommand, longCommand, sumUsage, tenCommands } from '../../e2e/support/turns';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const VERSIONS = ['0.169.0', '0.171.0'];
/** Each scenario recorded on every version, with the replies whose usage Codex recorded. */
const SCENARIOS: Record<string, { replies: ModelReply[]; commands: string[]; aborted: boolean }> = {
  'ten-commands': {
    replies: tenCommands(),
    commands: Array.from({ length: 10 }, (_, index) => `echo step-${index + 1}`),
    aborted: false,
  },
  'failing-command': { replies: failingCommand(), commands: ['ls /definitely/missing'], aborted: false },
  // Interrupted during the first reply's command: the second reply was never asked for.
  interrupt: { replies: longCommand().slice(0, 1), commands: ['sleep 30'], aborted: true },
};

function records(version: string, scenario: string): RolloutRecord[] {
  const text = readFileSync(
    join(FIXTURES, `codex-${version}`, 'scenarios', scenario, 'rollout.jsonl'),
    'utf8',
  );
  const out: RolloutRecord[] = [];
  let atMs = 0;
  for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
    const record = parseRolloutLine(line, atMs);
    expect(record, line.slice(0, 120)).not.toBe(UNPARSEABLE);
    if (record && record !== UNPARSEABLE) {
      out.push(record);
      atMs = record.atMs;
    }
  }
  return out;
}

describe.each(VERSIONS)('real rollouts of Codex %s', (version) => {
  it.each(Object.keys(SCENARIOS))(
    '%s: every line parses; tools and tokens are what the model did',
    (name) => {
      const scenario = SCENARIOS[name] as (typeof SCENARIOS)[string];
      const parsed = records(version, name);
      const meta = parsed.find((record) => record.kind === 'session_meta');
      expect(meta?.kind === 'session_meta' && meta.session.cliVersion).toBe(version);
      const calls = parsed.flatMap((record) => (record.kind === 'tool_call' ? [record.input] : []));
      expect(calls).toHaveLength(scenario.commands.length);
      for (const [index, command] of scenario.commands.entries()) expect(calls[index]).toContain(command);
      const usage = parsed.flatMap((record) => (record.kind === 'token_usage' ? [record.usage] : []));
      const want = sumUsage(scenario.replies);
      expect(usage).toHaveLength(scenario.replies.length);
      expect(usage.reduce((sum, u) => sum + u.input, 0)).toBe(want.input);
      expect(usage.reduce((sum, u) => sum + u.output, 0)).toBe(want.output);
      expect(usage.reduce((sum, u) => sum + u.cached, 0)).toBe(want.cached);
      expect(parsed.some((record) => record.kind === 'turn_aborted')).toBe(scenario.aborted);
      expect(parsed.some((record) => record.kind === 'task_complete')).toBe(!scenario.aborted);
    },
  );
});
