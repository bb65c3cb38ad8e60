// `infinium-codex doctor`: every way traces can silently vanish, each with its fix. `--fix` applies the
// safe ones: rewriting our hooks (current node and script paths, the capture mode's events) and their
// trust entries, and re-queuing dead traces once the credentials work again.
import { accessSync, constants, existsSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { foreignInOurBlock, hooksFeature, readConfigToml, type TomlTable } from '../codex/config-toml';
import { CodexFileError, type HandlerPaths } from '../codex/hooks-file';
import {
  eventsFor,
  hooksFileFor,
  type InstalledHook,
  type InstallResult,
  inspectHooks,
  inspectManagedHooks,
  installHooks,
  type Scope,
  userConfigToml,
} from '../codex/install';
import { nativeHookProblem } from '../codex/native-hook';
import { adminPolicy, bypassInManagedLayer, hookTrustBypass, systemHooksFile } from '../codex/system';
import {
  codexNeeds,
  type DetectedCodex,
  detectCodex,
  judgeHooksFeature,
  tooOldProblem,
  UPGRADE_COMMAND,
} from '../codex/version';
import { ALLOW_COMMAND } from '../config/consent';
import { loadSecret, probeKeyring } from '../config/credentials';
import { statePaths, tracingDisabled } from '../config/paths';
import { isPaused, pauseKeyFor } from '../config/pause';
import {
  ConfigError,
  ConsentNeededError,
  isLocalOnly,
  type ResolvedConfig,
  resolveConfig,
} from '../config/settings';
import { AgentCredentials, health } from '../infinium/client';
import { InfiniumError } from '../infinium/errors';
import {
  captureOrDefault,
  describeConfigSource,
  describeFrontEnds,
  describeSecretSource,
  hookTarget,
} from './agent';
import type { CliContext } from './context';
import { spoolFindings } from './doctor-spool';
import { ExitCode } from './errors';
import type { Finding } from './finding';
import { count } from './output';
import { withProgress } from './progress';
import { projectTrusted } from './project-trust';

const CLOCK_SKEW_MS = 5 * 60_000;
const LOW_DISK_BYTES = 200 * 1024 * 1024;

interface Probe {
  codex: DetectedCodex;
  config: ResolvedConfig | null;
  configError: string | null;
  /** The project file that waits for the user's consent (its turns are kept meanwhile). */
  consentNeeded: ConsentNeededError | null;
  /**
   * Where our hooks are: the user file, else the project's if only it has them, else the managed layer
   * (`init --system`) if only it has them.
   */
  scope: Scope | 'system';
  hooksFile: string;
  hooks: InstalledHook[];
  hooksError: string | null;
  /** Ours are in the managed layer too, besides the user's or the project's file. */
  managedToo: boolean;
  toml: TomlTable;
}

function probeHooks(
  ctx: CliContext,
): Pick<Probe, 'scope' | 'hooksFile' | 'hooks' | 'hooksError' | 'managedToo'> {
  const user = hooksFileFor('user', ctx.cwd, ctx.env);
  const project = hooksFileFor('project', pauseKeyFor(ctx.cwd), ctx.env);
  try {
    const managed = inspectManagedHooks(ctx.env);
    const managedToo = managed.length > 0;
    const inUser = inspectHooks(user, ctx.env);
    if (inUser.length > 0)
      return { scope: 'user', hooksFile: user, hooks: inUser, hooksError: null, managedToo };
    const inProject = existsSync(project) ? inspectHooks(project, ctx.env) : [];
    if (inProject.length > 0)
      return { scope: 'project', hooksFile: project, hooks: inProject, hooksError: null, managedToo };
    return managedToo
      ? {
          scope: 'system',
          hooksFile: systemHooksFile(ctx.env),
          hooks: managed,
          hooksError: null,
          managedToo: false,
        }
      : { scope: 'user', hooksFile: user, hooks: [], hooksError: null, managedToo };
  } catch (error) {
    if (error instanceof CodexFileError)
      return { scope: 'user', hooksFile: user, hooks: [], hooksError: error.message, managedToo: false };
    throw error;
  }
}

function codexFindings(probe: Probe): Finding[] {
  const { codex } = probe;
  if (!codex.found) {
    return [
      {
        check: 'codex',
        status: 'fail',
        summary: `${codex.detail}, so nothing can run our hooks from this shell`,
        fix: 'Install Codex (npm i -g @openai/codex), or put it on PATH.',
      },
    ];
  }
  if (codex.version && !codexNeeds(codex.version).supported) {
    return [
      {
        check: 'codex',
        status: 'fail',
        summary: tooOldProblem(codex.version),
        fix: `Update it with \`${UPGRADE_COMMAND}\`.`,
      },
    ];
  }
  return [{ check: 'codex', status: 'ok', summary: codex.detail }];
}

function featureFindings(probe: Probe, ctx: CliContext): Finding[] {
  const findings: Finding[] = [];
  const admin = adminPolicy(ctx.env);
  if (admin.hooksDisabled) {
    findings.push({
      check: 'hooks-enabled',
      status: 'fail',
      summary: `an administrator turned Codex hooks off in ${admin.hooksDisabled}`,
      fix: 'Ask your administrator to allow hooks, or install ours in the managed layer (`sudo infinium-codex init --system`).',
    });
  }
  if (admin.managedHooksOnly && probe.hooks.length > 0 && probe.scope !== 'system') {
    findings.push({
      check: 'hooks-enabled',
      status: 'fail',
      summary: 'an administrator allows only managed hooks, so Codex ignores ours in your own hooks.json',
      fix: 'Ask your administrator to run `infinium-codex init --system`.',
    });
  }
  const verdict = judgeHooksFeature(probe.codex.version, hooksFeature(probe.toml));
  if (!verdict.on) {
    findings.push({
      check: 'hooks-enabled',
      status: 'fail',
      summary: verdict.offBy
        ? `hooks are turned off in ${userConfigToml(ctx.env)} ([features] ${verdict.offBy} = false)`
        : verdict.reason,
      ...(verdict.fixable
        ? { fix: 'Run `infinium-codex doctor --fix` (or update Codex).', repair: 'hooks' as const }
        : { fix: 'Remove that line (or set it to true).' }),
    });
  }
  if (findings.length === 0) findings.push({ check: 'hooks-enabled', status: 'ok', summary: verdict.reason });
  const bypass = hookTrustBypass(probe.toml) ? userConfigToml(ctx.env) : bypassInManagedLayer(ctx.env);
  if (bypass) {
    findings.push({
      check: 'hook-trust',
      status: 'warn',
      summary: `bypass_hook_trust = true in ${bypass}: Codex runs every hook without review, a cloned project's included`,
      fix: 'Remove that line: our hooks are trusted one by one (`infinium-codex doctor --fix`) and need no bypass.',
    });
  }
  return findings;
}

function hookFindings(probe: Probe, ctx: CliContext): Finding[] {
  if (probe.hooksError) return [{ check: 'hooks', status: 'fail', summary: probe.hooksError }];
  const capture = captureOrDefault(ctx.env);
  const needs = codexNeeds(probe.codex.version);
  if (probe.hooks.length === 0) {
    return [
      {
        check: 'hooks',
        status: 'fail',
        summary: `none of our hooks are in ${probe.hooksFile}`,
        fix: 'Run `infinium-codex doctor --fix` (or `infinium-codex init`).',
        repair: 'hooks',
      },
    ];
  }
  const findings: Finding[] = [];
  // The managed layer is root's: only `init --system` rewrites it, never `doctor --fix`.
  const rewrite = (fix: string): Pick<Finding, 'fix' | 'repair'> =>
    probe.scope === 'system'
      ? { fix: 'Run `sudo infinium-codex init --system` again to rewrite the managed hooks.' }
      : { fix, repair: 'hooks' };
  const present = new Set(probe.hooks.map((hook) => hook.event));
  const missing = eventsFor(capture, needs).filter((event) => !present.has(event));
  if (missing.length > 0) {
    findings.push({
      check: 'hooks',
      status: 'fail',
      summary: `our ${missing.join(', ')} hook(s) are missing from ${probe.hooksFile} (capture mode ${capture})`,
      ...rewrite('Run `infinium-codex doctor --fix`.'),
    });
  }
  const broken = process.platform === 'win32' ? null : brokenFrontEnd(probe.hooks, ctx);
  if (broken) {
    findings.push({
      check: 'hook-paths',
      status: 'fail',
      summary: broken,
      ...rewrite(
        'Run `infinium-codex doctor --fix` (or `infinium-codex init` again) to point them at this installation.',
      ),
    });
  }
  const unguarded = probe.hooks.filter((hook) => hook.paths && !hook.paths.guarded).length;
  if (!broken && unguarded > 0) {
    findings.push({
      check: 'hook-paths',
      status: 'warn',
      summary: `${unguarded} of our hooks run their program unguarded (an older form): if the package is removed without \`infinium-codex uninstall\`, Codex reports a failure on every event`,
      ...rewrite('Run `infinium-codex doctor --fix` to rewrite them in place (and trust them again).'),
    });
  }
  if (needs.trust) {
    const untrusted = probe.hooks.filter((hook) => hook.trust === 'untrusted' || hook.trust === 'modified');
    if (untrusted.length > 0) {
      const modified = untrusted.some((hook) => hook.trust === 'modified');
      findings.push({
        check: 'trust',
        status: 'fail',
        summary: `Codex skips ${untrusted.length} of our hooks silently: ${modified ? 'their trust entries no longer match (hooks changed or moved)' : 'they are not trusted'}`,
        fix: 'Run `infinium-codex doctor --fix` to trust them, or approve them in Codex with /hooks.',
        repair: 'hooks',
      });
    }
    const disabled = probe.hooks.filter((hook) => hook.trust === 'disabled');
    if (disabled.length > 0) {
      findings.push({
        check: 'trust',
        status: 'fail',
        summary: `${disabled.map((hook) => hook.event).join(', ')} hook(s) of ours are disabled in Codex`,
        fix: 'Enable them again in Codex with /hooks.',
      });
    }
  }
  if (probe.managedToo) {
    findings.push({
      check: 'hooks',
      status: 'warn',
      summary: `our hooks are in ${probe.hooksFile} and in the managed layer (${systemHooksFile(ctx.env)}): Codex runs both, so every event costs two hook runs`,
      fix: 'Remove your own copy with `infinium-codex uninstall` (the managed hooks keep tracing).',
    });
  }
  if (probe.scope === 'project') {
    const root = pauseKeyFor(ctx.cwd);
    if (!projectTrusted(probe.toml, root)) {
      findings.push({
        check: 'project-trust',
        status: 'fail',
        summary: `Codex runs project hooks only in trusted projects, and ${root} is not trusted`,
        fix: `Run \`codex\` in ${root} once and trust the folder.`,
      });
    }
  }
  if (findings.length === 0) {
    findings.push({
      check: 'hooks',
      status: 'ok',
      summary: `${probe.hooks.length} hooks (${capture}, ${describeFrontEnds(probe.hooks, ctx)}) in ${probe.hooksFile}${probe.scope === 'system' ? ' (managed: no trust needed)' : needs.trust ? ', all trusted' : ''}`,
    });
  }
  return findings;
}

/** Codex writes new tables before a document's trailing comment, i.e. inside our marked block. */
function blockFindings(probe: Probe, ctx: CliContext): Finding[] {
  const file = userConfigToml(ctx.env);
  let foreign: string[];
  try {
    const { text } = readConfigToml(file);
    foreign =
      text === null
        ? []
        : foreignInOurBlock(
            text,
            probe.hooks.map((hook) => hook.key),
            file,
          );
  } catch (error) {
    if (error instanceof CodexFileError) return [];
    throw error;
  }
  if (foreign.length === 0) return [];
  return [
    {
      check: 'config-toml',
      status: 'warn',
      summary: `${file} has ${foreign.join(', ')} inside the infinium-codex block (Codex adds new tables there); it is not ours and is kept`,
      ...(probe.scope === 'system'
        ? { fix: 'Move it above the `# >>> infinium-codex` line.' }
        : {
            fix: 'Run `infinium-codex doctor --fix` to move it out of the block.',
            repair: 'hooks' as const,
          }),
    },
  ];
}

/**
 * What is wrong with what our hooks run, for the first hook it is wrong for, or null: the front-end program
 * (hook.sh or the native one), node or dist/ is gone, or the native front-end fails its self-test (see
 * nativeHookProblem; run once per program).
 */
function brokenFrontEnd(hooks: InstalledHook[], ctx: CliContext): string | null {
  const seen = new Map<string, string | null>();
  for (const { paths } of hooks) {
    if (!paths) continue;
    const key = JSON.stringify(paths);
    if (!seen.has(key)) seen.set(key, frontEndProblem(paths, ctx));
    const problem = seen.get(key);
    if (problem) return problem;
  }
  return null;
}

function frontEndProblem(paths: HandlerPaths, ctx: CliContext): string | null {
  const runs = `our hooks run ${paths.program} with ${paths.node}`;
  if (!executable(paths.program))
    return `${runs}, and that ${paths.frontEnd === 'sh' ? 'script' : 'program'} is gone (moved or reinstalled package?)`;
  if (!executable(paths.node)) return `${runs}, and that node is gone (moved node?)`;
  if (paths.frontEnd === 'sh') return null;
  if (!existsSync(join(paths.distDir, 'worker.mjs')))
    return `${runs} for ${paths.distDir}, and that folder is gone (moved or reinstalled package?)`;
  const problem = nativeHookProblem(paths.program, { distDir: paths.distDir, nodePath: paths.node }, ctx.env);
  return problem ? `our hooks run the native front-end ${paths.program}, and ${problem}` : null;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function credentialFindings(probe: Probe, ctx: CliContext): Promise<Finding[]> {
  if (probe.consentNeeded) {
    const { file, keys } = probe.consentNeeded;
    return [
      {
        check: 'config',
        status: 'fail',
        summary: `${file} sets ${keys.map((key) => `"${key}"`).join(', ')}, which you have not allowed on this machine; turns in this project are kept, not sent, until you decide`,
        fix: `Read ${file}, then run \`${ALLOW_COMMAND}\` in ${dirname(dirname(file))} to use it, or \`infinium-codex deny\` there to trace under your own settings.`,
      },
    ];
  }
  if (probe.configError) return [{ check: 'config', status: 'fail', summary: probe.configError }];
  if (tracingDisabled(ctx.env)) {
    return [
      {
        check: 'config',
        status: 'warn',
        summary: 'INFINIUM_CODEX_DISABLED is set: nothing is traced in this shell',
      },
    ];
  }
  const config = probe.config;
  if (!config) {
    return [
      {
        check: 'config',
        status: 'fail',
        summary: `no agent is configured for ${ctx.cwd}, so its sessions are not traced`,
        fix: 'Run `infinium-codex init` in the project folder.',
      },
    ];
  }
  if (isLocalOnly(config)) {
    return [
      {
        check: 'config',
        status: 'ok',
        summary: 'local only (`init --local`): turns are kept in local history and sent nowhere',
      },
    ];
  }
  const findings: Finding[] = [
    {
      check: 'config',
      status: 'ok',
      summary: `agent ${config.agentId} at ${config.baseUrl} (${describeConfigSource(config, ctx.env)})`,
    },
  ];
  for (const note of config.projectNotes?.notes ?? []) {
    findings.push({
      check: 'config',
      status: 'warn',
      summary: `${config.projectNotes?.file}: ${note}`,
      fix: 'Name the agent in that file too (and run `infinium-codex allow`), or remove the key.',
    });
  }
  if (isPaused(config.projectRoot ?? ctx.cwd, ctx.env)) {
    findings.push({
      check: 'paused',
      status: 'warn',
      summary: 'tracing is paused here',
      fix: 'Run `infinium-codex resume`.',
    });
  }
  const keyring = await probeKeyring(config.agentId, config.baseUrl, { env: ctx.env });
  const secret = await loadSecret(config.agentId, config.baseUrl, { env: ctx.env });
  if (keyring.state === 'timeout') {
    findings.push({
      check: 'keyring',
      status: secret ? 'warn' : 'fail',
      summary: 'the OS keyring did not answer in time (locked?); the worker cannot wait for an unlock prompt',
      fix: 'Unlock the keyring, or store the secret in the fallback file: `infinium-codex update-credentials --no-keyring --agent-secret-stdin`.',
    });
  }
  if (!secret) {
    findings.push({
      check: 'secret',
      status: 'fail',
      summary: `no secret is stored for agent ${config.agentId}`,
      fix: 'Run `infinium-codex update-credentials --agent-secret-stdin`.',
    });
    return findings;
  }
  findings.push({
    check: 'secret',
    status: 'ok',
    summary: `in ${describeSecretSource(secret.source, ctx.env)}`,
  });
  const agent = new AgentCredentials(config.agentId, secret.secret, config.baseUrl);
  try {
    const answer = await withProgress(
      { stream: ctx.progress, enabled: !ctx.machineOutput },
      'Asking Infinium',
      () => health(agent, { timeoutMs: 15_000 }),
    );
    findings.push({ check: 'api', status: 'ok', summary: `Infinium answered (${answer.status})` });
    const skew = answer.timestamp ? Date.now() - Date.parse(answer.timestamp) : 0;
    findings.push(
      Math.abs(skew) > CLOCK_SKEW_MS
        ? {
            check: 'clock',
            status: 'warn',
            summary: `this machine's clock is ${Math.round(Math.abs(skew) / 60_000)} min ${skew > 0 ? 'ahead of' : 'behind'} Infinium's: trace times will be off`,
            fix: 'Turn on time synchronisation (NTP).',
          }
        : { check: 'clock', status: 'ok', summary: 'in step with Infinium' },
    );
  } catch (error) {
    if (!(error instanceof InfiniumError)) throw error;
    const proxy = ctx.env.HTTPS_PROXY || ctx.env.https_proxy || ctx.env.HTTP_PROXY || ctx.env.http_proxy;
    findings.push({
      check: 'api',
      status: 'fail',
      summary: error.message,
      fix:
        error.kind === 'network' || error.kind === 'timeout'
          ? proxy
            ? `Check the proxy (${proxy}) and NO_PROXY, and the base URL.`
            : 'Check your network and the base URL; behind a proxy, set HTTPS_PROXY (and NO_PROXY).'
          : error.hint,
    });
  }
  return findings;
}

function diskFindings(ctx: CliContext): Finding[] {
  const root = statePaths(ctx.env).root;
  try {
    const stats = statfsSync(existsSync(root) ? root : ctx.cwd);
    const free = stats.bavail * stats.bsize;
    return free < LOW_DISK_BYTES
      ? [
          {
            check: 'disk',
            status: 'warn',
            summary: `only ${Math.round(free / 1024 / 1024)} MB free where traces are queued (${root})`,
            fix: 'Free some disk space.',
          },
        ]
      : [{ check: 'disk', status: 'ok', summary: `${Math.round(free / 1024 / 1024 / 1024)} GB free` }];
  } catch {
    return [];
  }
}

async function probe(ctx: CliContext): Promise<Probe> {
  let config: ResolvedConfig | null = null;
  let configError: string | null = null;
  let consentNeeded: ConsentNeededError | null = null;
  try {
    config = resolveConfig(ctx.cwd, ctx.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    configError = error.message;
    if (error instanceof ConsentNeededError) consentNeeded = error;
  }
  let toml: TomlTable = {};
  try {
    toml = readConfigToml(userConfigToml(ctx.env)).parsed;
  } catch (error) {
    if (!(error instanceof CodexFileError)) throw error;
    configError ??= error.message;
  }
  return { codex: await detectCodex(ctx.env), config, configError, consentNeeded, toml, ...probeHooks(ctx) };
}

export async function runChecks(ctx: CliContext): Promise<{ probe: Probe; findings: Finding[] }> {
  const found = await probe(ctx);
  const findings = [
    ...codexFindings(found),
    ...featureFindings(found, ctx),
    ...hookFindings(found, ctx),
    ...blockFindings(found, ctx),
    ...(await credentialFindings(found, ctx)),
    ...spoolFindings(ctx),
    ...diskFindings(ctx),
  ];
  return { probe: found, findings };
}

export interface DoctorOptions {
  fix?: boolean;
  json?: boolean;
}

/**
 * What a hooks repair changed, in the words for it ("installed" where none of ours were there, "rewrote"
 * where they were), and nothing when both files were already as they should be.
 */
function describeHookRepair(result: InstallResult, found: Probe, capture: string): string[] {
  if (!result.hooksChanged && !result.configChanged) return [];
  const turnedOn =
    result.configChanged && codexNeeds(found.codex.version).featureFlag
      ? ` and turned hooks on in ${result.configToml} ([features] codex_hooks = true)`
      : '';
  const trusted =
    result.configChanged && result.trusted.length > 0 ? ` and trusted them in ${result.configToml}` : '';
  if (result.hooksChanged) {
    const verb = found.hooks.length === 0 ? 'installed' : 'rewrote';
    return [`${verb} our ${capture} hooks in ${result.hooksFile}${trusted}${turnedOn}`];
  }
  // Only config.toml changed: trust entries written again, or tables moved out of our block (said below).
  if (trusted && found.hooks.some((hook) => hook.trust !== 'trusted' && hook.trust !== 'managed'))
    return [`trusted our ${capture} hooks in ${result.configToml}${turnedOn}`];
  return turnedOn ? [`turned hooks on in ${result.configToml} ([features] codex_hooks = true)`] : [];
}

async function repair(findings: Finding[], found: Probe, ctx: CliContext): Promise<string[]> {
  const done: string[] = [];
  const hooksBroken = findings.some((f) => f.repair === 'hooks' && f.status !== 'ok');
  if (hooksBroken && found.scope === 'system') {
    done.push('not rewriting the managed hooks: run `sudo infinium-codex init --system` for that');
  } else if (hooksBroken && found.scope !== 'system') {
    const capture = captureOrDefault(ctx.env);
    try {
      const result = installHooks({
        scope: found.scope,
        projectDir: pauseKeyFor(ctx.cwd),
        capture,
        target: hookTarget(ctx),
        trust: true,
        codexVersion: found.codex.version,
        env: ctx.env,
      });
      done.push(...describeHookRepair(result, found, capture));
      if (result.movedOutOfBlock.length > 0) {
        done.push(
          `moved ${result.movedOutOfBlock.join(', ')} out of the infinium-codex block (kept as it was)`,
        );
      }
      if (result.movedUserHooks.length > 0) {
        done.push(
          `(your own hooks ${result.movedUserHooks.join(', ')} moved up a place: approve them again in Codex with /hooks)`,
        );
      }
    } catch (error) {
      if (!(error instanceof CodexFileError)) throw error;
      done.push(`nothing in the hooks: ${error.message}`);
    }
  }
  if (
    findings.some((f) => f.repair === 'dead') &&
    !findings.some((f) => f.check === 'api' && f.status === 'fail')
  ) {
    const { recoverOutbox } = await import('../worker/deliver');
    const recovery = await recoverOutbox(ctx.env, { dead: true });
    if (!recovery)
      done.push('not re-queuing the dead traces: a worker is busy; run `infinium-codex retry --dead` later');
    else {
      const { retargetedTraces } = await import('./retry');
      done.push(
        `re-queued ${count(recovery.requeued, 'dead trace')}; they are sent on the next worker run or \`infinium-codex retry\``,
        ...recovery.retargeted.map((move) => `re-targeted ${retargetedTraces(move)}`),
      );
    }
  }
  return done;
}

/** "No problems found.", "No problems; 2 warnings.", "1 problem and 1 warning found." */
function doctorSummary(failed: number, warned: number): string {
  if (failed === 0) return warned === 0 ? 'No problems found.' : `No problems; ${count(warned, 'warning')}.`;
  return `${count(failed, 'problem')}${warned > 0 ? ` and ${count(warned, 'warning')}` : ''} found.`;
}

/**
 * The checks whose failure means Codex would run no hook of ours from here (Codex missing or too old, hooks
 * off, ours missing, broken or untrusted): `test` fails on them, so it is never green while turns would go
 * untraced.
 */
export async function hookReadiness(ctx: CliContext): Promise<Finding[]> {
  const found = await probe(ctx);
  return [...codexFindings(found), ...featureFindings(found, ctx), ...hookFindings(found, ctx)].filter(
    (finding) => finding.status === 'fail',
  );
}

export async function doctor(options: DoctorOptions, baseCtx: CliContext): Promise<void> {
  const ctx: CliContext = { ...baseCtx, machineOutput: options.json === true };
  const { out } = ctx;
  let { probe: found, findings } = await runChecks(ctx);
  let fixed: string[] = [];
  if (options.fix) {
    fixed = await repair(findings, found, ctx);
    if (fixed.length > 0) ({ probe: found, findings } = await runChecks(ctx));
  }
  const failed = findings.filter((f) => f.status === 'fail').length;
  if (options.json) out.json({ ok: failed === 0, fixed, findings });
  else {
    for (const action of fixed) out.line(`${out.green('✓')} Fixed: ${action}`);
    for (const finding of findings) {
      const mark =
        finding.status === 'ok' ? out.green('✓') : finding.status === 'warn' ? out.yellow('!') : out.red('✗');
      out.line(`${mark} ${finding.check}: ${finding.summary}`);
      if (finding.status !== 'ok' && finding.fix) out.line(`    fix: ${finding.fix}`);
    }
    out.line(doctorSummary(failed, findings.filter((f) => f.status === 'warn').length));
  }
  if (failed > 0) throw new ExitCode(1);
}
