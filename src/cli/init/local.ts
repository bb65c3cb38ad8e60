// `infinium-codex init --local`: try it before there is an account. Our hooks go into Codex, trusted, and
// the user settings say "local only": every turn of a project with no agent is traced into local history
// (`history`, `view`), and nothing is sent anywhere. Once an agent is set up (`init` with credentials),
// `retry` sends the kept turns, once each, under the keys they were kept with.
import { statePaths } from '../../config/paths';
import { readSettings } from '../../config/settings';
import { updateSettingsFile } from '../../config/settings-file';
import type { CliContext } from '../context';
import { UserError } from '../errors';
import { installUserHooks } from '../user-hooks';
import { ACCOUNT_FLAGS, detectUsableCodex, frontEndSetting, givenFlags, type InitOptions } from './options';

/** Flags that name an account: `--local` is the set-up without one. */
const NOT_WITH_LOCAL = [...ACCOUNT_FLAGS, 'system'];

export async function initLocal(options: InitOptions & { system?: boolean }, ctx: CliContext): Promise<void> {
  const { out, env } = ctx;
  if (givenFlags(options, NOT_WITH_LOCAL).length > 0) {
    throw new UserError(
      '`init --local` sets up tracing without an account, so it takes no agent id, secret, base URL, scope or --system: run `infinium-codex init` with them once you have an agent.',
      undefined,
      2,
    );
  }
  const codex = await detectUsableCodex(env, ctx.cwd);
  const userConfig = statePaths(env).userConfig;
  const capture = options.capture ?? readSettings(userConfig).capture ?? 'lean';
  installUserHooks(ctx, codex, { capture, frontEnd: options.frontEnd, trust: options.trust });
  updateSettingsFile(
    userConfig,
    { localOnly: true, capture, ...frontEndSetting(options) },
    { mode: 0o600, dirMode: 0o700 },
  );
  out.line(
    `${out.green('✓')} Local only: every Codex turn in a project with no agent is kept in local history`,
  );
  out.line('  and sent nowhere. `infinium-codex history` lists the turns; `infinium-codex view` shows them.');
  out.line(
    '  With an account later: `infinium-codex init` (your agent id and secret), then `infinium-codex retry` sends the kept turns, once each.',
  );
  if (!codex.found) {
    out.line(
      `${out.yellow('!')} ${codex.detail}: install Codex (npm i -g @openai/codex), then run \`infinium-codex doctor --fix\`.`,
    );
  }
}
