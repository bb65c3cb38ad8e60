// Runs the real Codex CLI offline, against the scripted model server, in temp HOME / CODEX_HOME / project
// directories. Which Codex: E2E_CODEX_VERSION (installed into .e2e-cache by the e2e global setup), else
// E2E_CODEX_BIN, else the pinned version. Whatever runs, what the tests expect of it comes from the binary
// itself (`codex --version`) and the per-version facts below (codex-matrix case).

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { codexBin, PINNED_CODEX_VERSION } from '../../../scripts/e2e-install-codex.mjs';
import { compareVersions, formatVersion, parseVersion, type Version } from '../../../src/codex/version';
import { collectOutput } from '../../support/child-output';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/** The Codex binary under test. */
export function codexBinary(): string {
  if (process.env.E2E_CODEX_VERSION) return codexBin(process.env.E2E_CODEX_VERSION);
  return process.env.E2E_CODEX_BIN ?? codexBin(PINNED_CODEX_VERSION);
}

export function codexInstalled(): boolean {
  return existsSync(codexBinary());
}

let probed: Version | undefined;

/** The version of the binary under test, from its own `codex --version` (asked once). */
export function codexVersion(): Version {
  if (probed) return probed;
  const run = spawnSync(codexBinary(), ['--version'], { encoding: 'utf8', timeout: 20_000 });
  const version = parseVersion(run.stdout ?? '');
  if (!version)
    throw new Error(`\`${codexBinary()} --version\` printed no version: ${run.stdout}${run.stderr}`);
  probed = version;
  return version;
}

/** `codex --version` of the binary under test as our traces report it (`environment.codex_version`). */
export function codexVersionText(): string {
  return formatVersion(codexVersion());
}

/**
 * Codex features the scenarios depend on, with the first version that has each (embedded hook schemas and
 * the matrix runs of the codex-matrix case; docs/compatibility.md has the table).
 */
export const CODEX_FEATURES = {
  /** SessionEnd: a session's end starts the worker even when no Stop came (an interrupted `codex exec`). */
  sessionEnd: '0.145.0',
  /** MCP tools and the multi_agent_v1 tools deferred behind tool_search, which the scripts use. */
  toolSearch: '0.145.0',
  /** The model catalog knows gpt-5.5 (before, an unknown slug gets no apply_patch tool). */
  gpt55: '0.129.0',
} as const;

export function codexHas(feature: keyof typeof CODEX_FEATURES): boolean {
  return compareVersions(codexVersion(), parseVersion(CODEX_FEATURES[feature]) as Version) >= 0;
}

/**
 * Why a scenario cannot run on the Codex under test ('' when it can): for `it.skipIf`-style use with the
 * reason in the test name or the skip message.
 */
export function needsCodex(feature: keyof typeof CODEX_FEATURES, what: string): string {
  return codexHas(feature)
    ? ''
    : `${what} needs Codex ${CODEX_FEATURES[feature]} or later; this is ${codexVersionText()}`;
}

/**
 * How the Codex under test offers MCP tools (see mcpCall in turns.ts), or null for the untested
 * 0.130-0.144 range.
 */
export function mcpStyle(): 'deferred' | 'namespaced' | 'direct' | null {
  const at = (version: string) => compareVersions(codexVersion(), parseVersion(version) as Version) >= 0;
  if (at(CODEX_FEATURES.toolSearch)) return 'deferred';
  if (at('0.130.0')) return null;
  return at('0.124.0') ? 'namespaced' : 'direct';
}

/** The model slug the scripted model answers as: one the Codex under test knows (codex-matrix H3). */
export function scriptedModel(): string {
  return codexHas('gpt55') ? 'gpt-5.5' : 'gpt-5.4';
}

/**
 * How `codex exec` exits after SIGINT: 1 on every supported version (0.117+). Codex 0.114 exited 0
 * (codex-matrix H5), below our floor.
 */
export const INTERRUPT_EXIT_CODE = 1;

export interface Sandbox {
  root: string;
  home: string;
  codexHome: string;
  project: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
}

export interface SandboxOptions {
  modelUrl: string;
  /** Extra root-level TOML lines for config.toml (placed before any table). */
  rootConfig?: string[];
  /** Extra TOML tables appended to config.toml. */
  tables?: string;
}

