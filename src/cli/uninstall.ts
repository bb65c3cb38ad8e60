// `infinium-codex uninstall`: removes our hooks (user and project hooks.json, and any other file we
// installed into) and our trust entries, leaving everything else in those files as it was: a file that
// only changed by our install gets its original bytes back. It stops our background worker, so nothing of
// ours runs after it, and says what it leaves behind. `--purge` also removes our state, secrets and backups.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { holdsOurHooks } from '../codex/hooks-file';
import { hooksFileFor, installedFiles, uninstallHooks, userConfigToml } from '../codex/install';
import { deleteSecret, loadSecret, secretAccount } from '../config/credentials';
import { closeHooksLive, userLiveFile } from '../config/hooks-live';
import { statePaths, withoutAgentSecret } from '../config/paths';
import { pauseKeyFor } from '../config/pause';
import { readSettings, resolveConfig } from '../config/settings';
import { DEFAULT_BASE_URL } from '../infinium/client';
import { spoolPaths } from '../spool/layout';
import { lockHolder, processAlive } from '../spool/lock';
import { sessionSecretCount } from '../spool/session-secrets';
import { evaluationLockFile } from '../worker/evaluations';
import type { CliContext } from './context';
import { PACKAGE_NAME } from './install-source';
import { warnMovedUserHooks } from './notices';
import { count } from './output';

export interface UninstallOptions {
  purge?: boolean;
}

/**
 * Agents (at their base URL) whose keyring secrets we may hold: the current one and the user default. The
 * fallback file goes with the state folder.
 */
function knownAgents(ctx: CliContext): { agentId: string; baseUrl: string }[] {
  const agents = new Map<string, { agentId: string; baseUrl: string }>();
  const add = (agentId: string | undefined, baseUrl: string | undefined) => {
    if (agentId)
      agents.set(secretAccount(agentId, baseUrl ?? DEFAULT_BASE_URL), {
        agentId,
        baseUrl: baseUrl ?? DEFAULT_BASE_URL,
      });
  };
  try {
    const current = resolveConfig(ctx.cwd, ctx.env);
    add(current?.agentId, current?.baseUrl);
  } catch {
    // a project file that is broken or waits for consent names no agent of ours
  }
  const user = readSettings(statePaths(ctx.env).userConfig);
  add(user.agentId, user.baseUrl);
  return [...agents.values()];
}

/** How many of `agents` have a secret we stored (keyring or fallback file; not the environment's). */
async function storedSecretCount(
  agents: { agentId: string; baseUrl: string }[],
  ctx: CliContext,
): Promise<number> {
  const env = withoutAgentSecret(ctx.env);
  let stored = 0;
  for (const { agentId, baseUrl } of agents) {
    const found = await loadSecret(agentId, baseUrl, { env });
    if (found?.source === 'file' || found?.source === 'keyring') stored += 1;
  }
  return stored;
}

/**
 * Deletes our state folder but for the record of when our hooks were installed (times only): without it,
 * a later `import` would take the turns made with tracing off or paused while they were (issue 21 kind 5).
 * Returns the record's path when it was kept.
 */
function purgeState(root: string, env: CliContext['env']): string | null {
  const record = userLiveFile(env);
  if (!existsSync(record)) {
    rmSync(root, { recursive: true, force: true });
    return null;
  }
  for (const name of readdirSync(root))
    if (join(root, name) !== record) rmSync(join(root, name), { recursive: true, force: true });
  return record;
}

const STOP_WAIT_MS = 3_000;

/**
 * Stops our workers (the one that sends, and the one that waits on Maestro's evaluations) and waits for
 * them to exit. Safe at any point: a send cut short is resent once, flagged, by the next worker.
 */
async function stopWorkers(ctx: CliContext): Promise<number[]> {
  const paths = spoolPaths(ctx.env);
  const pids = [
    ...new Set([lockHolder(paths.lock), lockHolder(evaluationLockFile(paths))].filter((p) => p !== null)),
  ];
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone meanwhile
    }
  }
  for (const end = Date.now() + STOP_WAIT_MS; pids.some(processAlive) && Date.now() < end; )
    await new Promise((resolve) => setTimeout(resolve, 50));
  return pids;
}

