// `infinium-codex status`: what is set up here (project, agent, secret, hooks, Codex) and what the worker
// has done (queued, dead, last sent).
import { existsSync } from 'node:fs';
import { CodexFileError } from '../codex/hooks-file';
import { hooksFileFor, inspectHooks } from '../codex/install';
import { codexNeeds, formatVersion } from '../codex/version';
import { ALLOW_COMMAND } from '../config/consent';
import { loadConfigSecret } from '../config/credentials';
import { statePaths } from '../config/paths';
import { isPaused } from '../config/pause';
import { isLocalOnly } from '../config/settings';
import { readHistory } from '../spool';
import { describeConfigSource, describeFrontEnds, describeSecretSource } from './agent';
import type { CliContext } from './context';
import { costToday, describeCostToday } from './cost';
import { probe } from './doctor/probe';
import { CHECKS, runChecks } from './doctor/registry';
import { describeDrift, describeNextTry } from './doctor/spool';
import { ExitCode } from './errors';
import { latestPerTurn, relativeTime } from './history';
import { count } from './output';
import { projectTrusted } from './project-trust';
import { startWorker } from './worker-start';

export interface StatusOptions {
  json?: boolean;
}

export async function status(options: StatusOptions, ctx: CliContext, nowMs = Date.now()): Promise<void> {
  const { out, env } = ctx;
  // A broken config file is reported, not thrown: `--json` always prints JSON (first-run m5).
  const setup = await probe(ctx);
  const { codex, config, configError, feature, machineFilesProblem, toml, layers } = setup;
  if (setup.hooksError) throw new CodexFileError(setup.hooksError);
  const consentNeeded = setup.consentNeeded && {
    file: setup.consentNeeded.file,
    keys: setup.consentNeeded.keys,
    command: ALLOW_COMMAND,
  };
  const secret =
    config && !isLocalOnly(config) ? await loadConfigSecret(config, { env, machineFilesProblem }) : null;
  const root = config?.projectRoot ?? setup.projectDir;
  // The project's hooks too, where the probe stopped at the user's (a project's own may count twice).
  const projectFile = hooksFileFor('project', root, env);
  const projectHooks =
    layers.project ??
    (existsSync(projectFile) ? inspectHooks(projectFile, env, process.platform, { toml }) : []);
  const hooks = [...layers.user, ...projectHooks, ...layers.managed];
  const needsTrust = codexNeeds(codex.version).trust;
  const stats = setup.spool();
  // Spooled events may hold a turn that is over (an interrupt on a Codex before 0.150, which has no
  // Interrupt hook): a worker builds it now instead of at the next prompt.
  if (stats.spooledEvents > 0 && !stats.workerRunning) startWorker(ctx.target.distDir, env);
  const report = {
    project: root,
    projectName: config?.projectName ?? null,
    configError,
    agentId: config?.agentId ?? null,
    baseUrl: config?.baseUrl ?? null,
    configSource: config?.source ?? null,
    // The file (or `environment`, `default`) each effective setting came from.
    settingSources: config?.sources ?? null,
    // A project file waiting for `infinium-codex allow`: its turns are kept, not sent.
    consentNeeded,
    projectFileNotes: config?.projectNotes ?? null,
    // The machine-wide files (`init --system`) are ignored: another user could write them.
    machineFilesProblem,
    granularity: config?.granularity ?? null,
    contentMode: config?.contentMode ?? null,
    capture: setup.capture,
    secretSource: secret?.source ?? null,
    secretFile: secret?.source === 'file' ? statePaths(env).credentials : null,
    codexVersion: codex.version ? formatVersion(codex.version) : null,
    hooks: {
      installed: hooks.length,
      // What our POSIX commands run: native, hook.sh, or both when two files differ (null: none installed).
      frontEnd: describeFrontEnds(hooks, setup.nativeRefused) || null,
      files: [...new Set(hooks.map((hook) => hook.key.slice(0, hook.key.indexOf('.json:') + 5)))],
      // Managed hooks run without trust: they count as trusted.
      trusted: hooks.filter((hook) => hook.trust === 'trusted' || hook.trust === 'managed').length,
      trustRequired: needsTrust,
      featureOn: feature.on,
      // Project hooks run only in a project Codex trusts (doctor's project-trust check).
      projectTrusted: projectHooks.length > 0 && needsTrust ? projectTrusted(toml, root) : null,
    },
    paused: isPaused(root, env),
    // The queue and the last trace are the machine's, across every project.
    spooledEvents: stats.spooledEvents,
    outbox: stats.outbox,
    // Why waiting traces failed, by kind (a network outage, an answer that is not Infinium's, ...).
    outboxFailures: stats.outboxFailures,
    dead: stats.dead,
    workerRunning: stats.workerRunning,
    lastSent: stats.lastSent
      ? {
          time: stats.lastSent.time,
          traceId: stats.lastSent.traceId ?? null,
          project: stats.lastSent.project,
        }
      : null,
    rolloutDrift: stats.rolloutDrift,
    // Of the turns the worker handled today (local time), across every project.
    costToday: costToday(latestPerTurn(readHistory(env)), nowMs),
    // Why spooled turns wait, and what was done with sessions' own settings that could not be used as given.
    waiting: stats.waiting,
    sessionSettingNotes: stats.settingNotes,
  };
  if (options.json) {
    out.json(report);
    if (configError) throw new ExitCode(1);
    return;
  }
  const yes = (ok: boolean, text: string) => `${ok ? out.green('✓') : out.red('✗')} ${text}`;
  out.line(`Project:   ${report.project}${report.projectName ? ` (${report.projectName})` : ''}`);
  if (configError) out.line(`Config:    ${out.red('✗')} ${configError}`);
  out.line(
    config && isLocalOnly(config)
      ? `Agent:     none yet: local only (\`init --local\`), turns are kept in local history and sent nowhere`
      : config
        ? `Agent:     ${config.agentId} at ${config.baseUrl} (${describeConfigSource(config, env)}; ${config.granularity}, ${config.contentMode})`
        : `Agent:     ${out.red('none')}: sessions here are not traced; run \`infinium-codex init\``,
  );
  if (machineFilesProblem) out.line(`Settings:  ${out.yellow(machineFilesProblem)}`);
  for (const note of config?.projectNotes?.notes ?? [])
    out.line(`Settings:  ${out.yellow(`${config?.projectNotes?.file}: ${note}`)}`);
  // Local only: no secret is needed, so none is missing.
  if (config && !isLocalOnly(config))
    out.line(
      `Secret:    ${secret ? describeSecretSource(secret.source, env) : out.red(`none stored for ${config.agentId} at ${new URL(config.baseUrl).origin}`)}`,
    );
  out.line(`Codex:     ${codex.found ? codex.detail : out.red(codex.detail)}`);
  const allTrusted = report.hooks.trusted === hooks.length && hooks.length > 0;
  out.line(
    `Hooks:     ${[
      yes(
        hooks.length > 0,
        `${hooks.length} installed (${[report.capture, report.hooks.frontEnd].filter(Boolean).join(', ')})`,
      ),
      needsTrust ? yes(allTrusted, `${report.hooks.trusted} trusted`) : '',
      yes(report.hooks.featureOn, 'feature on'),
      report.hooks.projectTrusted === false ? yes(false, 'project not trusted') : '',
    ]
      .filter(Boolean)
      .join('  ')}`,
  );
  if (report.paused)
    out.line(`Paused:    ${out.yellow('yes')}; \`infinium-codex resume\` turns tracing back on`);
  out.line(
    `Queue:     ${stats.spooledEvents} events spooled, ${stats.outbox} waiting, ${stats.dead} dead${stats.workerRunning ? ' (worker running)' : ''} (all projects)`,
  );
  for (const reason of stats.waiting) out.line(`Waiting:   ${out.yellow(reason)}`);
  for (const note of stats.settingNotes) out.line(`Session:   ${out.yellow(note)}`);
  for (const failure of stats.outboxFailures) {
    out.line(`Failing:   ${out.yellow(`${count(failure.count, 'waiting trace')}: ${failure.lastError}`)}`);
  }
  if (stats.outboxFailures.length > 0) {
    const soonest = Math.min(...stats.outboxFailures.map((failure) => failure.nextAttemptAtMs));
    out.line(`Next try:  ${describeNextTry(soonest, nowMs)}`);
  }
  out.line(
    `Last sent: ${report.lastSent ? `${relativeTime(report.lastSent.time, nowMs)}, ${report.lastSent.project} ${report.lastSent.traceId ?? ''}`.trimEnd() : 'nothing yet'}`,
  );
  out.line(`Today:     ${describeCostToday(report.costToday)}`);
  for (const drift of stats.rolloutDrift) out.line(`Rollout:   ${out.yellow(describeDrift(drift))}`);
  if (!feature.on) out.line(`Feature:   ${out.red(feature.reason)}`);
  // What doctor would flag here, offline: its checks are the one list of what can go wrong.
  const { findings } = await runChecks(
    ctx,
    CHECKS.filter((check) => !check.network),
    setup,
  );
  const problems =
    findings.some((finding) => finding.status !== 'ok') ||
    configError !== null ||
    hooks.length === 0 ||
    (needsTrust && !allTrusted) ||
    !feature.on ||
    report.hooks.projectTrusted === false ||
    stats.outboxFailures.length > 0 ||
    stats.waiting.length > 0 ||
    stats.dead > 0;
  if (problems) out.line(out.yellow('Run `infinium-codex doctor` for the fix.'));
  if (configError) throw new ExitCode(1);
}
