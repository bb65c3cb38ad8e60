// What every family of checks looks at, read once per run: Codex, its config.toml, our settings and where
// our hooks are. `status` shows the same facts from the same code (probe).
import { existsSync } from 'node:fs';
import {
  type ConfigTomlContents,
  hooksFeature,
  readConfigToml,
  type TomlTable,
} from '../../codex/config-toml';
import { CodexFileError } from '../../codex/hooks-file';
import {
  hooksFileFor,
  type InstalledHook,
  inspectHooks,
  inspectManagedHooks,
  type Scope,
  userConfigToml,
} from '../../codex/install';
import { systemHooksFile } from '../../codex/system';
import {
  type DetectedCodex,
  detectCodex,
  type HooksFeatureVerdict,
  judgeHooksFeature,
} from '../../codex/version';
import { systemFilesProblem } from '../../config/paths';
import { pauseKeyFor } from '../../config/pause';
import {
  type CaptureMode,
  ConfigError,
  ConsentNeededError,
  type ResolvedConfig,
  resolveConfig,
} from '../../config/settings';
import { type SpoolStats, spoolStats } from '../../spool';
import { captureOrDefault, hookTarget } from '../agent';
import type { CliContext } from '../context';

export interface Probe {
  codex: DetectedCodex;
  /** Whether this Codex runs hooks at all (its version, config.toml's [features]). */
  feature: HooksFeatureVerdict;
  config: ResolvedConfig | null;
  configError: string | null;
  /** The project file that waits for the user's consent (its turns are kept meanwhile). */
  consentNeeded: ConsentNeededError | null;
  /** Why the machine-wide files (`init --system`) are ignored: another user could write them. */
  machineFilesProblem: string | null;
  /** The capture mode our hooks are for (`init`'s choice; lean when a config file is broken). */
  capture: CaptureMode;
  /** The project this folder belongs to (pauseKeyFor), where a project's hooks would be. */
  projectDir: string;
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
  /**
   * Ours in each layer, as read here: the project's file is read only when the user's holds none of ours
   * (undefined otherwise), so a broken one there fails nothing ours needs.
   */
  layers: { user: InstalledHook[]; project?: InstalledHook[]; managed: InstalledHook[] };
  /** Codex's config.toml as read, or null when it could not be (configError says why). */
  configToml: ConfigTomlContents | null;
  /** Its table ({} when it could not be read). */
  toml: TomlTable;
  /** The spool's state (queued, dead, waiting and why), read on first use. */
  spool: () => SpoolStats;
  /**
   * Why this machine's native front-end is refused (its self-test run on first use), or undefined when it
   * serves or the user chose hook.sh.
   */
  nativeRefused: () => string | undefined;
}

/** `read` run on its first use only, its answer kept: what several checks and `status` may each ask for. */
function once<T>(read: () => T): () => T {
  let kept: { value: T } | undefined;
  return () => {
    kept ??= { value: read() };
    return kept.value;
  };
}

/**
 * Our settings for this folder and Codex's config.toml: a broken file is reported (configError), never
 * thrown, so `doctor` and `status --json` always answer.
 */
function probeSettings(
  ctx: CliContext,
): Pick<
  Probe,
  'config' | 'configError' | 'consentNeeded' | 'machineFilesProblem' | 'capture' | 'configToml' | 'toml'
> {
  // Judged once, for the settings, the capture mode and `status`'s secret alike.
  const machineFilesProblem = systemFilesProblem(ctx.env);
  let config: ResolvedConfig | null = null;
  let configError: string | null = null;
  let consentNeeded: ConsentNeededError | null = null;
  try {
    config = resolveConfig(ctx.cwd, ctx.env, machineFilesProblem);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    configError = error.message;
    if (error instanceof ConsentNeededError) consentNeeded = error;
  }
  let configToml: ConfigTomlContents | null = null;
  try {
    configToml = readConfigToml(userConfigToml(ctx.env));
  } catch (error) {
    if (!(error instanceof CodexFileError)) throw error;
    configError ??= error.message;
  }
  const capture = captureOrDefault(ctx.env, machineFilesProblem);
  const toml = configToml?.parsed ?? {};
  return { config, configError, consentNeeded, machineFilesProblem, capture, configToml, toml };
}

type HookFacts = Pick<Probe, 'scope' | 'hooksFile' | 'hooks' | 'hooksError' | 'managedToo' | 'layers'>;

/**
 * Where our hooks are, for the project in `projectDir`; `toml`: config.toml's table when it parsed (else
 * each read fails as it should).
 */
function probeHooks(ctx: CliContext, projectDir: string, toml: TomlTable | undefined): HookFacts {
  const user = hooksFileFor('user', ctx.cwd, ctx.env);
  const project = hooksFileFor('project', projectDir, ctx.env);
  try {
    const managed = inspectManagedHooks(ctx.env, toml);
    const managedToo = managed.length > 0;
    const inUser = inspectHooks(user, ctx.env, process.platform, { toml });
    if (inUser.length > 0) {
      const layers = { user: inUser, managed };
      return { scope: 'user', hooksFile: user, hooks: inUser, hooksError: null, managedToo, layers };
    }
    const inProject = existsSync(project) ? inspectHooks(project, ctx.env, process.platform, { toml }) : [];
    const layers = { user: inUser, project: inProject, managed };
    if (inProject.length > 0)
      return { scope: 'project', hooksFile: project, hooks: inProject, hooksError: null, managedToo, layers };
    return managedToo
      ? {
          scope: 'system',
          hooksFile: systemHooksFile(ctx.env),
          hooks: managed,
          hooksError: null,
          managedToo: false,
          layers,
        }
      : { scope: 'user', hooksFile: user, hooks: [], hooksError: null, managedToo, layers };
  } catch (error) {
    if (!(error instanceof CodexFileError)) throw error;
    const layers = { user: [], project: [], managed: [] };
    return {
      scope: 'user',
      hooksFile: user,
      hooks: [],
      hooksError: error.message,
      managedToo: false,
      layers,
    };
  }
}

export async function probe(ctx: CliContext): Promise<Probe> {
  const settings = probeSettings(ctx);
  const codex = await detectCodex(ctx.env, ctx.cwd);
  const projectDir = pauseKeyFor(ctx.cwd);
  return {
    codex,
    feature: judgeHooksFeature(codex.version, hooksFeature(settings.toml)),
    ...settings,
    projectDir,
    ...probeHooks(ctx, projectDir, settings.configToml?.parsed),
    spool: once(() => spoolStats(ctx.env)),
    nativeRefused: once(() => hookTarget(ctx).nativeRefused),
  };
}
