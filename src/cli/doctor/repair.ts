// `doctor --fix`: the safe repairs, rewriting our hooks (current node and script paths, the capture mode's
// events) and their trust entries, and re-queuing dead traces once the credentials work again.
import { CodexFileError } from '../../codex/hooks-file';
import { type InstallResult, installHooks } from '../../codex/install';
import { codexNeeds } from '../../codex/version';
import { hookTarget } from '../agent';
import type { CliContext } from '../context';
import { count } from '../output';
import type { Finding } from './finding';
import type { Probe } from './probe';

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
  // Only config.toml changed: trust entries written again, or our block moved (said below).
  if (result.movedBlock) return [];
  if (trusted && found.hooks.some((hook) => hook.trust !== 'trusted' && hook.trust !== 'managed'))
    return [`trusted our ${capture} hooks in ${result.configToml}${turnedOn}`];
  return turnedOn ? [`turned hooks on in ${result.configToml} ([features] codex_hooks = true)`] : [];
}

/** What `doctor --fix` changed, and what it would not or could not change, with why. */
export interface Repairs {
  fixed: string[];
  notFixed: string[];
}

export async function repair(findings: Finding[], found: Probe, ctx: CliContext): Promise<Repairs> {
  const done: string[] = [];
  const notFixed: string[] = [];
  const hooksBroken = findings.some((f) => f.repair === 'hooks' && f.status !== 'ok');
  if (hooksBroken && found.scope === 'system') {
    notFixed.push('the managed hooks: run `sudo infinium-codex init --system` to rewrite them');
  } else if (hooksBroken && found.scope !== 'system') {
    const { capture } = found;
    try {
      const result = installHooks({
        scope: found.scope,
        projectDir: found.projectDir,
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
      if (result.movedBlock) {
        done.push(
          `moved our entries in ${result.configToml} above your tables (earlier builds put them at the end, where Codex adds its own)`,
        );
      }
      if (result.movedUserHooks.length > 0) {
        done.push(
          `(your own hooks ${result.movedUserHooks.join(', ')} moved up a place: approve them again in Codex with /hooks)`,
        );
      }
    } catch (error) {
      if (!(error instanceof CodexFileError)) throw error;
      notFixed.push(`the hooks: ${error.message}`);
    }
  }
  if (
    findings.some((f) => f.repair === 'dead') &&
    !findings.some((f) => f.check === 'api' && f.status === 'fail')
  ) {
    const { recoverOutbox } = await import('../../worker/deliver');
    const recovery = await recoverOutbox(ctx.env, { dead: true });
    if (!recovery)
      notFixed.push('the dead traces: a worker is busy; run `infinium-codex retry --dead` later');
    else {
      const { retargetedTraces } = await import('../retry');
      done.push(
        `re-queued ${count(recovery.requeued, 'dead trace')}; they are sent on the next worker run or \`infinium-codex retry\``,
        ...recovery.retargeted.map((move) => retargetedTraces(move).replace(/^./, (c) => c.toLowerCase())),
      );
    }
  }
  return { fixed: done, notFixed };
}
