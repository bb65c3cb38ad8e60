// A small stand-in for the trace side's compose functions, for tests of the capture pipeline alone: one
// step per hook event, the cursor a count of turns composed. Deterministic and free of rollout reading.
import type { ClosedTurn, ComposeContext } from '../../src/worker/closed-turn';
import type { Composed, Composer } from '../../src/worker/run';

interface FakeCursor {
  turnsComposed: number;
}

function turnTrace(turns: ClosedTurn[], ctx: ComposeContext, cursor: unknown): Composed {
  const events = turns.flatMap((t) => t.events);
  const first = events[0]?.arrivedAtMs ?? ctx.nowMs;
  const last = events.at(-1)?.arrivedAtMs ?? ctx.nowMs;
  const prompt = events.find((e) => e.event === 'UserPromptSubmit' && !e.payload.agent_id)?.payload.prompt;
  const previous = (cursor as FakeCursor | undefined)?.turnsComposed ?? 0;
  return {
    taskData: {
      name: `Turn ${turns.map((t) => t.turnNumber).join('+')} of ${turns[0]?.sessionId}`,
      description: `${turns.map((t) => `${t.turnId ?? 'no id'}:${t.ending}`).join(', ')}`,
      current_datetime: new Date(ctx.nowMs).toISOString(),
      duration: Math.max(0, (last - first) / 1000),
      ...(prompt ? { input_summary: prompt } : {}),
      steps: events.map((e, i) => ({
        step_number: i + 1,
        action: e.event === 'UserPromptSubmit' ? 'user_prompt' : 'tool_call',
        description: e.payload.agent_id ? `${e.event} (agent ${e.payload.agent_id})` : e.event,
        started_at: new Date(e.arrivedAtMs).toISOString(),
        duration_ms: 0,
        status:
          e.event === 'PreToolUse' &&
          !events.some((p) => p.event === 'PostToolUse' && p.payload.tool_use_id === e.payload.tool_use_id)
            ? 'incomplete'
            : 'success',
        ...(e.payload.agent_id ? { agent_id: e.payload.agent_id } : {}),
      })),
      llm_usage: { total_tokens: 10 * turns.length },
    },
    cursor: { turnsComposed: previous + turns.length } satisfies FakeCursor,
  };
}

export const fakeComposer: Composer = {
  async composeTurnTrace(turn, ctx, cursor) {
    return turnTrace([turn], ctx, cursor);
  },
  async composeSessionTrace(turns, ctx, cursor) {
    return turnTrace(turns, ctx, cursor);
  },
};
