// `infinium-codex import --since <when> [--project DIR] [--dry-run] [--yes] [--json]`: traces past Codex
// sessions from their rollouts, turn by turn, with the keys live tracing uses, so nothing is sent twice
// (src/worker/import.ts). Asks before sending on a terminal; elsewhere it needs --yes.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { codexHome } from '../config/paths';
import { composeSessionTrace, composeTurnTrace } from '../worker/compose';
import {
  type ImportPlan,
  type ImportProgress,
  type ImportResult,
  type PlannedSession,
  type PlannedTurn,
  parseSince,
  pastRollouts,
  planImport,
  runImport,
  type SkipReason,
} from '../worker/import';
import type { CliContext } from './context';
import { ExitCode, UserError } from './errors';
import { count } from './output';
import * as prompts from './prompts';
import { cancelled } from './secret-input';
import { startWorker } from './worker-start';

export interface ImportOptions {
  since?: string;
  project?: string;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  includeUnrecorded?: boolean;
}

const REASONS: Record<SkipReason, string> = {
  traced: 'already traced',
  traced_without_ids: 'traced live without turn ids (Codex 0.114-0.116), cannot be matched',
  in_progress: 'in progress (its end is not in the rollout yet)',
  no_agent: 'no agent configured for its folder',
  paused: 'project paused',
  config_error: 'broken config file',
  unrecorded:
    'made while our hooks were installed, which kept nothing of it (tracing was off in that session, or the project paused); --include-unrecorded imports it',
};

