// Shared builders for the trace-side tests: hook events from the real fixture payloads, a config, and
// rollout lines in Codex 0.169's format for synthetic rollouts.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  FULL_EVENTS,
  type HookPayload,
  LEAN_EVENTS,
  parseHookPayload,
} from '../../../src/codex/hook-payload';
import { parseRolloutLine, type RolloutRecord, UNPARSEABLE } from '../../../src/codex/rollout';
import type { ContentMode, ResolvedConfig } from '../../../src/config/settings';
import type { TurnTraceInput } from '../../../src/trace/build';
import type { ClosedTurn, ComposeContext, SpooledEvent } from '../../../src/worker/closed-turn';
import type { RolloutWriter } from '../codex/rollout-writer';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/codex-0.169.0');
/** The Codex versions whose real scenarios are in test/fixtures/codex-<version>/scenarios. */
export const CODEX_VERSIONS = ['0.169.0', '0.171.0'] as const;
export type CodexVersion = (typeof CODEX_VERSIONS)[number];

export function fixturePayloads(): HookPayload[] {
  return readFileSync(join(FIXTURES, 'hook-payloads.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => parseHookPayload(JSON.parse(line)) as HookPayload);
}

/** Spooled events with arrival stamps one second apart from `startMs`. */
export function spooled(payloads: HookPayload[], startMs: number, stepMs = 1000): SpooledEvent[] {
  return payloads.map((payload, index) => ({
    event: payload.hook_event_name,
    arrivedAtMs: startMs + index * stepMs,
    payload,
  }));
}

export function config(overrides: Partial<ResolvedConfig> = {}): ResolvedConfig {
  return {
    agentId: '00000000-0000-4000-8000-000000000001',
    baseUrl: 'http://127.0.0.1:1',
    granularity: 'turn',
    contentMode: 'redacted' as ContentMode,
    redactPatterns: [],
    projectRoot: null,
    projectName: 'project',
    source: 'project',
    ...overrides,
  };
}

export function context(
  overrides: Partial<ComposeContext> = {},
  configOverrides: Partial<ResolvedConfig> = {},
) {
  return {
    config: config(configOverrides),
    capture: 'lean',
    nowMs: Date.parse('2026-11-25T12:00:00.000Z'),
    rolloutSettleMs: 0,
    ...overrides,
  } satisfies ComposeContext;
}

export const SCENARIOS = join(FIXTURES, 'scenarios');
const RECORDED_CODEX_HOME = '/home/dev/.codex';

/**
 * Stages a real scenario under `codexHome` (its rollouts at the paths Codex wrote them) and returns its
 * hook payloads with transcript paths pointing there.
 */
export function stageScenario(
  name: string,
  codexHome: string,
  version: CodexVersion = '0.169.0',
): HookPayload[] {
  const dir = join(FIXTURES, `../codex-${version}/scenarios`, name);
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  for (const match of readme.matchAll(/^- (\S+\.jsonl) \((sessions\/\S+\.jsonl)\)$/gm)) {
    const target = join(codexHome, match[2] as string);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(dir, match[1] as string), target);
  }
  return readFileSync(join(dir, 'hooks.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line.split(RECORDED_CODEX_HOME).join(codexHome)))
    .map((json) => parseHookPayload(json) as HookPayload);
}

/**
 * The root turn of a single-turn scenario as the worker would close it: from the root UserPromptSubmit
 * to the root Stop or Interrupt, sub-agent events included. `lean` keeps only the events lean capture
 * registers.
 */
export function scenarioTurn(payloads: HookPayload[], capture: 'lean' | 'full'): ClosedTurn {
  const isRoot = (p: HookPayload) => !p.agent_id && p.hook_event_name !== 'SubagentStart';
  const start = payloads.findIndex((p) => p.hook_event_name === 'UserPromptSubmit' && isRoot(p));
  const end = payloads.findIndex(
    (p, i) => i > start && isRoot(p) && (p.hook_event_name === 'Stop' || p.hook_event_name === 'Interrupt'),
  );
  const registered = capture === 'lean' ? LEAN_EVENTS : FULL_EVENTS;
  const events = payloads
    .slice(start, end + 1)
    .filter((p) => (registered as readonly string[]).includes(p.hook_event_name));
  const first = payloads[start] as HookPayload;
  const last = payloads[end] as HookPayload;
  return {
    sessionId: first.session_id,
    turnId: first.turn_id ?? null,
    cwd: first.cwd,
    transcriptPath: first.transcript_path,
    events: spooled(events, Date.parse('2026-11-25T13:00:00.000Z'), 5),
    ending: last.hook_event_name === 'Stop' ? 'stop' : 'interrupt',
    turnNumber: 1,
  };
}

/** Every string in a JSON value (keys included). */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).flatMap(([key, inner]) => [key, ...strings(inner)]);
  return [];
}

/** String.prototype.isWellFormed (Node 20; not in the ES2023 lib types): no lone surrogate. */
export const isWellFormed = (text: string): boolean =>
  (text as unknown as { isWellFormed(): boolean }).isWellFormed();

/** A synthetic rollout's lines as the reader's records. */
export function records(writer: RolloutWriter): RolloutRecord[] {
  return writer.lines
    .map((line) => parseRolloutLine(line, 0))
    .filter((r): r is RolloutRecord => r !== null && r !== UNPARSEABLE);
}

/** One turn's builder input from a synthetic rollout (session S, turn t1, project demo). */
export function input(writer: RolloutWriter, overrides: Partial<TurnTraceInput> = {}): TurnTraceInput {
  return {
    sessionId: 'S',
    turnId: 't1',
    turnNumber: 1,
    ending: 'stop',
    events: [],
    rollout: {
      records: records(writer),
      ended: true,
      session: { cliVersion: '0.169.0', provider: 'openai' },
    },
    rolloutMissing: false,
    subagents: [],
    environment: { project: 'demo', cwd: '.', os: 'Linux', connectorVersion: '0.1.0' },
    ...overrides,
  };
}
