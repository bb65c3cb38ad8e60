// Shared pieces for capture-pipeline tests: temp state dirs, Codex-like hook payloads, and running the
// real hook front-ends (dist/hook.sh, dist/bin.cjs, the native binary built from native/hook.c) as child
// processes fed through a pipe.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { nativeHookBinary } from '../../scripts/build-native.mjs';
import { recordDecision } from '../../src/config/consent';
import { secretAccount } from '../../src/config/credentials';
import { DEFAULT_BASE_URL } from '../../src/infinium/client';
import { spoolPaths } from '../../src/spool/layout';
import { lockHeld, lockHolder } from '../../src/spool/lock';
import { collectOutput } from './child-output';

export const DIST = resolve(import.meta.dirname, '../../dist');

export interface Sandbox {
  dir: string;
  home: string;
  state: string;
  project: string;
  /** The base URL the project's file names (secrets are stored for its origin). */
  baseUrl?: string;
  env: Record<string, string>;
  cleanup(): void;
}

/** Temp HOME, CODEX_HOME and INFINIUM_CODEX_HOME, and a project whose .infinium/config.json names the agent. */
export function makeSandbox(agent?: { agentId: string; baseUrl: string; granularity?: string }): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'infinium-capture-'));
  const home = join(dir, 'home');
  const state = join(dir, 'state');
  const project = join(dir, 'project');
  mkdirSync(join(home, '.codex'), { recursive: true });
  mkdirSync(project, { recursive: true });
  if (agent) {
    mkdirSync(join(project, '.infinium'));
    writeFileSync(join(project, '.infinium', 'config.json'), JSON.stringify(agent));
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    CODEX_HOME: join(home, '.codex'),
    INFINIUM_CODEX_HOME: state,
    // No worker lingers after a test to poll Maestro's evaluations, or waits for a session's next event
    // (a test often runs the worker itself and waits for it to exit); the tests of each turn it on.
    INFINIUM_CODEX_EVALUATION_WAIT_SECONDS: '0',
    INFINIUM_CODEX_WORKER_IDLE_SECONDS: '0',
  };
  // Retried: a detached worker may still be writing its last lines when a test is over.
  const cleanup = () => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  // The project file is the user's own, as `init` writes it: allowed (src/config/consent.ts); its server is
  // the user's own too (their settings name it), so a session's own secret may go there (loadConfigSecret).
  if (agent) {
    recordDecision(join(project, '.infinium', 'config.json'), 'allow', env);
    mkdirSync(state, { recursive: true, mode: 0o700 });
    writeFileSync(join(state, 'config.json'), JSON.stringify({ baseUrl: agent.baseUrl }), { mode: 0o600 });
  }
  return { dir, home, state, project, baseUrl: agent?.baseUrl, env, cleanup };
}

/**
 * Stores an agent's secret as `init` does where no keyring works (the sandbox has none): the fallback file.
 * The secret of a session started with INFINIUM_AGENT_SECRET is that session's only.
 */
export function storeAgentSecret(box: Sandbox, secrets: Record<string, string>): void {
  mkdirSync(box.state, { recursive: true, mode: 0o700 });
  const bound = Object.fromEntries(
    Object.entries(secrets).map(([agentId, secret]) => [
      secretAccount(agentId, box.baseUrl ?? DEFAULT_BASE_URL),
      secret,
    ]),
  );
  writeFileSync(join(box.state, 'credentials.json'), JSON.stringify(bound), { mode: 0o600 });
}

export type FrontEnd = 'sh' | 'node' | 'native';

/** The native front-end `npm run build` made for this machine (absent where no C compiler was found). */
export const NATIVE_HOOK = nativeHookBinary();

/**
 * The front-ends to run a suite on: the native one too where it was built. CI installs a compiler, so there
 * a missing binary is a failure (runHook says so), never a silent skip; elsewhere its tests are left out,
 * with one line saying why.
 */
export const FRONT_ENDS: FrontEnd[] =
  existsSync(NATIVE_HOOK) || process.env.CI ? ['sh', 'node', 'native'] : ['sh', 'node'];
