// `init`'s options, in a module of their own: the wizard (index.ts) and the modes it hands over to (local,
// ci, system) share them without importing each other.

import type { Scope } from '../../codex/install';
import {
  codexNeeds,
  type DetectedCodex,
  detectCodex,
  tooOldProblem,
  UPGRADE_COMMAND,
} from '../../codex/version';
import type { Env } from '../../config/paths';
import type { CaptureMode, ContentMode, FrontEnd, Granularity } from '../../config/settings';
import { UserError } from '../errors';
import type { SecretFlags } from '../secret-input';

export interface InitOptions extends SecretFlags {
  yes?: boolean;
  /** `--no-interactive` (the Python connector's flag): the same as --yes. */
  interactive?: boolean;
  agentId?: string;
  baseUrl?: string;
  scope?: Scope;
  /** Save the agent as the user default: every project without its own config is traced to it. */
  allProjects?: boolean;
  capture?: CaptureMode;
  granularity?: Granularity;
  contentMode?: ContentMode;
  /** The hook front-end: native (the default, when this platform's program is installed) or sh (hook.sh). */
  frontEnd?: FrontEnd;
  trust?: boolean;
  keyring?: boolean;
  offline?: boolean;
  gitignore?: boolean;
  project?: string;
  /** With --system: print the managed files instead of writing them. */
  print?: boolean;
}

/** The flags that name an account or where its settings go: the modes that take neither refuse them. */
export const ACCOUNT_FLAGS = [
  'agentId',
  'agentSecretStdin',
  'baseUrl',
  'allProjects',
  'scope',
] as const satisfies readonly (keyof InitOptions)[];

/** Which of `flags` the user gave. */
export function givenFlags(options: InitOptions, flags: readonly string[]): string[] {
  return flags.filter((key) => (options as Record<string, unknown>)[key] !== undefined);
}

/** `--front-end` is remembered in the user settings; `native`, the default, is remembered as no setting. */
export function frontEndSetting(options: InitOptions): { frontEnd?: FrontEnd } {
  if (options.frontEnd === undefined) return {};
  return { frontEnd: options.frontEnd === 'sh' ? 'sh' : undefined };
}

/** The Codex on PATH (none found is for each mode to judge); one too old for our hooks is refused. */
export async function detectUsableCodex(env: Env, cwd: string): Promise<DetectedCodex> {
  const codex = await detectCodex(env, cwd);
  if (codex.version && !codexNeeds(codex.version).supported)
    throw new UserError(`${tooOldProblem(codex.version)}; update it with \`${UPGRADE_COMMAND}\`.`);
  return codex;
}