export async function uninstall(options: UninstallOptions, ctx: CliContext): Promise<void> {
  const { out, env } = ctx;
  const candidates = [
    hooksFileFor('user', ctx.cwd, env),
    hooksFileFor('project', pauseKeyFor(ctx.cwd), env),
    ...installedFiles(env),
  ].filter((file) => file.endsWith('hooks.json'));
  const withOurs = candidates.filter(holdsOurHooks);
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
  // Sessions from now on run without our hooks: `import` may trace them, not those of the closed interval.
  closeHooksLive(env);
  const stopped = await stopWorkers(ctx);
  if (stopped.length > 0)
    out.line(
      `${out.green('✓')} Stopped our background worker (${count(stopped.length, 'process', 'processes')})`,
    );
  const root = statePaths(env).root;
  // Our backups sit beside the files we edited: `<file>.infinium-codex.bak`.
  const backups = [...new Set([...candidates, userConfigToml(env), ...installedFiles(env)])]
    .map((file) => `${file}.infinium-codex.bak`)
    .filter((backup) => existsSync(backup));
  // Secrets of sessions run with INFINIUM_AGENT_SECRET only (CI), kept in the state folder (first-run N17).
  const sessions = sessionSecretCount(spoolPaths(env));
  const ofSessions = `${count(sessions, 'session')} run with INFINIUM_AGENT_SECRET`;
  const agents = knownAgents(ctx);
  // Only the secrets there are: none was stored where the agent came from the environment alone.
  const stored = await storedSecretCount(agents, ctx);
  const sessionsToo = sessions > 0 ? `, and those of ${ofSessions}` : '';
  // Said only of what is there: after a purge the folder holds the record alone.
  const hasState =
    existsSync(root) && readdirSync(root).some((name) => join(root, name) !== userLiveFile(env));
  if (options.purge) {
    for (const { agentId, baseUrl } of agents) await deleteSecret(agentId, baseUrl, { env });
    const record = purgeState(root, env);
    const deleted = [
      hasState ? (record ? `everything in ${root} but one record` : root) : null,
      stored > 0
        ? `the stored secrets (${count(stored, 'agent')}${sessionsToo})`
        : sessions > 0
          ? `the secrets of ${ofSessions}`
          : null,
    ].filter((part) => part !== null);
    if (deleted.length > 0) out.line(`${out.green('✓')} Deleted ${deleted.join(' and ')}`);
    if (record) {
      out.line(`  Kept: ${record} (when our hooks were installed: times only) so that`);
      out.line(
        '  `import` never sends turns made while tracing was installed; delete it yourself to forget them.',
      );
    }
    for (const backup of backups) rmSync(backup, { force: true });
    if (backups.length > 0) out.line(`${out.green('✓')} Deleted our backups: ${backups.join(', ')}`);
    out.line('  Left as they are: project settings in .infinium/ folders and the `.infinium/` line `init`');
    out.line("  may have added to a project .gitignore (both are the project's; delete them if you wish).");
  } else {
    const kept = [
      hasState ? `${root} (history, traces still waiting, settings)` : null,
      stored > 0
        ? `the stored secret${stored > 1 ? 's' : ''}${sessionsToo}`
        : sessions > 0
          ? `the secrets of ${ofSessions}`
          : null,
    ].filter((part) => part !== null);
    if (kept.length > 0) out.line(`  Kept: ${kept.join(' and ')}`);
    if (backups.length > 0) out.line(`  Kept: our backups of the files we edited: ${backups.join(', ')}`);
    if (kept.length > 0 || backups.length > 0) {
      out.line(
        '  `infinium-codex uninstall --purge` removes them too; project .infinium/ folders stay either way.',
      );
    }
  }
  out.line(
    `Nothing of ours runs now. Last step: \`npm uninstall -g ${PACKAGE_NAME}\` (or delete the clone you ran it from).`,
  );
}