if (!FRONT_ENDS.includes('native')) {
  console.warn(`native hook front-end tests skipped: ${NATIVE_HOOK} was not built (no C compiler?)`);
}

export interface HookRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface HookRunOptions {
  dist?: string;
  keepStdinOpen?: boolean;
  /** The node binary the shell and native front-ends are given for the worker (Codex passes the real one). */
  node?: string;
  /** Kills a hook still running after this long: the run then ends with code null and `timedOut`. */
  timeoutMs?: number;
  /**
   * Feeds stdin from this file through a writer process of its own (`cat file | hook`), as Codex's writer
   * is: a busy test process writing tens of MB itself would pause between chunks.
   */
  stdinFile?: string;
}

/** Runs one hook event the way Codex does: payload on stdin through a pipe, then stdin closed. */
export function runHook(
  frontEnd: FrontEnd,
  event: string,
  payload: string | Buffer | null,
  env: Record<string, string>,
  options: HookRunOptions = {},
): Promise<HookRun & { timedOut?: true }> {
  const [command, args] = hookCommand(frontEnd, event, options);
  return runProcess(command, args, payload, env, options);
}

/** The command line that runs one hook event through a front-end. */
export function hookCommand(frontEnd: FrontEnd, event: string, options: HookRunOptions): [string, string[]] {
  const dist = options.dist ?? DIST;
  const node = options.node ?? process.execPath;
  const [hook, hookArgs]: [string, string[]] =
    frontEnd === 'sh'
      ? [join(dist, 'hook.sh'), [event, node]]
      : frontEnd === 'native'
        ? [nativeHook(), [event, node, dist]]
        : [process.execPath, [join(dist, 'bin.cjs'), 'hook', event]];
  return options.stdinFile
    ? ['sh', ['-c', 'cat "$0" | exec "$@"', options.stdinFile, hook, ...hookArgs]]
    : [hook, hookArgs];
}

/** The native front-end's path; a clear failure when it was not built. */
function nativeHook(): string {
  if (!existsSync(NATIVE_HOOK)) {
    throw new Error(
      `the native hook front-end ${NATIVE_HOOK} is missing: run npm run build with a C compiler`,
    );
  }
  return NATIVE_HOOK;
}

/** The same command line for `sh -c`: `exec '<hook>' <args>`, quoted. */
export function hookShellCommand(frontEnd: FrontEnd, event: string, options: HookRunOptions = {}): string {
  const [command, args] = hookCommand(frontEnd, event, options);
  return `exec ${[command, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ')}`;
}

/** Runs a command with `payload` on its stdin, collecting its output; killed after `timeoutMs`. */
export function runProcess(
  command: string,
  args: string[],
  payload: string | Buffer | null,
  env: Record<string, string>,
  options: Pick<HookRunOptions, 'keepStdinOpen' | 'timeoutMs'> = {},
): Promise<HookRun & { timedOut?: true }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const output = collectOutput(child);
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const run = { code, stdout: output.stdout, stderr: output.stderr };
      resolvePromise(timedOut ? { ...run, timedOut } : run);
    });
    child.stdin.on('error', () => {
      // the hook may exit before reading everything (a never-closed stdin test)
    });
    if (payload !== null) child.stdin.write(payload);
    if (!options.keepStdinOpen) child.stdin.end();
  });
}

