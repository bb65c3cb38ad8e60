// Replays a real Codex scenario (test/fixtures/codex-<version>/scenarios/<name>; 0.169.0 unless the name
// is `<version>/<name>`) into a sandbox: its rollouts are copied under the sandbox's CODEX_HOME and its hook
// payloads rewritten to point there.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, type EventSequence, type Sandbox } from './capture-harness';

const FIXTURES = join(import.meta.dirname, '../fixtures');
const RECORDED_CODEX_HOME = '/home/dev/.codex';
const RECORDED_PROJECT = '/home/dev/project';

export interface Scenario {
  sessionId: string;
  events: EventSequence;
}

export function loadScenario(name: string, box: Sandbox): Scenario {
  const [version, scenario] = name.includes('/') ? name.split('/') : ['0.169.0', name];
  const dir = join(FIXTURES, `codex-${version}`, 'scenarios', scenario as string);
  const codexHome = box.env.CODEX_HOME as string;
  const lines = readFileSync(join(dir, 'hooks.jsonl'), 'utf8').split('\n').filter(Boolean);
  const payloads = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const rootTranscript = payloads.find((p) => typeof p.transcript_path === 'string' && !p.agent_id)
    ?.transcript_path as string;
  const childTranscripts = [
    ...new Set(
      payloads.filter((p) => p.agent_id && p.transcript_path).map((p) => p.transcript_path as string),
    ),
  ];
  const place = (file: string, recorded: string) => {
    const target = recorded.replace(RECORDED_CODEX_HOME, codexHome);
    mkdirSync(join(target, '..'), { recursive: true });
    copyFileSync(join(dir, file), target);
  };
  place('rollout.jsonl', rootTranscript);
  childTranscripts.forEach((recorded, i) => {
    const file = `subagent-rollout-${i + 1}.jsonl`;
    if (existsSync(join(dir, file))) place(file, recorded);
  });
  const events: EventSequence = lines.map((line, i) => [
    payloads[i]?.hook_event_name as string,
    line.split(RECORDED_CODEX_HOME).join(codexHome).split(RECORDED_PROJECT).join(box.project),
  ]);
  return { sessionId: payloads[0]?.session_id as string, events };
}

/** The rollout file a scenario's root thread writes, inside the sandbox. */
export function rolloutPath(scenario: Scenario): string {
  const first = JSON.parse(scenario.events[0]?.[1] ?? '{}') as { transcript_path: string };
  return first.transcript_path;
}

export const LEAN = new Set(['UserPromptSubmit', 'Stop', 'Interrupt', 'SubagentStop', 'SessionEnd']);

/** Runs dist/worker.mjs to completion (the hooks start it detached; tests also run it by hand). */
export function runWorkerProcess(env: Record<string, string>, args: string[] = []): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(DIST, 'worker.mjs'), ...args], { env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', resolve);
  });
}
