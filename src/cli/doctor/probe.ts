// What every family of checks looks at, read once per run: Codex, its config.toml, our settings and where
// our hooks are. `status` shows the same facts from the same code (probe).
import { existsSync } from 'node:fs';
import { hooksFeature, readConfigToml, type TomlTable } from '../../codex/config-toml';
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
import { ConfigError, ConsentNeededError, type ResolvedConfig, resolveConfig } from '../../config/settings';
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

/**
 * Our settings for this folder and Codex's config.toml: a broken file is reported (configError), never
 * thrown, so `doctor` and `status --json` always answer.
 */
function probeSettings(
  ctx: CliContext,
): Pick<Probe, 'config' | 'configError' | 'consentNeeded' | 'machineFilesProblem' | 'toml'> {
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
  return { config, configError, consentNeeded, machineFilesProblem: systemFilesProblem(ctx.env), toml };
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

type Setup = Omit<Probe, 'scope' | 'hooksFile' | 'hooks' | 'hooksError' | 'managedToo'>;

/** All but where our hooks are: what `status` shows. */
async function probeSetup(ctx: CliContext): Promise<Setup> {
  const settings = probeSettings(ctx);
  const codex = await detectCodex(ctx.env);
  return { codex, feature: judgeHooksFeature(codex.version, hooksFeature(settings.toml)), ...settings };
}

export async function probe(ctx: CliContext): Promise<Probe> {
  return { ...(await probeSetup(ctx)), ...probeHooks(ctx) };
}
