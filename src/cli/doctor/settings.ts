// Doctor's checks on our settings here: a project file waiting for consent, a broken or missing config,
// tracing switched off or paused.
import { dirname } from 'node:path';
import { ALLOW_COMMAND } from '../../config/consent';
import { tracingDisabled } from '../../config/paths';
import { isPaused } from '../../config/pause';
import { isLocalOnly, type ResolvedConfig } from '../../config/settings';
import { describeConfigSource } from '../agent';
import type { CliContext } from '../context';
import type { Finding } from './finding';
import type { Probe } from './probe';

export function settingsFindings(probe: Probe, ctx: CliContext): Finding[] {
  const machine: Finding[] = probe.machineFilesProblem
    ? [{ check: 'config', status: 'warn', summary: probe.machineFilesProblem }]
    : [];
  return [...machine, ...ownSettingsFindings(probe, ctx)];
}

/** What a project file's note asks of the user: a file not used at all, or keys of it set aside. */
function projectNoteFix(note: string): string {
  if (note.startsWith('ignored:'))
    return 'Nothing, if it is not yours; if it is, make it yours (`chown`) and not writable by every user (`chmod o-w`).';
  if (note.endsWith('you denied this file')) return 'Run `infinium-codex allow` there to use it after all.';
  return 'Name the agent in that file too (and run `infinium-codex allow`), or remove the key.';
}

function ownSettingsFindings(probe: Probe, ctx: CliContext): Finding[] {
  if (probe.consentNeeded) {
    const { file, keys } = probe.consentNeeded;
    return [
      {
        check: 'config',
        status: 'fail',
        summary: `${file} sets ${keys.map((key) => `"${key}"`).join(', ')}, which you have not allowed on this machine; turns in this project are kept, not sent, until you decide`,
        fix: `Read ${file}, then run \`${ALLOW_COMMAND}\` in ${dirname(dirname(file))} to use it, or \`infinium-codex deny\` there to trace under your own settings.`,
      },
    ];
  }
  if (probe.configError) return [{ check: 'config', status: 'fail', summary: probe.configError }];
  if (tracingDisabled(ctx.env)) {
    return [
      {
        check: 'config',
        status: 'warn',
        summary: 'INFINIUM_CODEX_DISABLED is set: nothing is traced in this shell',
      },
    ];
  }
  const config = probe.config;
  if (!config) {
    return [
      {
        check: 'config',
        status: 'fail',
        summary: `no agent is configured for ${ctx.cwd}, so its sessions are not traced`,
        fix: 'Run `infinium-codex init` in the project folder.',
      },
    ];
  }
  if (isLocalOnly(config)) {
    return [
      {
        check: 'config',
        status: 'ok',
        summary: 'local only (`init --local`): turns are kept in local history and sent nowhere',
      },
    ];
  }
  const findings: Finding[] = [
    {
      check: 'config',
      status: 'ok',
      summary: `agent ${config.agentId} at ${config.baseUrl} (${describeConfigSource(config, ctx.env)})`,
    },
  ];
  for (const note of config.projectNotes?.notes ?? []) {
    findings.push({
      check: 'config',
      status: 'warn',
      summary: `${config.projectNotes?.file}: ${note}`,
      fix: projectNoteFix(note),
    });
  }
  if (isPaused(config.projectRoot ?? ctx.cwd, ctx.env)) {
    findings.push({
      check: 'paused',
      status: 'warn',
      summary: 'tracing is paused here',
      fix: 'Run `infinium-codex resume`.',
    });
  }
  return findings;
}

/** The agent whose secret and connection are worth checking: none while the settings fail or send nowhere. */
export function agentToReach(probe: Probe, ctx: CliContext): ResolvedConfig | null {
  const { config } = probe;
  if (probe.configError || tracingDisabled(ctx.env) || !config || isLocalOnly(config)) return null;
  return config;
}
