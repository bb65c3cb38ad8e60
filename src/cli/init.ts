// `infinium-codex init`: the wizard (or its flags), then: check the credentials with Infinium, write the
// project config, store the secret, install our hooks into Codex and, when the user agrees, trust them.
// Everything that can refuse (bad input, wrong credentials, a hooks.json or config.toml we will not edit)
// does so before anything is written.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as prompts from '@clack/prompts';
import { type InstallRequest, installHooks, planInstall, type Scope } from '../codex/install';
import { codexNeeds, detectCodex, formatVersion, tooOldProblem, UPGRADE_COMMAND } from '../codex/version';
import { writeFileAtomic } from '../config/atomic-file';
import { loadSecret, storeSecret } from '../config/credentials';
import { statePaths } from '../config/paths';
import {
  type CaptureMode,
  type ContentMode,
  checkBaseUrl,
  type Granularity,
  readSettings,
} from '../config/settings';
import { projectConfigFile, updateSettingsFile } from '../config/settings-file';
import { AgentCredentials, DEFAULT_BASE_URL } from '../infinium/client';
import { checkConnection } from './connection';
import type { CliContext } from './context';
import { UserError } from './errors';
import { warnMovedUserHooks } from './notices';
import { checkAgentId, checkSecret, type SecretFlags, secretFromFlags } from './secret-input';

export interface InitOptions extends SecretFlags {
  yes?: boolean;
  agentId?: string;
  baseUrl?: string;
  scope?: Scope;
  capture?: CaptureMode;
  granularity?: Granularity;
  contentMode?: ContentMode;
  trust?: boolean;
  keyring?: boolean;
  offline?: boolean;
  gitignore?: boolean;
  project?: string;
}

interface Answers {
  agentId: string;
  secret: string;
  baseUrl: string;
  scope: Scope;
  capture: CaptureMode;
  granularity: Granularity;
  contentMode: ContentMode;
  trust: boolean;
  gitignore: boolean;
}

function cancelled<T>(value: T): Exclude<T, symbol> {
  if (prompts.isCancel(value)) throw new UserError('Set-up cancelled; nothing was changed.');
  return value as Exclude<T, symbol>;
}

async function choose<T extends string>(
  message: string,
  initialValue: T,
  choices: [value: T, label: string, hint?: string][],
): Promise<T> {
  const options = choices.map(([value, label, hint]) => ({ value, label, hint }) as prompts.Option<T>);
  return cancelled(await prompts.select<T>({ message, initialValue, options }));
}

/** `.infinium/` is already ignored, or there is no git repository to ignore it in. */
function gitignoreNeeded(projectDir: string): boolean {
  if (!existsSync(join(projectDir, '.git'))) return false;
  try {
    return !readFileSync(join(projectDir, '.gitignore'), 'utf8')
      .split('\n')
      .some((line) => ['.infinium', '.infinium/', '/.infinium', '/.infinium/'].includes(line.trim()));
  } catch {
    return true;
  }
}

