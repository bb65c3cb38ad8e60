// `infinium-codex init`: the wizard (or its flags) for the project the current folder belongs to (the same
// rule as `status`), the credentials checked with Infinium's health endpoint as soon as they are given
// (no trace is sent), then: write the project config (or the user default agent), store the secret,
// install our hooks into Codex and, when the user agrees, trust them. Everything that can refuse (bad
// input, wrong credentials, a hooks.json or config.toml we will not edit) does so before anything is
// written.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import pkg from '../../../package.json';
import {
  folderSetting,
  type InstallRequest,
  type InstallResult,
  installHooks,
  manifestPath,
  planInstall,
  type Scope,
} from '../../codex/install';
import { codexNeeds, formatVersion } from '../../codex/version';
import { writeFileAtomic, writeRefusal } from '../../config/atomic-file';
import { consentFile, decisionFor, recordDecision } from '../../config/consent';
import { deleteSecret, loadSecret, secretAccount, storeSecret } from '../../config/credentials';
import { statePaths, withoutAgentSecret } from '../../config/paths';
import { pauseKeyFor } from '../../config/pause';
import {
  type CaptureMode,
  type ContentMode,
  checkBaseUrl,
  type Granularity,
  insecureHttpAllowed,
  PROJECT_CONFIG_DIR,
  readProjectFile,
  readSettings,
  type Settings,
} from '../../config/settings';
import { projectConfigFile, updateSettingsFile } from '../../config/settings-file';
import { Undo } from '../../config/undo';
import { trustedGit } from '../../git/program';
import { AgentCredentials, DEFAULT_BASE_URL, trimBaseUrl } from '../../infinium/client';
import { hookTarget } from '../agent';
import { CredentialsError, confirmAgent, verifyCredentials } from '../connection';
import type { CliContext } from '../context';
import { UserError } from '../errors';
import { secretStoredLine, warnMovedUserHooks } from '../notices';
import { withProgress } from '../progress';
import * as prompts from '../prompts';
import { cancelled, checkAgentId, promptSecret, secretFromFlags } from '../secret-input';
import { detectUsableCodex, frontEndSetting, type InitOptions } from './options';

interface Answers {
  agentId: string;
  secret: string;
  baseUrl: string;
  scope: Scope;
  allProjects: boolean;
  capture: CaptureMode;
  granularity: Granularity;
  contentMode: ContentMode;
  trust: boolean;
  gitignore: boolean;
}

async function choose<T extends string>(
  message: string,
  initialValue: T,
  choices: [value: T, label: string, hint?: string][],
): Promise<T> {
  const options = choices.map(([value, label, hint]) => ({ value, label, hint }) as prompts.Option<T>);
  return cancelled(await prompts.select<T>({ message, initialValue, options }));
}

/**
 * Whether to offer adding `.infinium/` to .gitignore: not when there is no git repository, when it is
 * already ignored, or when git tracks it (the team shares the agent through it: first-run N13).
 */
function gitignoreNeeded(projectDir: string): boolean {
  if (!existsSync(join(projectDir, '.git'))) return false;
  if (trackedByGit(projectDir, PROJECT_CONFIG_DIR)) return false;
  try {
    return !readFileSync(join(projectDir, '.gitignore'), 'utf8')
      .split('\n')
      .some((line) => ['.infinium', '.infinium/', '/.infinium', '/.infinium/'].includes(line.trim()));
  } catch {
    return true;
  }
}

/**
 * Whether git tracks anything under `path` in the project (read-only `git ls-files`; no hooks, pager or
 * config of the repository's runs), with the git the worker would trust (never one of the project's).
 * Unknown (no git, an error) counts as not tracked.
 */
