// `infinium-codex uninstall`: removes our hooks (user and project hooks.json, and any other file we
// installed into) and our trust entries, leaving everything else in those files as it was: a file that
// only changed by our install gets its original bytes back. `--purge` also removes our state and secrets.
import { readFileSync, rmSync } from 'node:fs';
import { findOurHooks, readHooksFile } from '../codex/hooks-file';
import { hooksFileFor, installedFiles, uninstallHooks } from '../codex/install';
import { deleteSecret } from '../config/credentials';
import { statePaths } from '../config/paths';
import { pauseKeyFor } from '../config/pause';
import { readSettings, resolveConfig } from '../config/settings';
import type { CliContext } from './context';
import { warnMovedUserHooks } from './notices';
import { count } from './output';

export interface UninstallOptions {
  purge?: boolean;
}

/** Agents whose secrets we may hold: the current one, the user default, and the fallback file's. */
function knownAgents(ctx: CliContext): string[] {
  const agents = new Set<string>();
  const current = resolveConfig(ctx.cwd, ctx.env);
  if (current) agents.add(current.agentId);
  const user = readSettings(statePaths(ctx.env).userConfig).agentId;
  if (user) agents.add(user);
  try {
    for (const id of Object.keys(JSON.parse(readFileSync(statePaths(ctx.env).credentials, 'utf8'))))
      agents.add(id);
  } catch {
    // no fallback file
  }
  return [...agents];
}

export async function uninstall(options: UninstallOptions, ctx: CliContext): Promise<void> {
  const { out, env } = ctx;
  const candidates = [
    hooksFileFor('user', ctx.cwd, env),
    hooksFileFor('project', pauseKeyFor(ctx.cwd), env),
    ...installedFiles(env),
  ].filter((file) => file.endsWith('hooks.json'));
  const withOurs = candidates.filter((file) => findOurHooks(readHooksFile(file).doc).length > 0);
  const result = uninstallHooks(withOurs, env);
  if (result.changed.length === 0) out.line('No hooks or trust entries of ours were installed.');
  for (const change of result.changed) {
    const what =
      change.action === 'restored'
        ? 'restored to its original content'
        : change.action === 'deleted'
          ? 'deleted (we had created it)'
          : 'removed our entries';
    out.line(`${out.green('✓')} ${change.file}: ${what}`);
  }
  warnMovedUserHooks(out, result.movedUserHooks);
  if (options.purge) {
    const agents = knownAgents(ctx);
    for (const agentId of agents) await deleteSecret(agentId, { env });
    rmSync(statePaths(env).root, { recursive: true, force: true });
    out.line(
      `${out.green('✓')} Deleted ${statePaths(env).root} and the stored secrets (${count(agents.length, 'agent')})`,
    );
    out.line('  Project settings in .infinium/ folders were left as they are; delete them if you wish.');
  }
}
