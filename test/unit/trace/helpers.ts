// Shared builders for the trace-side tests: hook events from the real fixture payloads, a config, and
// rollout lines in Codex 0.169's format for synthetic rollouts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type HookPayload, parseHookPayload } from '../../../src/codex/hook-payload';
import type { ContentMode, ResolvedConfig } from '../../../src/config/settings';
import type { ComposeContext, SpooledEvent } from '../../../src/worker/closed-turn';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/codex-0.169.0');

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
