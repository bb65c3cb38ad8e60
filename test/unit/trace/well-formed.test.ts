// Property: whatever text a turn holds, every string of the built body is well-formed Unicode (no lone
// UTF-16 surrogate), so no cut (name, step descriptions, inputs, outputs, summaries, error messages, the
// fit under 1 MB) ever splits an emoji. Field case: emoji-cut-in-name.
import { describe, expect, it } from 'vitest';
import { LIMITS, type TaskData } from '../../../src/infinium/task-data';
import { buildSessionTrace, buildTurnTrace, type TurnTraceInput } from '../../../src/trace/build';
import { bodyBytes } from '../../../src/trace/limits';
import { prng } from '../../support/fuzz-inputs';
import { RolloutWriter } from '../codex/rollout-writer';
import { input, isWellFormed, strings } from './helpers';

const ASTRAL = ['😀', '🎉', '𝄞', '🐛', '👩‍💻', '🇫🇷'];
/** Where cuts fall: names 100 and 500, descriptions 120 and 200, prompts 1,000, errors 2,000, fields. */
const CUT_POINTS = [100, 120, 200, 500, 1_000, 2_000, 8_000, 16_000, 32_000];

/** `length` units of filler with an astral character starting at `at` (and more, randomly, elsewhere). */
function textWithAstral(random: () => number, length: number, at: number): string {
  let text = '';
  while (text.length < length) {
    const r = random();
    if (text.length === at || r < 0.05) text += ASTRAL[Math.floor(random() * ASTRAL.length)];
    else text += r < 0.15 ? ' ' : String.fromCharCode(97 + Math.floor(random() * 26));
  }
  return text;
}

function turn(prompt: string, command: string, output: string, message: string): TurnTraceInput {
  const writer = new RolloutWriter()
    .startTurn('t1', prompt)
    .exec('t1', 'c1', command, { output, exitCode: 1 })
    .line('response_item', { type: 'function_call', name: 'no_such_tool', arguments: '{}', call_id: 'c2' })
    .line('response_item', {
      type: 'function_call_output',
      call_id: 'c2',
      output: `unsupported call: ${command}`,
    })
    .event({ type: 'error', message, codex_error_info: 'usage_limit_exceeded' })
    .usage('t1', 'r1', { input: 10, output: 1 })
    .agentMessage('t1', message)
    .complete('t1', 100, message);
  return input(writer, { environment: { project: textWithAstral(prng(7), 30, 20) } });
}

const options = { contentMode: 'redacted' as const, redactPatterns: [], capture: 'lean' as const, nowMs: 0 };

function expectWellFormed(data: TaskData): void {
  const broken = strings(data).filter((text) => !isWellFormed(text));
  expect(broken.map((text) => text.slice(0, 80))).toEqual([]);
}

describe('every string of the body is well-formed, wherever an astral character falls', () => {
  it.each(CUT_POINTS)('astral characters at every position around the %i cut', (cut) => {
    for (let offset = -3; offset <= 3; offset += 1) {
      const random = prng(cut * 10 + offset);
      // The prompt carries a project prefix in the name: shift the astral character by it too.
      const at = (n: number) => Math.max(0, cut + offset - n);
      const data = buildTurnTrace(
        turn(
          textWithAstral(random, cut + 50, at(2)),
          textWithAstral(random, cut + 50, at(6)),
          textWithAstral(random, cut + 50, at(0)),
          textWithAstral(random, cut + 50, at(1)),
        ),
        options,
      );
      expectWellFormed(data);
    }
  });

  it('random texts with astral characters at random places, in turn and session traces', () => {
    const random = prng(2026);
    for (let i = 0; i < 40; i += 1) {
      const length = () => 1 + Math.floor(random() * 3_000);
      const pick = (n: number) => textWithAstral(random, n, Math.floor(random() * n));
      const input = turn(pick(length()), pick(length()), pick(length()), pick(length()));
      expectWellFormed(buildTurnTrace(input, options));
      expectWellFormed(buildSessionTrace([input, input], options));
    }
  });

  it('a body fitted under 1 MB keeps every string well-formed', () => {
    const random = prng(99);
    const huge = () => textWithAstral(random, 400_000, 200_001);
    const data = buildTurnTrace(turn(huge(), huge(), huge(), huge()), options);
    expect(bodyBytes(data)).toBeLessThanOrEqual(LIMITS.bodyMaxBytes);
    expectWellFormed(data);
  });
});