function trackedByGit(projectDir: string, path: string): boolean {
  const git = trustedGit(projectDir);
  if (!git) return false;
  const listed = spawnSync(git.program, ['-C', projectDir, 'ls-files', '-z', '--', path], {
    encoding: 'utf8',
    timeout: 5_000,
    env: {
      ...withoutAgentSecret(process.env),
      PATH: git.path,
      GIT_OPTIONAL_LOCKS: '0',
      GIT_TERMINAL_PROMPT: '0',
    },
  });
  return listed.status === 0 && listed.stdout !== '';
}

/** `~/work/demo` for a folder under the home folder, else the path as it is. */
function tilde(path: string, home: string | undefined): string {
  return home && (path === home || path.startsWith(`${home}/`)) ? `~${path.slice(home.length)}` : path;
}

/** The connector's own package (a clone, or the installed package): never the project to set up. */
function isConnectorItself(dir: string): boolean {
  try {
    return (
      (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === pkg.name
    );
  } catch {
    return false;
  }
}

/** A stored secret for this agent (keyring or file, not the environment), or null. */
async function storedSecretFor(
  agentId: string,
  baseUrl: string,
  options: InitOptions,
  ctx: CliContext,
): Promise<string | null> {
  const stored = await loadSecret(agentId, baseUrl, { env: ctx.env, noKeyring: options.keyring === false });
  return stored && stored.source !== 'env' ? stored.secret : null;
}

/**
 * The wizard's first part: agent id, secret and base URL, checked with Infinium's health endpoint as soon
 * as they are given (first-run M3). On a refusal it says which value is wrong and asks for that one again;
 * on a network failure it offers to retry, to edit the URL, or to go on without the check.
 */
async function askCredentials(
  options: InitOptions,
  ctx: CliContext,
  defaults: Answers,
): Promise<{ agentId: string; secret: string; typedSecret: boolean; baseUrl: string }> {
  const askAgentId = async (initial: string) =>
    checkAgentId(
      cancelled(
        await prompts.text({
          message: 'Agent id (from the Infinium web app)',
          initialValue: initial,
          validate: (value) => (value?.trim() ? undefined : 'The agent id is required.'),
        }),
      ),
    );
  const askSecret = async (agentId: string) => {
    const stored = await storedSecretFor(agentId, options.baseUrl ?? defaults.baseUrl, options, ctx);
    const typed = await promptSecret(
      stored ? 'Agent secret (leave empty to keep the stored one)' : 'Agent secret',
      stored !== null,
    );
    return { secret: typed || (stored ?? ''), typedSecret: typed !== '' };
  };
  // First shown as a placeholder that Enter accepts and typing replaces; after a refusal, as text to edit.
  const askBaseUrl = async (initial: string, editing = false) =>
    cancelled(
      await prompts.text({
        message: 'Infinium base URL',
        ...(editing ? { initialValue: initial } : { placeholder: initial, defaultValue: initial }),
        validate: (value) => {
          try {
            checkBaseUrl(value?.trim() || initial, 'base URL', insecureHttpAllowed(ctx.env));
            return undefined;
          } catch (error) {
            return (error as Error).message;
          }
        },
      }),
    ).trim();

  let agentId = await askAgentId(options.agentId ?? defaults.agentId);
  const flagSecret = await secretFromFlags(options, ctx.env, ctx.stdin);
  let { secret, typedSecret } =
    flagSecret !== undefined ? { secret: flagSecret, typedSecret: true } : await askSecret(agentId);
  const firstUrl = options.baseUrl ?? defaults.baseUrl;
  let baseUrl = await askBaseUrl(firstUrl);
  // A stored secret is bound to the origin it was entered for: the user kept it here for another one, so it
  // is stored for that one too.
  const done = () => ({
    agentId,
    secret,
    baseUrl,
    typedSecret: typedSecret || secretAccount(agentId, baseUrl) !== secretAccount(agentId, firstUrl),
  });
  if (options.offline) return done();
  for (;;) {
    const agent = new AgentCredentials(agentId, secret, baseUrl);
    try {
      const check = await withProgress(
        { stream: ctx.progress, enabled: true },
        'Checking the agent id and secret with Infinium',
        () => verifyCredentials(agent, { skipFlag: '--offline' }),
      );
      prompts.log.success(
        `Infinium accepted agent ${agentId}${check.agentName && check.agentName !== agentId ? ` (${check.agentName})` : ''}`,
      );
      return done();
    } catch (error) {
      if (!(error instanceof CredentialsError)) throw error;
      prompts.log.error(error.message);
      const culprit = error.diagnosis.culprit;
      if (culprit === 'secret') {
        ({ secret, typedSecret } = await askSecret(agentId));
        continue;
      }
      const next = await choose<'retry' | 'agentId' | 'baseUrl' | 'offline'>(
        'What now?',
        culprit === 'agentId' ? 'agentId' : culprit === 'baseUrl' ? 'baseUrl' : 'retry',
        [
          ['retry', 'Try again'],
          ['baseUrl', 'Edit the base URL', baseUrl],
          ['agentId', 'Edit the agent id', agentId],
          ['offline', 'Save without checking', 'traces wait in the outbox until Infinium accepts them'],
        ],
      );
      if (next === 'offline') return done();
      if (next === 'baseUrl') baseUrl = await askBaseUrl(baseUrl, true);
      if (next === 'agentId') {
        const changed = await askAgentId(agentId);
        if (changed !== agentId) {
          agentId = changed;
          ({ secret, typedSecret } = await askSecret(agentId));
        }
      }
    }
  }
}

type Reach = 'all' | 'this' | 'project';

async function ask(
  options: InitOptions,
  ctx: CliContext,
  defaults: Answers,
  projectDir: string,
): Promise<(Answers & { typedSecret: boolean }) | 'local'> {
  prompts.intro('infinium-codex: trace your Codex sessions to Infinium');
  prompts.log.info(`Project: ${tilde(projectDir, ctx.env.HOME)}`);
  // Nobody has set up an agent for this project yet: offer the try-out that needs no account.
  if (!options.agentId && !defaults.agentId) {
    const account = await choose<'agent' | 'local'>('Do you have an Infinium agent yet?', 'agent', [
      ['agent', 'Yes: I have its id and secret'],
      ['local', 'Not yet: trace locally only', 'nothing is sent; `init` again later sends the kept turns'],
    ]);
    if (account === 'local') return 'local';
  }
  const { agentId, secret, typedSecret, baseUrl } = await askCredentials(options, ctx, defaults);
  const reach = await choose<Reach>(
    'Trace',
    options.allProjects || (defaults.allProjects && !options.scope)
      ? 'all'
      : options.scope === 'project'
        ? 'project'
        : 'this',
    [
      [
        'this',
        `${basename(projectDir)} to this agent`,
        'hooks in ~/.codex/hooks.json; other projects need `init` to be traced',
      ],
      [
        'all',
        'every project to this agent',
        'your default agent in ~/.infinium-codex/config.json; `init` in a project gives it its own',
      ],
      [
        'project',
        `${basename(projectDir)} only`,
        'hooks in its .codex/hooks.json; Codex must trust the project',
      ],
    ],
  );
  const capture = await choose<CaptureMode>('Capture mode', options.capture ?? defaults.capture, [
    ['lean', 'lean (default)', 'about 2 hooks per turn; tool detail from the session log'],
    ['full', 'full', 'also a hook per tool call; survives a missing session log'],
  ]);
  const granularity = await choose<Granularity>(
    'One trace per',
    options.granularity ?? defaults.granularity,
    [
      ['turn', 'turn (default)', 'sent when each turn ends'],
      ['session', 'session', 'sent when the Codex session ends'],
    ],
  );
  const contentMode = await choose<ContentMode>(
    'What text to send',
    options.contentMode ?? defaults.contentMode,
    [
      ['redacted', 'redacted (default)', 'prompts, commands and outputs with secrets removed'],
      ['full', 'full', 'everything as it was'],
      ['metadata', 'metadata', 'no prompt, command or output text'],
    ],
  );
  const trust =
    options.trust ??
    cancelled(
      await prompts.confirm({
        message:
          'Trust these hooks in Codex now? (as approving them in /hooks does; untrusted hooks are skipped silently)',
        initialValue: true,
      }),
    );
  const gitignore =
    reach !== 'all' && defaults.gitignore && options.gitignore === undefined
      ? cancelled(
          await prompts.confirm({
            message: `Add .infinium/ to ${tilde(join(projectDir, '.gitignore'), ctx.env.HOME)}? (it holds no secret; commit it to share the agent with your team)`,
            initialValue: true,
          }),
        )
      : (options.gitignore ?? false);
  prompts.outro(`Setting up ${reach === 'all' ? 'every project' : tilde(projectDir, ctx.env.HOME)}`);
  return {
    agentId,
    secret,
    typedSecret,
    baseUrl,
    scope: reach === 'project' ? 'project' : 'user',
    allProjects: reach === 'all',
    capture,
    granularity,
    contentMode,
    trust,
    gitignore,
  };
}

async function fromFlags(
  options: InitOptions,
  ctx: CliContext,
  defaults: Answers,
): Promise<Answers & { typedSecret: boolean }> {
  const given = options.agentId ?? (defaults.agentId || undefined);
  if (!given) {
    throw new UserError(
      'No agent id given; pass --agent-id (or run `infinium-codex init` in a terminal for the wizard).',
      undefined,
      2,
    );
  }
  const agentId = checkAgentId(given);
  const baseUrl = options.baseUrl ?? defaults.baseUrl;
  const typed = (await secretFromFlags(options, ctx.env, ctx.stdin)) ?? '';
  const secret = typed || ((await storedSecretFor(agentId, baseUrl, options, ctx)) ?? '');
  if (secret === '') {
    throw new UserError(
      'No agent secret given; pass --agent-secret-stdin, or set INFINIUM_AGENT_SECRET.',
      undefined,
      2,
    );
  }
  if (!options.offline) {
    await confirmAgent(ctx, new AgentCredentials(agentId, secret, baseUrl));
  }
  return {
    ...defaults,
    agentId,
    secret,
    typedSecret: typed !== '',
    baseUrl,
    scope: options.scope ?? defaults.scope,
    allProjects: options.allProjects === true,
    capture: options.capture ?? defaults.capture,
    granularity: options.granularity ?? defaults.granularity,
    contentMode: options.contentMode ?? defaults.contentMode,
    trust: options.trust ?? true,
    gitignore: options.gitignore ?? false,
  };
}

/**
 * Refuses, before anything is written, settings init could not write (a read-only project or state
 * folder): the Codex files were checked by planInstall, the secret's fallback file sits beside the user
 * settings.
 */
function checkSettingsWritable(
  answers: Answers,
  offerGitignore: boolean,
  projectDir: string,
  ctx: CliContext,
): void {
  const files = [statePaths(ctx.env).userConfig];
  if (!answers.allProjects) files.push(projectConfigFile(projectDir), consentFile(ctx.env));
  if (answers.gitignore && offerGitignore) files.push(join(projectDir, '.gitignore'));
  const refusal = writeRefusal(files, (file) => folderSetting(file, ctx.env));
  if (refusal) throw new UserError(refusal);
}

/**
 * What init sets in an existing project file, less the keys that would change nothing: the file's own
 * value, or for a key it lacks, what that absence means (the user's default, else ours). A teammate's
 * tracked file whose values the user chose again stays byte for byte as it was (attack21c R4).
 */
function unchangedLeftOut(
  wanted: Partial<Record<keyof Settings, unknown>>,
  file: Settings,
  user: Settings,
): Partial<Record<keyof Settings, unknown>> {
  const absent: Partial<Record<keyof Settings, unknown>> = {
    baseUrl: DEFAULT_BASE_URL,
    granularity: user.granularity ?? 'turn',
    contentMode: user.contentMode ?? 'redacted',
    allowInsecureHttp: false,
  };
  // A base URL is the same one with or without trailing slashes (resolveConfig drops them).
  const comparable = (key: keyof Settings, value: unknown) =>
    key === 'baseUrl' && typeof value === 'string' ? trimBaseUrl(value) : value;
  const patch = { ...wanted };
  for (const key of Object.keys(patch) as (keyof Settings)[]) {
    const now = comparable(key, file[key] ?? absent[key]);
    if (isDeepStrictEqual(now, comparable(key, patch[key] ?? absent[key]))) delete patch[key];
  }
  return patch;
}

export async function init(options: InitOptions, ctx: CliContext): Promise<void> {
  const { out, env } = ctx;
  const projectDir = options.project ? resolve(ctx.cwd, options.project) : pauseKeyFor(ctx.cwd);
  if (!existsSync(projectDir))
    throw new UserError(`The project folder ${projectDir} does not exist.`, undefined, 2);
  if (isConnectorItself(projectDir)) {
    throw new UserError(
      `${projectDir} is infinium-codex's own folder, not a project to trace.`,
      'cd into the project you want traced and run `infinium-codex init` there (from a clone: `node <clone>/dist/bin.cjs init`).',
      2,
    );
  }
  if (options.allProjects && options.scope === 'project') {
    throw new UserError(
      '--all-projects needs the hooks for every project; leave out --scope project.',
      undefined,
      2,
    );
  }
  const configFile = projectConfigFile(projectDir);
  // A project file the user never allowed (a clone's) offers no defaults: its agent or base URL would be
  // taken over by a quick `init --yes`.
  const onDisk = existsSync(configFile) ? readProjectFile(configFile) : null;
  // Writing it would change a file that is not used here (another project's through a link, one others
  // may change): said before anything is written.
  if (onDisk && 'problem' in onDisk && !options.allProjects) {
    throw new UserError(
      `${configFile} is not used (${onDisk.problem}), so init does not write to it.`,
      'Replace it with a file of the project that is yours and writable by no one else, or run `infinium-codex init --all-projects` to set your own defaults instead.',
    );
  }
  const project =
    onDisk && !('problem' in onDisk) && decisionFor(configFile, onDisk.bytes, env) === 'allow'
      ? onDisk.settings
      : {};
  const allowInsecureHttp = insecureHttpAllowed(env) || project.allowInsecureHttp === true;
  if (options.baseUrl !== undefined) checkBaseUrl(options.baseUrl, '--base-url', allowInsecureHttp);
  const user = readSettings(statePaths(env).userConfig);
  const defaults: Answers = {
    agentId: project.agentId ?? user.agentId ?? '',
    secret: '',
    baseUrl: project.baseUrl ?? user.baseUrl ?? DEFAULT_BASE_URL,
    scope: 'user',
    // Set up before with --all-projects, and no agent of its own here: keep it that way.
    allProjects: project.agentId === undefined && user.agentId !== undefined,
    capture: user.capture ?? 'lean',
    granularity: project.granularity ?? user.granularity ?? 'turn',
    contentMode: project.contentMode ?? user.contentMode ?? 'redacted',
    trust: true,
    gitignore: gitignoreNeeded(projectDir),
  };
  const answers =
    ctx.interactive && !options.yes && options.interactive !== false
      ? await ask(options, ctx, defaults, projectDir)
      : await fromFlags(options, ctx, defaults);
  if (answers === 'local') return (await import('./local')).initLocal(options, ctx);
  checkBaseUrl(answers.baseUrl, 'base URL', allowInsecureHttp);
  const { secret } = answers;

  const codex = await detectUsableCodex(env, ctx.cwd);
  const needs = codexNeeds(codex.version);
  const frontEnd = options.frontEnd ?? user.frontEnd ?? 'native';
  const target = hookTarget(ctx, frontEnd);
  if (options.frontEnd === 'native' && !target.nativeHook) {
    throw new UserError(
      `This machine cannot use the native hook front-end (${target.nativeRefused ?? 'none'}); leave out --front-end native to use hook.sh.`,
    );
  }
  // Refuse early, before anything is written, when a file we must edit is not one we can edit safely:
  // the whole install is worked out (and thrown away) here, and again from fresh reads at the end.
  const install: InstallRequest = {
    scope: answers.scope,
    projectDir,
    capture: answers.capture,
    target,
    trust: answers.trust,
    codexVersion: codex.version,
    env,
  };
  const planned = planInstall(install).result;
  checkSettingsWritable(answers, defaults.gitignore, projectDir, ctx);

  const projectName = basename(projectDir);

  const agentSettings = {
    agentId: answers.agentId,
    granularity: answers.granularity,
    contentMode: answers.contentMode,
    // The opt-in given for this run stays with the URL it was given for, so the worker accepts it too.
    ...(insecureHttpAllowed(env) && answers.baseUrl.startsWith('http:') ? { allowInsecureHttp: true } : {}),
  };
  // Nothing half done: a step that fails (a read-only Codex home) takes back what the earlier ones wrote.
  const undo = new Undo();
  for (const file of [
    configFile,
    statePaths(env).userConfig,
    join(projectDir, '.gitignore'),
    consentFile(env),
    statePaths(env).credentials,
  ])
    undo.keepFile(file);
  for (const file of [planned.hooksFile, planned.configToml]) {
    undo.keepFile(file, { throughLink: true });
    undo.keepFile(`${file}.infinium-codex.bak`);
  }
  undo.keepFile(manifestPath(env));
  if (answers.typedSecret) {
    const before = await storedSecretFor(answers.agentId, answers.baseUrl, options, ctx);
    const secretOptions = { env, noKeyring: options.keyring === false };
    undo.add(() =>
      before === null
        ? deleteSecret(answers.agentId, answers.baseUrl, secretOptions)
        : storeSecret(answers.agentId, answers.baseUrl, before, secretOptions),
    );
  }
  const writeSetup = async (): Promise<InstallResult> => {
    if (answers.allProjects) {
      // The user default: every session without a project config of its own reports to this agent.
      const changed = updateSettingsFile(
        statePaths(env).userConfig,
        {
          ...agentSettings,
          baseUrl:
            answers.baseUrl === DEFAULT_BASE_URL && user.baseUrl === undefined ? undefined : answers.baseUrl,
          capture: answers.capture,
          ...frontEndSetting(options),
        },
        { mode: 0o600, dirMode: 0o700 },
      );
      out.line(
        `${out.green('✓')} ${changed ? 'Saved' : 'Kept'} agent ${answers.agentId} as your default for every project in ${statePaths(env).userConfig}`,
      );
    } else {
      const wanted = {
        ...agentSettings,
        baseUrl:
          answers.baseUrl === DEFAULT_BASE_URL && project.baseUrl === undefined ? undefined : answers.baseUrl,
        allowInsecureHttp: agentSettings.allowInsecureHttp,
      };
      const existing = onDisk && !('problem' in onDisk) ? onDisk.settings : null;
      const configChanged = updateSettingsFile(
        configFile,
        existing ? unchangedLeftOut(wanted, existing, user) : wanted,
        { mode: 0o644, dirMode: 0o755 },
      );
      // What `init` wrote is what the user chose: their consent to this content (src/config/consent.ts).
      recordDecision(configFile, 'allow', env);
      out.line(`${out.green('✓')} ${configChanged ? 'Wrote' : 'Kept'} ${configFile}`);
      if (configChanged && existing && trackedByGit(projectDir, PROJECT_CONFIG_DIR)) {
        out.line(
          `${out.yellow('!')} git tracks ${configFile}: the change is your team's too once you commit it (\`git diff ${PROJECT_CONFIG_DIR}\` shows it).`,
        );
      }
      updateSettingsFile(
        statePaths(env).userConfig,
        { capture: answers.capture, ...frontEndSetting(options) },
        { mode: 0o600, dirMode: 0o700 },
      );
    }
    if (answers.gitignore && defaults.gitignore) {
      const file = join(projectDir, '.gitignore');
      const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
      writeFileAtomic(file, `${before}${before === '' || before.endsWith('\n') ? '' : '\n'}.infinium/\n`, {
        dirMode: 0o755,
      });
      out.line(`${out.green('✓')} Added .infinium/ to ${file}`);
    }

    if (answers.typedSecret) {
      const where = await storeSecret(answers.agentId, answers.baseUrl, secret, {
        env,
        noKeyring: options.keyring === false,
      });
      out.line(secretStoredLine(out, where, env));
    }

    return installHooks(install);
  };
  let installed: InstallResult;
  try {
    installed = await writeSetup();
  } catch (error) {
    await undo.run();
    // The lines above told what was written: none of it stays.
    out.line(`${out.yellow('!')} init stopped: what it had written above was taken back.`);
    throw error;
  }
  out.line(
    `${out.green('✓')} ${installed.hooksChanged ? 'Installed' : 'Kept'} ${answers.capture} capture hooks (${installed.events.join(', ')}) in ${installed.hooksFile}`,
  );
  out.line(
    target.nativeHook || frontEnd === 'sh'
      ? `  Front-end: ${target.nativeHook ? 'native' : 'hook.sh'}`
      : `  Front-end: hook.sh (${target.nativeRefused ?? `no native front-end for ${process.platform}-${process.arch}`})`,
  );
  if (needs.featureFlag) {
    out.line(
      `${out.green('✓')} Turned hooks on in ${installed.configToml} ([features] codex_hooks = true: Codex ${formatVersion(codex.version ?? [0, 0, 0])} runs hooks only with it)`,
    );
  }
  if (!needs.trust) {
    out.line(`  Codex ${codex.version ? formatVersion(codex.version) : ''} does not check hook trust.`);
  } else if (answers.trust) {
    out.line(
      `${out.green('✓')} ${installed.configChanged ? 'Trusted' : 'Already trusted'} them in ${installed.configToml}`,
    );
  } else {
    out.line(
      `${out.yellow('!')} Not trusted: Codex will skip these hooks until you approve them (run \`codex\`, type /hooks, approve the infinium-codex hooks).`,
    );
  }
  if (installed.movedOutOfBlock.length > 0) {
    out.line(
      `  Kept what Codex had written inside our block in ${installed.configToml} (${installed.movedOutOfBlock.join(', ')}), now outside it.`,
    );
  }
  if (installed.movedBlock) {
    out.line(
      `  Moved our entries in ${installed.configToml} above your tables: earlier builds put them at the end, where Codex adds its own.`,
    );
  }
  for (const backup of installed.backups) out.line(out.dim(`  backup of the previous version: ${backup}`));
  warnMovedUserHooks(out, installed.movedUserHooks);
  if (!codex.found) {
    out.line(
      `${out.yellow('!')} ${codex.detail}: install Codex (npm i -g @openai/codex) before your first session, then run \`infinium-codex doctor --fix\` (it sets up what that version needs).`,
    );
  }
  if (answers.scope === 'project') {
    out.line(
      `  Project hooks run only when Codex trusts this project: run \`codex\` in ${projectDir} once and trust it.`,
    );
  }
  const unit = answers.granularity === 'session' ? 'session' : 'turn';
  const where = answers.allProjects ? 'every project without an agent of its own' : projectName;
  out.line(
    `Done. Every Codex ${unit} in ${where} now becomes a trace; \`infinium-codex status\` shows them.`,
  );
}