/** Codex-like payloads for one session, in the shape of the 0.169.0 fixtures. */
export function codexSession(sessionId: string, cwd: string, transcriptPath: string | null = null) {
  const base = {
    session_id: sessionId,
    transcript_path: transcriptPath,
    cwd,
    model: 'gpt-5.5',
    permission_mode: 'bypassPermissions',
  };
  const ev = (hook_event_name: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ ...base, hook_event_name, ...extra });
  return {
    sessionStart: () => ev('SessionStart', { source: 'startup' }),
    prompt: (turnId: string, prompt: string) => ev('UserPromptSubmit', { turn_id: turnId, prompt }),
    preTool: (turnId: string, toolUseId: string, command: string) =>
      ev('PreToolUse', {
        turn_id: turnId,
        tool_name: 'Bash',
        tool_input: { command },
        tool_use_id: toolUseId,
      }),
    postTool: (turnId: string, toolUseId: string, command: string, output: string) =>
      ev('PostToolUse', {
        turn_id: turnId,
        tool_name: 'Bash',
        tool_input: { command },
        tool_use_id: toolUseId,
        tool_response: output,
      }),
    stop: (turnId: string, message: string) =>
      ev('Stop', { turn_id: turnId, stop_hook_active: false, last_assistant_message: message }),
    interrupt: (turnId: string) => ev('Interrupt', { turn_id: turnId }),
    subagent: (event: string, agentId: string, turnId: string, extra: Record<string, unknown> = {}) =>
      ev(event, { agent_id: agentId, agent_type: 'worker', turn_id: turnId, ...extra }),
    sessionEnd: () =>
      JSON.stringify({
        session_id: sessionId,
        transcript_path: transcriptPath,
        cwd,
        hook_event_name: 'SessionEnd',
        reason: 'exit',
      }),
  };
}

export type EventSequence = [event: string, payload: string][];

export async function feed(
  frontEnd: FrontEnd,
  events: EventSequence,
  env: Record<string, string>,
  dist?: string,
) {
  const runs: HookRun[] = [];
  for (const [event, payload] of events) runs.push(await runHook(frontEnd, event, payload, env, { dist }));
  return runs;
}

export function spoolNames(state: string): string[] {
  try {
    return readdirSync(join(state, 'spool')).filter((n) => n.endsWith('.json') && n !== 'stats.json');
  } catch {
    return [];
  }
}

export function readJsonFiles(dir: string): Record<string, unknown>[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as Record<string, unknown>);
  } catch {
    return [];
  }
}

/**
 * The pid of the worker that holds the lock while it waits, asleep, for its sessions' next events
 * (src/worker/stay.ts): it is idle. Null when no worker holds the lock or the holder is at work.
 */
export function workerWaiting(stateDir: string): number | null {
  const paths = spoolPaths({ INFINIUM_CODEX_HOME: stateDir });
  const holder = lockHolder(paths.lock);
  try {
    return holder !== null && Number(readFileSync(paths.idle, 'utf8')) === holder ? holder : null;
  } catch {
    return null;
  }
}

/**
 * Waits until the detached worker has nothing left to do: no live worker holds the lock or has been asked
 * to run again (and, with `spool`, no spooled event waits). Checked twice in a row 150 ms apart: a worker
 * releases the lock for an instant between a pass and the rerun it was asked for, and a hook may start a
 * worker just after a check.
 */
export async function waitForWorkerIdle(
  stateDir: string,
  options: { timeoutMs?: number; spool?: boolean; explain?: () => string } = {},
): Promise<void> {
  const paths = spoolPaths({ INFINIUM_CODEX_HOME: stateDir });
  const busy = () =>
    (lockHeld(paths.lock) && !workerWaiting(stateDir)) ||
    existsSync(paths.rerun) ||
    (options.spool === true && spoolNames(stateDir).length > 0);
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (let quiet = 0; quiet < 2; ) {
    if (Date.now() > deadline) {
      throw new Error(
        `the worker was still busy after ${options.timeoutMs ?? 20_000} ms${options.explain?.() ?? ''}`,
      );
    }
    quiet = busy() ? 0 : quiet + 1;
    if (quiet < 2) await new Promise((r) => setTimeout(r, 150));
  }
}

export async function waitFor(check: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes the project's `.infinium/config.json` as the user's own: allowed, as `init` allows what it writes. */
export function writeProjectConfig(box: Sandbox, settings: Record<string, unknown>): void {
  const file = join(box.project, '.infinium', 'config.json');
  mkdirSync(join(box.project, '.infinium'), { recursive: true });
  writeFileSync(file, JSON.stringify(settings));
  recordDecision(file, 'allow', box.env);
}
