// Doctor's checks on Codex itself: the program on PATH and its version, whether its hooks feature is on
// (config.toml, an administrator's policy) and whether hook trust is bypassed.
import { userConfigToml } from '../../codex/install';
import { adminPolicy, hookTrustBypass } from '../../codex/system';
import { codexNeeds, tooOldProblem, UPGRADE_COMMAND } from '../../codex/version';
import type { CliContext } from '../context';
import type { Finding } from './finding';
import type { Probe } from './probe';

export function codexFindings(probe: Probe): Finding[] {
  const { codex } = probe;
  if (!codex.found) {
    return [
      {
        check: 'codex',
        status: 'fail',
        summary: `${codex.detail}, so nothing can run our hooks from this shell`,
        fix: 'Install Codex (npm i -g @openai/codex), or put it on PATH.',
      },
    ];
  }
  if (codex.version && !codexNeeds(codex.version).supported) {
    return [
      {
        check: 'codex',
        status: 'fail',
        summary: tooOldProblem(codex.version),
        fix: `Update it with \`${UPGRADE_COMMAND}\`.`,
      },
    ];
  }
  return [{ check: 'codex', status: 'ok', summary: codex.detail }];
}

export function featureFindings(probe: Probe, ctx: CliContext): Finding[] {
  const findings: Finding[] = [];
  const admin = adminPolicy(ctx.env);
  if (admin.hooksDisabled) {
    findings.push({
      check: 'hooks-enabled',
      status: 'fail',
      summary: `an administrator turned Codex hooks off in ${admin.hooksDisabled}`,
      fix: 'Ask your administrator to allow hooks, or install ours in the managed layer (`sudo infinium-codex init --system`).',
    });
  }
  if (admin.managedHooksOnly && probe.hooks.length > 0 && probe.scope !== 'system') {
    findings.push({
      check: 'hooks-enabled',
      status: 'fail',
      summary: 'an administrator allows only managed hooks, so Codex ignores ours in your own hooks.json',
      fix: 'Ask your administrator to run `infinium-codex init --system`.',
    });
  }
  const verdict = probe.feature;
  if (!verdict.on) {
    findings.push({
      check: 'hooks-enabled',
      status: 'fail',
      summary: verdict.offBy
        ? `hooks are turned off in ${userConfigToml(ctx.env)} ([features] ${verdict.offBy} = false)`
        : verdict.reason,
      ...(verdict.fixable
        ? { fix: 'Run `infinium-codex doctor --fix` (or update Codex).', repair: 'hooks' as const }
        : { fix: 'Remove that line (or set it to true).' }),
    });
  }
  if (findings.length === 0) findings.push({ check: 'hooks-enabled', status: 'ok', summary: verdict.reason });
  const bypass = hookTrustBypass(probe.toml) ? userConfigToml(ctx.env) : admin.trustBypass;
  if (bypass) {
    findings.push({
      check: 'hook-trust',
      status: 'warn',
      summary: `bypass_hook_trust = true in ${bypass}: Codex runs every hook without review, a cloned project's included`,
      fix: 'Remove that line: our hooks are trusted one by one (`infinium-codex doctor --fix`) and need no bypass.',
    });
  }
  return findings;
}
