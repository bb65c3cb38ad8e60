// The hand-off between the capture pipeline (spool -> turns) and the trace side (turn -> TaskData).
// The worker groups spooled hook events into turns; once a turn is closed, `composeTurnTrace`
// (src/worker/compose.ts) reads the rollout and builds its TaskData.
import type { CaptureMode, ResolvedConfig } from '../config/settings';
import type { SpooledEvent } from '../spool/events';

export type { SpooledEvent };

/** Why a turn was closed. */
export type TurnEnding = 'stop' | 'interrupt' | 'session_end' | 'stale';

export interface ClosedTurn {
  sessionId: string;
  /** From UserPromptSubmit (or the ending event); null when Codex never said it. */
  turnId: string | null;
  cwd: string;
  /** The root thread's rollout, or null for an ephemeral session. */
  transcriptPath: string | null;
  /** Every event of the turn in arrival order, sub-agent events included. */
  events: SpooledEvent[];
  ending: TurnEnding;
  /** 1-based position of the turn in its session, as the worker counted. */
  turnNumber: number;
  /**
   * `import` only (a turn with no hook event): the sub-agent threads that worked for this turn, found by
   * their own rollouts (src/worker/import.ts). Live turns find them through their hook events instead.
   */
  subagentRollouts?: SubagentRollout[];
}

/** A sub-agent thread's rollout and which of its turns belong to the parent's turn. */
export interface SubagentRollout {
  /** The sub-agent's thread id (its rollout's session id: what hooks call its agent_id). */
  agentId: string;
  path: string;
  turnIds: string[];
}

export interface ComposeContext {
  config: ResolvedConfig;
  capture: CaptureMode;
  /** The time the trace is built (epoch ms): the trace side never reads the clock itself. */
  nowMs: number;
  /** How long to wait for the turn's end to reach the rollout (task_complete follows Stop). */
  rolloutSettleMs: number;
  /**
   * Built by `infinium-codex import` from a past session's rollout, with no hook event: the trace says so,
   * and its git facts are the rollout's (the folder's .git has moved on since the turn).
   */
  imported?: boolean;
  /**
   * The agent secrets to scrub, when the caller has them already (`import` looks them up once per session,
   * not once per turn: a keyring lookup starts a process). Otherwise compose looks them up.
   */
  agentSecrets?: readonly string[];
}
