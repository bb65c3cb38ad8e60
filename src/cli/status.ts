// `infinium-codex status`: what is set up here (project, agent, secret, hooks, Codex) and what the worker
// has done (queued, dead, last sent).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hooksFeature, readConfigToml } from '../codex/config-toml';
import { hooksFileFor, inspectHooks, inspectManagedHooks, userConfigToml } from '../codex/install';
import { codexNeeds, detectCodex, formatVersion, judgeHooksFeature } from '../codex/version';
import { loadSecret } from '../config/credentials';
import { type Env, statePaths } from '../config/paths';
import { isPaused, pauseKeyFor } from '../config/pause';
import { configuredCapture, resolveConfig } from '../config/settings';
import { spoolStats } from '../spool';
import { describeSecretSource } from './agent';
import type { CliContext } from './context';
import { describeDrift } from './doctor-spool';

export interface StatusOptions {
  json?: boolean;
}

export async function status(options: StatusOptions, ctx: CliContext): Promise<void> {
  const { out, env } = ctx;
  const config = resolveConfig(ctx.cwd, env);
  const secret = config ? await loadSecret(config.agentId, { env }) : null;
  const codex = await detectCodex(env);
  const userFile = hooksFileFor('user', ctx.cwd, env);
  const projectFile = hooksFileFor('project', pauseKeyFor(ctx.cwd), env);
  const hooks = [
    ...inspectHooks(userFile, env),
    ...(existsSync(projectFile) ? inspectHooks(projectFile, env) : []),
    ...inspectManagedHooks(env),
  ];
  const needsTrust = codexNeeds(codex.version).trust;
  const feature = judgeHooksFeature(codex.version, hooksFeature(readConfigToml(userConfigToml(env)).parsed));
  const stats = spoolStats(env);
  // Spooled events may hold a turn that is over (an interrupt on a Codex before 0.150, which has no
  // Interrupt hook): a worker builds it now instead of at the next prompt.
  if (stats.spooledEvents > 0 && !stats.workerRunning) startWorker(ctx.target.distDir, env);
  const report = {
    project: config?.projectRoot ?? pauseKeyFor(ctx.cwd),
    projectName: config?.projectName,
    agentId: config?.agentId ?? null,
    baseUrl: config?.baseUrl,
    configSource: config?.source,
    granularity: config?.granularity,
    contentMode: config?.contentMode,
    capture: configuredCapture(env),
    secret: secret
      ? secret.source === 'file'
        ? `file ${statePaths(env).credentials}`
        : secret.source
      : null,
    codexVersion: codex.version ? formatVersion(codex.version) : null,
    hooks: {
      installed: hooks.length,
      files: [...new Set(hooks.map((hook) => hook.key.slice(0, hook.key.indexOf('.json:') + 5)))],
      // Managed hooks run without trust: they count as trusted.
      trusted: hooks.filter((hook) => hook.trust === 'trusted' || hook.trust === 'managed').length,
      trustRequired: needsTrust,
      featureOn: feature.on,
    },
    paused: isPaused(config?.projectRoot ?? pauseKeyFor(ctx.cwd), env),
    spooledEvents: stats.spooledEvents,
    outbox: stats.outbox,
    dead: stats.dead,
    workerRunning: stats.workerRunning,
    lastSent: stats.lastSent
      ? { time: stats.lastSent.time, traceId: stats.lastSent.traceId, project: stats.lastSent.project }
      : null,
    rolloutDrift: stats.rolloutDrift,
  };
  if (options.json) {
    out.json(report);
    return;
  }
  const yes = (ok: boolean, text: string) => `${ok ? out.green('✓') : out.red('✗')} ${text}`;
  out.line(`Project:   ${report.project}${report.projectName ? ` (${report.projectName})` : ''}`);
  out.line(
    config
      ? `Agent:     ${config.agentId} at ${config.baseUrl} (${config.source} settings; ${config.granularity}, ${config.contentMode})`
      : `Agent:     ${out.red('none')}: sessions here are not traced; run \`infinium-codex init\``,
  );
  if (config)
    out.line(`Secret:    ${secret ? describeSecretSource(secret.source, env) : out.red('not stored')}`);
  out.line(`Codex:     ${codex.found ? codex.detail : out.red(codex.detail)}`);
  out.line(
    `Hooks:     ${yes(hooks.length > 0, `${hooks.length} installed (${report.capture})`)}  ${needsTrust ? yes(report.hooks.trusted === hooks.length && hooks.length > 0, `${report.hooks.trusted} trusted`) : ''}  ${yes(report.hooks.featureOn, 'feature on')}`,
  );
  if (report.paused) out.line(`Paused:    ${out.yellow('yes')}: \`infinium-codex resume\``);
  out.line(
    `Queue:     ${stats.spooledEvents} events spooled, ${stats.outbox} waiting, ${stats.dead} dead${stats.workerRunning ? ' (worker running)' : ''}`,
  );
  out.line(
    `Last sent: ${report.lastSent ? `${report.lastSent.time} ${report.lastSent.project} ${report.lastSent.traceId ?? ''}` : 'nothing yet'}`,
  );
  for (const drift of stats.rolloutDrift) out.line(`Rollout:   ${out.yellow(describeDrift(drift))}`);
  if (!feature.on) out.line(`Feature:   ${out.red(feature.reason)}`);
  if (hooks.length === 0 || !feature.on || (needsTrust && report.hooks.trusted < hooks.length)) {
    out.line(out.yellow('Run `infinium-codex doctor` for the fix.'));
  }
}

/** Starts the detached worker beside the running bundle (dist/worker.mjs), as a hook does. */
function startWorker(distDir: string, env: Env): void {
  const worker = join(distDir, 'worker.mjs');
  if (!existsSync(worker)) return;
  spawn(process.execPath, [worker], { detached: true, stdio: 'ignore', env }).unref();
}
