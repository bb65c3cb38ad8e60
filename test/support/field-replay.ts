// Replays a field case (test/fixtures/field/<case>/, the format of /work/shared/cases/README.md) through the
// real path: a sandbox HOME/CODEX_HOME set up by our own `init`, the hook commands init wrote into
// hooks.json run the way Codex runs them, the detached worker they start, and a stand-in Infinium. A plan
// is one operation a line: `append` rollout lines, run a `hook`, `sleep`, `wait` for the worker, `session`.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TaskData } from '../../src/infinium/task-data';
import { waitForWorkerIdle } from './capture-harness';
import { collectOutput } from './child-output';
import { initArgs, makeSandbox, runCli, type Sandbox } from './cli-sandbox';
import { startStandIn } from './infinium-stand-in';
import { runWorkerProcess } from './scenario';

export const FIELD_CASES = join(import.meta.dirname, '../fixtures/field');

const RECORDED_HOME = '/home/dev';
const AGENT = 'agent-field';
const SECRET = 'sk-field-replay-secret-4242';

export type PlanOperation =
  | { append: string; as: string; to: number }
  | { hook: string; payload: Record<string, unknown>; bom?: boolean }
  | { sleep: number }
  | { wait: true }
  | { session: string };

export interface FieldReplayOptions {
  /** The plan file in the case folder (default `plan.jsonl`). */
  plan?: string;
  /** Extra `init` flags, e.g. `['--capture', 'full']`. */
  init?: string[];
  /**
   * `hooks`: at the end, run no worker of our own (settle does, as the next hook event would): only the
   * workers the plan's hooks started may build, and the replay waits up to `hookWorkerWaitMs` for a trace.
   */
  settle?: 'worker' | 'hooks';
  hookWorkerWaitMs?: number;
  /** Called once the worker is idle, before the sandbox is thrown away (run `status`, read the spool...). */
  inspect?: (sandbox: Sandbox) => Promise<void> | void;
}

/**
 * Runs a case's plan and returns the trace bodies the stand-in received for the plan's sessions (every
 * session a hook payload or a `session` line names), in the order they arrived.
 */
export async function replayFieldCase(name: string, options: FieldReplayOptions = {}): Promise<TaskData[]> {
  const dir = join(FIELD_CASES, name);
  const standIn = await startStandIn({ [AGENT]: SECRET });
  const sandbox = makeSandbox();
  try {
    const init = await runCli(sandbox, initArgs(AGENT, standIn.url, ...(options.init ?? [])), {
      input: SECRET,
    });
    if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
    const sessions = new Set<string>();
    const written = new Map<string, number>();
    const source = readFileSync(join(dir, options.plan ?? 'plan.jsonl'), 'utf8');
    for (const line of source.split('\n').filter(Boolean)) {
      const operation = JSON.parse(intoSandbox(line, sandbox)) as PlanOperation;
      if ('append' in operation) appendRollout(dir, operation, sandbox, written);
      else if ('hook' in operation) {
        if (typeof operation.payload.session_id === 'string') sessions.add(operation.payload.session_id);
        const bytes = JSON.stringify(operation.payload);
        const run = await runRegisteredHook(
          sandbox,
          operation.hook,
          operation.bom ? `\uFEFF${bytes}` : bytes,
        );
        if (run && (run.code !== 0 || run.output !== '')) {
          throw new Error(`the ${operation.hook} hook exited ${run.code} with output ${run.output}`);
        }
      } else if ('sleep' in operation) await new Promise((r) => setTimeout(r, operation.sleep));
      else if ('wait' in operation) await settle(sandbox);
      else sessions.add(operation.session);
    }
    const ours = () =>
      standIn.traces
        .map((trace) => trace.body as unknown as TaskData)
        .filter((body) => sessions.has(body.environment?.session_id ?? ''));
    if (options.settle === 'hooks') {
      const deadline = Date.now() + (options.hookWorkerWaitMs ?? 60_000);
      while (ours().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 120_000 });
    } else await settle(sandbox);
    await options.inspect?.(sandbox);
    return ours();
  } finally {
    await standIn.close();
  }
}

/**
 * Waits until the worker is done with everything the plan did so far. A detached worker a hook started may
 * not hold its lock yet, so one more worker is run here (it leaves a rerun request if one is busy): it is
 * what the next hook event would start anyway.
 */
async function settle(sandbox: Sandbox): Promise<void> {
  const env = {
    HOME: sandbox.home,
    CODEX_HOME: sandbox.codexHome,
    INFINIUM_CODEX_HOME: sandbox.stateDir,
    INFINIUM_CODEX_EVALUATION_WAIT_SECONDS: '0',
    INFINIUM_CODEX_WORKER_IDLE_SECONDS: '0',
  };
  await runWorkerProcess({ ...env, PATH: '/usr/bin:/bin' });
  await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 120_000 });
}

/** `/home/dev/...` of the recorded case, rewritten into the sandbox (JSON-escaped, as in the plan line). */
function intoSandbox(text: string, sandbox: Sandbox): string {
  return text
    .split(`${RECORDED_HOME}/.codex`)
    .join(sandbox.codexHome)
    .split(`${RECORDED_HOME}/project`)
    .join(sandbox.project)
    .split(RECORDED_HOME)
    .join(sandbox.home);
}

/**
 * Appends the case file's lines up to `to` (1-based, cumulative) that this rollout does not have yet;
 * `counts` holds how many lines each rollout has.
 */
function appendRollout(
  dir: string,
  operation: { append: string; as: string; to: number },
  sandbox: Sandbox,
  counts: Map<string, number>,
): void {
  const from = counts.get(operation.as) ?? 0;
  if (operation.to <= from) return;
  const lines = readFileSync(join(dir, operation.append), 'utf8').split('\n');
  const chunk = lines
    .slice(from, operation.to)
    .map((line) => `${intoSandbox(line, sandbox)}\n`)
    .join('');
  mkdirSync(dirname(operation.as), { recursive: true });
  // One append, as Codex's writer appends whole lines.
  appendFileSync(operation.as, chunk);
  counts.set(operation.as, operation.to);
}

/**
 * Runs the command init wrote into hooks.json for `event` exactly as Codex would (`sh -c`, cwd `/`, a minimal
 * PATH, the payload on stdin); null when the capture mode does not register the event.
 */
export function runRegisteredHook(
  sandbox: Sandbox,
  event: string,
  payload: string,
  /** The session's own environment on top (INFINIUM_CODEX_DISABLED, INFINIUM_CODEX_CONTENT_MODE, ...). */
  sessionEnv: Record<string, string> = {},
): Promise<{ code: number | null; output: string } | null> {
  const hooks = JSON.parse(readFileSync(join(sandbox.codexHome, 'hooks.json'), 'utf8')) as {
    hooks: Record<string, { hooks: { command: string }[] }[]>;
  };
  const command = hooks.hooks[event]?.at(-1)?.hooks[0]?.command;
  if (command === undefined) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      cwd: '/',
      env: {
        HOME: sandbox.home,
        CODEX_HOME: sandbox.codexHome,
        INFINIUM_CODEX_HOME: sandbox.stateDir,
        // No worker lingers after a case to poll Maestro's evaluations or for the session's next event.
        INFINIUM_CODEX_EVALUATION_WAIT_SECONDS: '0',
        INFINIUM_CODEX_WORKER_IDLE_SECONDS: '0',
        PATH: '/usr/bin:/bin',
        ...sessionEnv,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const output = collectOutput(child);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output: output.stdout + output.stderr }));
    child.stdin.end(payload);
  });
}
