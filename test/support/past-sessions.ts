// Past Codex sessions for `import` tests: a recorded rollout (test/fixtures) copied under a sandbox's
// CODEX_HOME/sessions/YYYY/MM/DD, its recorded folder (/home/dev/project) rewritten to the sandbox's
// project, optionally under a new session id or with its last turn still open.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '../fixtures');
const RECORDED_PROJECT = '/home/dev/project';
const RECORDED_CODEX_HOME = '/home/dev/.codex';

/** The two-turn session Codex 0.169.0 recorded (exec, then resume), with its hook payloads. */
export const TWO_TURNS = {
  rollout: 'codex-0.169.0/rollout-two-turns-resume.jsonl',
  hooks: 'codex-0.169.0/hook-payloads.jsonl',
  sessionId: '01a2127a-ec4e-7450-ae94-ecf921fe396d',
  turnIds: ['01a2127a-ecd3-74d2-8902-f59b4378aa2b', '01a2127a-fdb2-7132-8f2d-99119fc102a2'],
} as const;

export interface PlacedRollout {
  path: string;
  sessionId: string;
}

export interface PlaceOptions {
  /** Replaces the recorded session id everywhere in the file (several sessions from one recording). */
  sessionId?: string;
  /** Leaves out the last task_complete line: the session's last turn is still in progress. */
  openLastTurn?: boolean;
}

/** Copies `fixture` (a path under test/fixtures) into `codexHome` as a rollout of `project`. */
export function placeRollout(
  codexHome: string,
  project: string,
  fixture: string,
  options: PlaceOptions = {},
): PlacedRollout {
  const recorded = readFileSync(join(FIXTURES, fixture), 'utf8');
  // Codex names the file after session_meta's own timestamp (a sub-agent's line is stamped later).
  const first = JSON.parse(recorded.slice(0, recorded.indexOf('\n'))) as {
    payload: { id: string; timestamp: string };
  };
  const sessionId = options.sessionId ?? first.payload.id;
  let lines = recorded
    .split(first.payload.id)
    .join(sessionId)
    .split(RECORDED_PROJECT)
    .join(project)
    .split('\n')
    .filter(Boolean);
  if (options.openLastTurn) {
    const end = lines.findLastIndex((line) => line.includes('"type":"task_complete"'));
    lines = lines.filter((_, i) => i !== end);
  }
  const [date, time] = first.payload.timestamp.split('T') as [string, string];
  const dir = join(codexHome, 'sessions', ...date.split('-'));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `rollout-${date}T${time.slice(0, 8).replaceAll(':', '-')}-${sessionId}.jsonl`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { path, sessionId };
}

/**
 * The recorded hook payloads of `hooks`, of the events in `events`, as they would name the placed rollouts:
 * the recorded CODEX_HOME, project and (with `sessionId`) session id rewritten as `placeRollout` does.
 */
export function hookEventsFor(
  hooks: string,
  codexHome: string,
  project: string,
  events: ReadonlySet<string>,
  sessionId?: { recorded: string; placed: string },
): [event: string, payload: string][] {
  return readFileSync(join(FIXTURES, hooks), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line): [string, string] => {
      const rewritten = line.split(RECORDED_CODEX_HOME).join(codexHome).split(RECORDED_PROJECT).join(project);
      const event = (JSON.parse(line) as { hook_event_name: string }).hook_event_name;
      return [event, sessionId ? rewritten.split(sessionId.recorded).join(sessionId.placed) : rewritten];
    })
    .filter(([event]) => events.has(event));
}