export async function importSessions(options: ImportOptions, ctx: CliContext): Promise<void> {
  const { out, env } = ctx;
  if (options.since === undefined) {
    throw new UserError(
      '`import` needs --since: how far back to look, e.g. `--since 7d` or `--since 2026-11-01` (see `infinium-codex import --help`).',
      undefined,
      2,
    );
  }
  const sinceMs = parseSince(options.since, Date.now());
  if (sinceMs === null) {
    throw new UserError(
      `--since takes a date (2026-11-01), a date and time (2026-11-01T09:30) or a number of days (7d), not "${options.since}".`,
      undefined,
      2,
    );
  }
  const project = options.project === undefined ? undefined : resolve(ctx.cwd, options.project);
  if (project !== undefined && !isFolder(project)) {
    throw new UserError(`--project ${options.project}: there is no such folder.`, undefined, 2);
  }
  const files = await pastRollouts(env);
  if (files === null) {
    throw new UserError(
      `There are no Codex sessions in ${codexHome(env)}: set CODEX_HOME to the folder Codex keeps them in.`,
    );
  }
  const plan = await planImport(env, files, {
    sinceMs,
    project,
    includeUnrecorded: options.includeUnrecorded === true,
  });
  const toImport = turnsToImport(plan);
  const header = { since: new Date(sinceMs).toISOString(), project: project ?? null };

  if (options.dryRun) {
    if (options.json) out.json({ dryRun: true, ...header, ...planJson(plan) });
    else {
      printPlan(ctx, plan);
      out.line(`Would import ${turnsOf(toImport, plan)}.${skippedSentence(plan)}`);
      out.line(out.dim('Nothing was sent or written (--dry-run).'));
    }
    return;
  }
  if (toImport === 0) {
    if (options.json) out.json({ dryRun: false, ...header, ...planJson(plan), result: null });
    else out.line(`Nothing to import.${skippedSentence(plan)}`);
    return;
  }
  if (!options.yes) {
    if (options.json) {
      throw new UserError(
        'import --json prints only JSON, so it cannot ask first: pass --yes as well.',
        undefined,
        2,
      );
    }
    if (!ctx.interactive) {
      throw new UserError(
        `import would send ${count(toImport, 'trace')} to Infinium and asks first, which needs a terminal: pass --yes to import without asking.`,
        undefined,
        2,
      );
    }
    const go = cancelled(
      await prompts.confirm({
        message: `Trace ${turnsOf(toImport, plan)} to Infinium now? (--dry-run lists them)`,
        initialValue: true,
      }),
    );
    if (!go) {
      out.line('Nothing was imported.');
      return;
    }
  }

  const result = await withImportProgress(ctx, options, toImport, plan.sessions.length, (onProgress) =>
    runImport(env, plan, {
      composer: { composeTurnTrace, composeSessionTrace },
      startWorker: () => startWorker(ctx.target.distDir, env),
      onProgress,
    }),
  );
  if (options.json) out.json({ dryRun: false, ...header, ...planJson(plan), result });
  else printResult(ctx, plan, result);
  if (result.failed > 0 || result.queued > 0 || result.busy) throw new ExitCode(1);
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function turnsToImport(plan: ImportPlan): number {
  return plan.sessions.flatMap((s) => s.turns).filter((t) => t.action === 'import').length;
}

/** `3 turns of 2 sessions`: the sessions counted are those with a turn to import. */
function turnsOf(turns: number, plan: ImportPlan): string {
  const sessions = plan.sessions.filter((s) => s.turns.some((t) => t.action === 'import')).length;
  return `${count(turns, 'turn')} of ${count(sessions, 'session')}`;
}

function skipCounts(plan: ImportPlan): Record<SkipReason, number> {
  const counts: Record<SkipReason, number> = {
    traced: 0,
    traced_without_ids: 0,
    in_progress: 0,
    no_agent: 0,
    paused: 0,
    config_error: 0,
    unrecorded: 0,
  };
  for (const turn of plan.sessions.flatMap((s) => s.turns)) if (turn.reason) counts[turn.reason] += 1;
  return counts;
}

/** ` Skipped: 2 turns already traced, 1 turn in progress ...` (empty when nothing was skipped). */
function skippedSentence(plan: ImportPlan): string {
  const counts = skipCounts(plan);
  const parts = (Object.keys(counts) as SkipReason[])
    .filter((reason) => counts[reason] > 0)
    .map((reason) => {
      const sessions = plan.sessions.filter((s) => s.turns.some((t) => t.reason === reason)).length;
      return `${count(counts[reason], 'turn')} (${count(sessions, 'session')}) ${REASONS[reason]}`;
    });
  if (plan.subagentRollouts > 0) {
    parts.push(`${count(plan.subagentRollouts, 'sub-agent rollout')} (part of their parent session's turns)`);
  }
  if (plan.unreadable > 0) parts.push(`${count(plan.unreadable, 'file')} not readable as a rollout`);
  return parts.length > 0 ? ` Skipped: ${parts.join(', ')}.` : '';
}

function printPlan(ctx: CliContext, plan: ImportPlan): void {
  const { out } = ctx;
  if (plan.sessions.length === 0) out.line('No Codex session with a turn in that time.');
  for (const session of plan.sessions) {
    out.line(
      `${out.bold(`Session ${session.sessionId}`)} ${out.dim(session.project ?? session.cwd)}${
        session.wholeSession ? ' (one trace for the whole session)' : ''
      }`,
    );
    out.line(`  ${session.path}`);
    for (const turn of session.turns) out.line(`  ${turnLine(ctx, turn)}`);
  }
}

function turnLine(ctx: CliContext, turn: PlannedTurn): string {
  const when = new Date(turn.startedAtMs).toISOString().replace(/\.\d+Z$/, 'Z');
  const prompt = turn.prompt === undefined ? '' : `  "${turn.prompt}"`;
  const subagents = turn.subagents ? ` (+${count(turn.subagents, 'sub-agent')})` : '';
  const verdict =
    turn.action === 'import'
      ? ctx.out.green('import')
      : ctx.out.yellow(
          `skip: ${turn.reason === 'config_error' ? turn.detail : REASONS[turn.reason as SkipReason]}`,
        );
  return `#${turn.number}  ${when}${prompt}${subagents}  ${verdict}`;
}

/** The plan for --json: camelCase keys, ISO times, null for what is not there. */
function planJson(plan: ImportPlan) {
  const counts = skipCounts(plan);
  return {
    sessions: plan.sessions.map((session: PlannedSession) => ({
      sessionId: session.sessionId,
      rolloutPath: session.path,
      cwd: session.cwd,
      project: session.project,
      wholeSession: session.wholeSession,
      turns: session.turns.map((turn) => ({
        number: turn.number,
        turnId: turn.turnId ?? null,
        key: turn.key,
        startedAt: new Date(turn.startedAtMs).toISOString(),
        prompt: turn.prompt ?? null,
        subagents: turn.subagents ?? 0,
        action: turn.action,
        reason: turn.reason ?? null,
        ...(turn.detail ? { detail: turn.detail } : {}),
      })),
    })),
    toImport: turnsToImport(plan),
    skipped: {
      traced: counts.traced,
      tracedWithoutIds: counts.traced_without_ids,
      inProgress: counts.in_progress,
      noAgent: counts.no_agent,
      paused: counts.paused,
      configError: counts.config_error,
      unrecorded: counts.unrecorded,
      subagentRollouts: plan.subagentRollouts,
      unreadable: plan.unreadable,
    },
  };
}

/**
 * Runs the import with a progress bar on a terminal (stderr; never with --json), else a plain line per
 * session once it is done.
 */
async function withImportProgress(
  ctx: CliContext,
  options: ImportOptions,
  turns: number,
  sessions: number,
  work: (onProgress: (progress: ImportProgress) => void) => Promise<ImportResult>,
): Promise<ImportResult> {
  const describe = (p: ImportProgress) =>
    `${p.sessionsDone}/${sessions} sessions, ${p.turnsDone}/${turns} turns, ${p.sent} sent, ${p.failed} failed`;
  if (options.json) return work(() => undefined);
  if (ctx.progress.isTTY !== true) {
    let sessionsDone = 0;
    return work((p) => {
      if (p.sessionsDone === sessionsDone) return;
      sessionsDone = p.sessionsDone;
      ctx.out.line(describe(p));
    });
  }
  const bar = prompts.progress({ max: Math.max(1, turns), output: ctx.progress });
  bar.start(describe({ sessionsDone: 0, turnsDone: 0, sent: 0, failed: 0 }));
  let turnsDone = 0;
  try {
    const result = await work((p) => {
      bar.advance(p.turnsDone - turnsDone, describe(p));
      turnsDone = p.turnsDone;
    });
    bar.stop(describe({ sessionsDone: sessions, turnsDone, sent: result.sent, failed: result.failed }));
    return result;
  } catch (error) {
    bar.error('Import stopped');
    throw error;
  }
}

function printResult(ctx: CliContext, plan: ImportPlan, result: ImportResult): void {
  const { out } = ctx;
  out.line(
    `Imported ${count(result.turns, 'turn')}${result.built === result.turns ? '' : ` as ${count(result.built, 'trace')}`}: ${result.sent} sent, ${result.queued} queued, ${result.failed} failed.${skippedSentence(plan)}`,
  );
  if (result.tracedMeanwhile > 0) {
    out.line(
      `${count(result.tracedMeanwhile, 'turn')} had been traced meanwhile by the live worker: not sent again.`,
    );
  }
  if (result.queued > 0)
    out.line('The worker sends the queued traces as they become due; `infinium-codex status` shows them.');
  if (result.failed > 0) out.line('`infinium-codex history` shows why a trace could not be sent.');
  if (result.busy) {
    out.line(
      out.yellow(
        'A worker held the lock for a minute: the sessions left were not imported. Run the same import again to finish.',
      ),
    );
  }
}
