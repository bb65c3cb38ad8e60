// The two-turn session Codex 0.169.0 recorded (test/fixtures/codex-0.169.0), replayed into a sandbox as a
// user's Codex would run it: its lean hook events fed to the exact commands `init` wrote into hooks.json.
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { LEAN_EVENTS } from '../../src/codex/hook-payload';
import { spoolPaths } from '../../src/spool/layout';
import type { Sandbox } from './cli-sandbox';
import { runRegisteredHook } from './field-replay';

const FIXTURES = join(import.meta.dirname, '../fixtures/codex-0.169.0');

export interface HookEvent {
  event: string;
  payload: string;
}

/** The two-turn session's lean events, rewritten into the sandbox, with its rollout in place. */
export function twoTurns(sandbox: Sandbox): HookEvent[] {
  const lines = readFileSync(join(FIXTURES, 'hook-payloads.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) =>
      line.split('/home/dev/.codex').join(sandbox.codexHome).split('/home/dev/project').join(sandbox.project),
    );
  const transcript = (JSON.parse(lines[0] ?? '{}') as { transcript_path: string }).transcript_path;
  mkdirSync(dirname(transcript), { recursive: true });
  copyFileSync(join(FIXTURES, 'rollout-two-turns-resume.jsonl'), transcript);
  return lines
    .map((payload) => ({
      event: (JSON.parse(payload) as { hook_event_name: string }).hook_event_name,
      payload,
    }))
    .filter(({ event }) => (LEAN_EVENTS as readonly string[]).includes(event));
}

/** Where the second turn's events start. */
export function secondTurnAt(events: HookEvent[]): number {
  const prompts = events.flatMap(({ event }, i) => (event === 'UserPromptSubmit' ? [i] : []));
  const at = prompts[1] ?? events.length;
  // The resumed session's SessionStart (lean mode registers it) belongs to the second turn.
  return events[at - 1]?.event === 'SessionStart' ? at - 1 : at;
}

/** Each event through the registered hook command, which must exit 0 in silence. */
export async function feed(sandbox: Sandbox, events: HookEvent[]): Promise<void> {
  for (const { event, payload } of events) {
    expect(await runRegisteredHook(sandbox, event, payload)).toEqual({ code: 0, output: '' });
  }
}

export function readOutboxCount(sandbox: Sandbox): number {
  return countJson(spoolPaths({ INFINIUM_CODEX_HOME: sandbox.stateDir }).outbox);
}

export function readDeadCount(sandbox: Sandbox): number {
  return countJson(spoolPaths({ INFINIUM_CODEX_HOME: sandbox.stateDir }).dead);
}

function countJson(dir: string): number {
  try {
    return readdirSync(dir).filter((name) => name.endsWith('.json')).length;
  } catch {
    return 0;
  }
}