async function ask(
  options: InitOptions,
  ctx: CliContext,
  defaults: Answers,
  storedSecret: boolean,
): Promise<Answers> {
  prompts.intro('infinium-codex: trace your Codex sessions to Infinium');
  const agentId = checkAgentId(
    cancelled(
      await prompts.text({
        message: 'Agent id (from the Infinium web app)',
        initialValue: options.agentId ?? defaults.agentId,
        validate: (value) => (value?.trim() ? undefined : 'The agent id is required.'),
      }),
    ),
  );
  const secretFromFlag = await secretFromFlags(options, ctx.env, ctx.stdin);
  const typed =
    secretFromFlag ??
    cancelled(
      await prompts.password({
        message: storedSecret ? 'Agent secret (leave empty to keep the stored one)' : 'Agent secret',
        validate: (value) => (value || storedSecret ? undefined : 'The agent secret is required.'),
      }),
    );
  const baseUrl = cancelled(
    await prompts.text({
      message: 'Infinium base URL',
      initialValue: options.baseUrl ?? defaults.baseUrl,
      validate: (value) => {
        try {
          checkBaseUrl(value ?? '', 'base URL');
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      },
    }),
  );
  const scope = await choose<Scope>('Install the hooks for', options.scope ?? defaults.scope, [
    ['user', 'every project (~/.codex/hooks.json)', 'recommended'],
    ['project', 'this project only (.codex/hooks.json)', 'needs the project trusted in Codex'],
  ]);
  const capture = await choose<CaptureMode>('Capture mode', options.capture ?? defaults.capture, [
    ['lean', 'lean', 'about 2 hooks per turn; tool detail from the session log (default)'],
    ['full', 'full', 'also a hook per tool call; survives a missing session log'],
  ]);
  const granularity = await choose<Granularity>(
    'One trace per',
    options.granularity ?? defaults.granularity,
    [
      ['turn', 'turn'],
      ['session', 'session'],
    ],
  );
  const contentMode = await choose<ContentMode>(
    'What text to send',
    options.contentMode ?? defaults.contentMode,
    [
      ['redacted', 'redacted', 'prompts, commands and outputs with secrets removed (default)'],
      ['full', 'full', 'everything as it was'],
      ['metadata', 'metadata', 'no prompt, command or output text'],
    ],
  );
  const trust =
    options.trust ??
    cancelled(
      await prompts.confirm({
        message:
          'Trust these hooks in Codex now? (the same as approving them in /hooks; without it Codex skips them silently)',
        initialValue: true,
      }),
    );
  const gitignore =
    options.gitignore ??
    (defaults.gitignore
      ? cancelled(await prompts.confirm({ message: 'Add .infinium/ to .gitignore?', initialValue: true }))
      : false);
  return {
    agentId,
    secret: typed === '' ? '' : checkSecret(typed),
    baseUrl: baseUrl.trim(),
    scope,
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
  storedSecret: boolean,
): Promise<Answers> {
  const agentId = options.agentId ?? (defaults.agentId || undefined);
  if (!agentId) {
    throw new UserError(
      'No agent id given; pass --agent-id (or run `infinium-codex init` in a terminal for the wizard).',
      undefined,
      2,
    );
  }
  const secret = (await secretFromFlags(options, ctx.env, ctx.stdin)) ?? '';
  if (secret === '' && !storedSecret) {
    throw new UserError(
      'No agent secret given; pass --agent-secret-stdin (or --agent-secret, or set INFINIUM_AGENT_SECRET).',
      undefined,
      2,
    );
  }
  return {
    ...defaults,
    agentId: checkAgentId(agentId),
    secret,
    baseUrl: options.baseUrl ?? defaults.baseUrl,
    scope: options.scope ?? defaults.scope,
    capture: options.capture ?? defaults.capture,
    granularity: options.granularity ?? defaults.granularity,
    contentMode: options.contentMode ?? defaults.contentMode,
    trust: options.trust ?? true,
    gitignore: options.gitignore ?? false,
  };
}

export async function init(options: InitOptions, ctx: CliContext): Promise<void> {
  const { out, env } = ctx;
  const projectDir = resolve(ctx.cwd, options.project ?? '.');
  if (!existsSync(projectDir))
    throw new UserError(`The project folder ${projectDir} does not exist.`, undefined, 2);
  if (options.baseUrl !== undefined) checkBaseUrl(options.baseUrl, '--base-url');
  const configFile = projectConfigFile(projectDir);
  const project = readSettings(configFile);
  const user = readSettings(statePaths(env).userConfig);
  const defaults: Answers = {
    agentId: project.agentId ?? '',
    secret: '',
    baseUrl: project.baseUrl ?? DEFAULT_BASE_URL,
    scope: 'user',
    capture: user.capture ?? 'lean',
    granularity: project.granularity ?? 'turn',
    contentMode: project.contentMode ?? 'redacted',
    trust: true,
    gitignore: gitignoreNeeded(projectDir),
  };
  const agentForStored = options.agentId ?? project.agentId;
  const stored = agentForStored
    ? await loadSecret(agentForStored, { env, noKeyring: options.keyring === false })
    : null;
  const storedSecret = stored !== null && stored.source !== 'env';
  const answers =
    ctx.interactive && !options.yes
      ? await ask(options, ctx, defaults, storedSecret)
      : await fromFlags(options, ctx, defaults, storedSecret);
  checkBaseUrl(answers.baseUrl, 'base URL');
  const secret = answers.secret || (stored && answers.agentId === agentForStored ? stored.secret : '');
  if (!secret) {
    throw new UserError(
      `No secret is stored for agent ${answers.agentId}; give it with --agent-secret-stdin.`,
      undefined,
      2,
    );
  }

  const codex = await detectCodex(env);
  const needs = codexNeeds(codex.version);
  if (!needs.supported && codex.version) {
    throw new UserError(`${tooOldProblem(codex.version)}; update it with \`${UPGRADE_COMMAND}\`.`);
  }
  // Refuse early, before anything is written, when a file we must edit is not one we can edit safely:
  // the whole install is worked out (and thrown away) here, and again from fresh reads at the end.
  const install: InstallRequest = {
    scope: answers.scope,
    projectDir,
    capture: answers.capture,
    target: ctx.target,
    trust: answers.trust,
    codexVersion: codex.version,
    env,
  };
  planInstall(install);

  const agent = new AgentCredentials(answers.agentId, secret, answers.baseUrl);
  const projectName = basename(projectDir);
  if (!options.offline) {
    const spin = ctx.interactive ? prompts.spinner() : undefined;
    spin?.start('Checking the agent id and secret with Infinium');
    try {
      const check = await checkConnection(agent, projectName);
      spin?.stop('Infinium accepted the credentials');
      out.line(
        `${out.green('✓')} Infinium accepted agent ${answers.agentId}${check.agentName ? ` (${check.agentName})` : ''}; test trace ${check.traceId ?? 'sent'}.`,
      );
    } catch (error) {
      spin?.error('Infinium did not accept the credentials');
      throw error;
    }
  }

  const configChanged = updateSettingsFile(
    configFile,
    {
      agentId: answers.agentId,
      baseUrl:
        answers.baseUrl === DEFAULT_BASE_URL && project.baseUrl === undefined ? undefined : answers.baseUrl,
      granularity: answers.granularity,
      contentMode: answers.contentMode,
    },
    { mode: 0o644, dirMode: 0o755 },
  );
  out.line(`${out.green('✓')} ${configChanged ? 'Wrote' : 'Kept'} ${configFile}`);
  updateSettingsFile(
    statePaths(env).userConfig,
    { capture: answers.capture },
    { mode: 0o600, dirMode: 0o700 },
  );
  if (answers.gitignore && gitignoreNeeded(projectDir)) {
    const file = join(projectDir, '.gitignore');
    const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
    writeFileAtomic(file, `${before}${before === '' || before.endsWith('\n') ? '' : '\n'}.infinium/\n`, {
      dirMode: 0o755,
    });
    out.line(`${out.green('✓')} Added .infinium/ to ${file}`);
  }

  if (answers.secret || stored?.source !== 'keyring') {
    const where = await storeSecret(answers.agentId, secret, { env, noKeyring: options.keyring === false });
    if (where.source === 'keyring') out.line(`${out.green('✓')} Stored the secret in the OS keyring`);
    else {
      out.line(
        `${out.yellow('!')} Stored the secret in ${statePaths(env).credentials} (readable only by you), because ${where.keyringProblem}.`,
      );
    }
  }

  const installed = installHooks(install);
  out.line(
    `${out.green('✓')} ${installed.hooksChanged ? 'Installed' : 'Kept'} ${answers.capture} capture hooks (${installed.events.join(', ')}) in ${installed.hooksFile}`,
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
      `  Kept what Codex had written inside our block in ${installed.configToml} (${installed.movedOutOfBlock.join(', ')}), now above the block.`,
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
  out.line(
    `Done. Every Codex turn in ${projectName} now becomes a trace; \`infinium-codex status\` shows them.`,
  );
}
