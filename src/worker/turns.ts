// Groups one session's spooled events into turns. Pure: events and the clock come in, turns go out.
// Hook events only say when to look: a turn runs from UserPromptSubmit to Stop; Interrupt ends it as
// interrupted; SessionEnd, a prompt of another turn, or silence longer than the stale timeout end a turn
// that never got its Stop. An event carrying the turn_id of the turn open (a prompt steered into it) or
// just closed (the second Stop of a turn a Stop hook continued, an event delivered twice) joins that turn.
// Whether a closed turn is really over is the rollout's to say (src/worker/run.ts waits for it). Events
// from sub-agents (they carry `agent_id`) belong to the parent turn open at the time.
import type { SpooledEvent, TurnEnding } from './closed-turn';

export interface SpooledFileEvent extends SpooledEvent {
  /** The spool file holding it, deleted once the turn is built. */
  file: string;
}

export interface GroupedTurn {
  turnId: string | null;
  events: SpooledFileEvent[];
  ending: TurnEnding;
  /** A SessionEnd came after this turn (it was the session's last before that SessionEnd). */
  beforeSessionEnd: boolean;
}

export interface SessionGrouping {
  closed: GroupedTurn[];
  /** Spool files that belong to no turn and are no longer needed (a SessionEnd with no turn open). */
  consumed: string[];
  /** Events of the turn still open, and events waiting for the next turn: they stay in the spool. */
  pending: SpooledFileEvent[];
  /** The turn still open (its events lead `pending`): its rollout may say it is over (an interrupt). */
  open: GroupedTurn | null;
  /** Arrival of the session's latest event (epoch ms). */
  lastArrivalMs: number;
}

const ENDINGS: Record<string, TurnEnding> = {
  Stop: 'stop',
  Interrupt: 'interrupt',
  SessionEnd: 'session_end',
};

/** `events` are one session's, in arrival order. */
export function groupSessionTurns(
  events: SpooledFileEvent[],
  nowMs: number,
  staleMs: number,
): SessionGrouping {
  const closed: GroupedTurn[] = [];
  const consumed: string[] = [];
  let open: SpooledFileEvent[] | null = null;
  let waiting: SpooledFileEvent[] = [];
  const close = (turnEvents: SpooledFileEvent[], ending: TurnEnding) => {
    closed.push({ turnId: turnIdOf(turnEvents), events: turnEvents, ending, beforeSessionEnd: false });
  };

  for (const event of events) {
    if (event.payload.agent_id !== undefined && event.payload.agent_id !== null) {
      if (open) open.push(event);
      else waiting.push(event);
      continue;
    }
    const ending = ENDINGS[event.event];
    const turnId = typeof event.payload.turn_id === 'string' ? event.payload.turn_id : null;
    const last = closed.at(-1);
    if (turnId !== null && open === null && last?.turnId === turnId && ending !== 'session_end') {
      last.events.push(event);
      if (ending) last.ending = ending;
      continue;
    }
    if (event.event === 'UserPromptSubmit' && open && turnId !== null && turnIdOf(open) === turnId) {
      open.push(event);
    } else if (event.event === 'UserPromptSubmit') {
      if (open) close(open, 'stale');
      open = [...waiting, event];
      waiting = [];
    } else if (ending) {
      if (open) {
        close([...open, event], ending);
        open = null;
      } else if (waiting.some(isTurnContent) || ending !== 'session_end') {
        // A turn whose prompt never reached us (lost, corrupt, or hooks installed mid-turn): still a turn.
        close([...waiting, event], ending);
        waiting = [];
      } else {
        consumed.push(...waiting.map((e) => e.file), event.file);
        waiting = [];
      }
      if (ending === 'session_end') {
        const last = closed.at(-1);
        if (last) last.beforeSessionEnd = true;
      }
    } else if (open) {
      open.push(event);
    } else {
      waiting.push(event);
    }
  }

  const lastArrivalMs = events.at(-1)?.arrivedAtMs ?? 0;
  if (nowMs - lastArrivalMs > staleMs) {
    if (open) {
      close(open, 'stale');
      open = null;
    }
    // Events that never found a turn must not wait in the spool forever: tool activity whose prompt never
    // reached us is still a turn; bare session bookkeeping is simply done with.
    if (waiting.some(isTurnContent)) close(waiting, 'stale');
    else consumed.push(...waiting.map((e) => e.file));
    waiting = [];
  }
  return {
    closed,
    consumed,
    pending: [...(open ?? []), ...waiting],
    open: open && { turnId: turnIdOf(open), events: open, ending: 'stale', beforeSessionEnd: false },
    lastArrivalMs,
  };
}

/** Anything but session bookkeeping: worth a trace even without a prompt. */
function isTurnContent(event: SpooledEvent): boolean {
  return event.event !== 'SessionStart' && event.event !== 'SessionEnd';
}

function turnIdOf(events: SpooledEvent[]): string | null {
  const root = events.find((e) => !e.payload.agent_id && typeof e.payload.turn_id === 'string');
  return root?.payload.turn_id ?? null;
}
