// Doctor's checks on our hooks in Codex's hooks.json: all there for the capture mode, runnable, trusted and
// enabled, in one layer only, and in a trusted project when they are the project's.
import { eventsFor } from '../../codex/install';
import { systemHooksFile } from '../../codex/system';
import { codexNeeds } from '../../codex/version';
import { describeFrontEnds } from '../agent';
import type { CliContext } from '../context';
import { projectTrusted } from '../project-trust';
import type { Finding } from './finding';
import { brokenFrontEnd } from './front-end';
import type { Probe } from './probe';

export function hookFindings(probe: Probe, ctx: CliContext): Finding[] {
  if (probe.hooksError) return [{ check: 'hooks', status: 'fail', summary: probe.hooksError }];
  const { capture } = probe;
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
    const root = probe.projectDir;
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
      summary: `${probe.hooks.length} hooks (${capture}, ${describeFrontEnds(probe.hooks, probe.nativeRefused)}) in ${probe.hooksFile}${probe.scope === 'system' ? ' (managed: no trust needed)' : needs.trust ? ', all trusted' : ''}`,
    });
  }
  return findings;
}