/**
 * A fresh HOME, CODEX_HOME (canonical path: Codex resolves symlinks before keying trust entries), project
 * dir and Infinium state dir. Nothing of the real user's is visible to Codex or to our hooks.
 */
export function makeSandbox(options: SandboxOptions): Sandbox {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'icx-e2e-')));
  const home = join(root, 'home');
  const codexHome = join(home, '.codex');
  const project = join(home, 'project');
  const stateDir = join(home, '.infinium-codex');
  for (const dir of [codexHome, project]) mkdirSync(dir, { recursive: true });
  writeCodexConfig(codexHome, options);
  const env: NodeJS.ProcessEnv = {
    // Codex on PATH, as for a user: `init`, `status` and `doctor` look for it there.
    PATH: `${dirname(codexBinary())}${delimiter}${process.env.PATH ?? ''}`,
    HOME: home,
    USER: process.env.USER ?? 'dev',
    SHELL: '/bin/sh',
    LANG: 'C.UTF-8',
    TZ: 'UTC',
    TMPDIR: root,
    CODEX_HOME: codexHome,
    INFINIUM_CODEX_HOME: stateDir,
    // No worker lingers after a scenario to poll Maestro's evaluations or for the session's next event
    // (the tests of each, and the benches, turn it on).
    INFINIUM_CODEX_EVALUATION_WAIT_SECONDS: '0',
    INFINIUM_CODEX_WORKER_IDLE_SECONDS: '0',
    FAKE_OPENAI_KEY: 'sk-fake-model-key',
    NO_COLOR: '1',
    RUST_LOG: 'error',
  };
  if (process.env.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
  return { root, home, codexHome, project, stateDir, env };
}

export function writeCodexConfig(codexHome: string, options: SandboxOptions): void {
  const lines = [
    `model = "${scriptedModel()}"`,
    'model_provider = "fake"',
    'approval_policy = "never"',
    'sandbox_mode = "danger-full-access"',
    ...(options.rootConfig ?? []),
    '',
    '[model_providers.fake]',
    'name = "local"',
    `base_url = "${options.modelUrl}"`,
    'wire_api = "responses"',
    'env_key = "FAKE_OPENAI_KEY"',
    'request_max_retries = 0',
    'stream_max_retries = 0',
    '',
    options.tables ?? '',
  ];
  writeFileSync(join(codexHome, 'config.toml'), `${lines.join('\n')}\n`);
}

export interface CodexRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

export interface RunOptions {
  sandbox: Sandbox;
  cwd?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Called once the child is running, e.g. to send it SIGINT at the right moment. */
  onSpawn?: (child: ChildProcess) => void;
  timeoutMs?: number;
}

/** `codex exec` (or `codex exec resume --last` with resume) with one prompt; stdin is /dev/null. */
export function codexExec(prompt: string, options: RunOptions & { resume?: boolean }): Promise<CodexRun> {
  const args = ['exec'];
  if (options.resume) args.push('resume', '--last');
  args.push('--skip-git-repo-check', '--json', ...(options.extraArgs ?? []), prompt);
  return runCodex(args, options);
}

export function runCodex(args: string[], options: RunOptions): Promise<CodexRun> {
  const started = performance.now();
  const child = spawn(codexBinary(), args, {
    cwd: options.cwd ?? options.sandbox.project,
    env: { ...options.sandbox.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  options.onSpawn?.(child);
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`codex ${args.join(' ')} timed out after ${timeoutMs} ms\n${output.stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, ...output, wallMs: performance.now() - started });
    });
  });
}

/**
 * Sends SIGINT to `codex exec --json` shortly after it reports a command execution started, as a user
 * pressing Ctrl-C mid-command would (the delay lets the command really run first).
 */
export function interruptOnceCommandRuns(child: ChildProcess, delayMs = 300): void {
  let seen = '';
  const watch = (chunk: Buffer) => {
    seen += chunk.toString('utf8');
    if (/"type":"item\.started".*"type":"command_execution"/.test(seen)) {
      child.stdout?.off('data', watch);
      setTimeout(() => child.kill('SIGINT'), delayMs);
    }
  };
  child.stdout?.on('data', watch);
}
