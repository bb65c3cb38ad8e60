// Our connector inside an e2e sandbox: installed by our own `infinium-codex init --yes ...` exactly as a
// user would run it, then driven through Codex's real hooks. Also the CLI commands scenarios use (pause,
// resume, retry) and the waits for the detached worker.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, waitForWorkerIdle as waitForIdle } from '../../support/capture-harness';
import { collectOutput } from '../../support/child-output';
import type { StandIn } from '../../support/infinium-stand-in';
import { REPO_ROOT, type Sandbox } from './codex';

export const BIN = join(REPO_ROOT, 'dist', 'bin.cjs');

export type CaptureMode = 'lean' | 'full';

export interface Agent {
  id: string;
  secret: string;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `infinium-codex <args>` as the sandbox's user, in `cwd` (default: the sandbox project). Asynchronous:
 * the stand-in Infinium it talks to lives in this very process and must keep answering meanwhile.
 */
export function cli(
  sandbox: Sandbox,
  args: string[],
  options: { cwd?: string; input?: string; bin?: string } = {},
): Promise<CliRun> {
  const child = spawn(process.execPath, [options.bin ?? BIN, ...args], {
    cwd: options.cwd ?? sandbox.project,
    env: sandbox.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, ...output });
    });
  });
}

async function mustSucceed(what: string, pending: Promise<CliRun>): Promise<CliRun> {
  const run = await pending;
  if (run.code !== 0) {
    throw new Error(`${what} exited ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
  return run;
}

export interface InitOptions {
  agent: Agent;
  standIn: StandIn;
  capture: CaptureMode;
  /** The project folder to configure (default: the sandbox project). */
  project?: string;
  /** `init --front-end`: which hook front-end our hooks run (default: init's own choice). */
  frontEnd?: 'native' | 'sh';
  /** The bin.cjs to run init with (default: the checkout's); its package is what the hooks run. */
  bin?: string;
}

/**
 * `infinium-codex init --yes` for one project: project config, secret (the fallback file: the sandbox has
 * no D-Bus), our hooks in $CODEX_HOME/hooks.json and their trust entries in config.toml. The secret goes
 * through stdin, as the docs recommend, so it never sits in a process list.
 */
export function init(sandbox: Sandbox, options: InitOptions): Promise<CliRun> {
  const project = options.project ?? sandbox.project;
  mkdirSync(project, { recursive: true });
  return mustSucceed(
    'infinium-codex init',
    cli(
      sandbox,
      [
        'init',
        '--yes',
        '--agent-id',
        options.agent.id,
        '--agent-secret-stdin',
        '--base-url',
        options.standIn.url,
        '--capture',
        options.capture,
        '--trust',
        '--no-keyring',
        '--no-gitignore',
        ...(options.frontEnd ? ['--front-end', options.frontEnd] : []),
      ],
      { cwd: project, input: options.agent.secret, bin: options.bin },
    ),
  );
}

export function pause(sandbox: Sandbox, cwd?: string): Promise<CliRun> {
  return mustSucceed('infinium-codex pause', cli(sandbox, ['pause'], { cwd }));
}

export function resume(sandbox: Sandbox, cwd?: string): Promise<CliRun> {
  return mustSucceed('infinium-codex resume', cli(sandbox, ['resume'], { cwd }));
}

export function retry(sandbox: Sandbox): Promise<CliRun> {
  return mustSucceed('infinium-codex retry', cli(sandbox, ['retry']));
}

/** Waits until the detached worker has nothing left to do, no spooled event waiting either. */
export function waitForWorkerIdle(sandbox: Sandbox, timeoutMs = 20_000): Promise<void> {
  return waitForIdle(sandbox.stateDir, { timeoutMs, spool: true, explain: () => `:\n${workerLog(sandbox)}` });
}

/** Waits until the stand-in holds `count` traces (more would be a duplicate, which the caller asserts). */
export async function waitForTraces(standIn: StandIn, count: number, sandbox: Sandbox, timeoutMs = 20_000) {
  await waitFor(() => standIn.traces.length >= count, timeoutMs, `${count} trace(s)`).catch(() => {
    throw new Error(
      `expected ${count} trace(s), the stand-in got ${standIn.traces.length} in ${timeoutMs} ms\n${workerLog(sandbox)}`,
    );
  });
  await waitForWorkerIdle(sandbox);
  return standIn.traces;
}

export function workerLog(sandbox: Sandbox): string {
  const logs = join(sandbox.stateDir, 'logs');
  return listFiles(logs, false)
    .map((name) => `--- ${name}\n${readFileSync(join(logs, name), 'utf8').slice(-4000)}`)
    .join('\n');
}

/** Every file under `dir` (relative names), recursively when asked. */
export function listFiles(dir: string, recursive = true): string[] {
  if (!existsSync(dir)) return [];
  const names: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (recursive) names.push(...listFiles(join(dir, entry.name)).map((name) => `${entry.name}/${name}`));
    } else {
      names.push(entry.name);
    }
  }
  return names;
}

/** The text of every file under `dir`, for leak checks. */
export function readAllFiles(dir: string): { path: string; text: string }[] {
  return listFiles(dir)
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, text: readFileSync(path, 'latin1') }));
}
