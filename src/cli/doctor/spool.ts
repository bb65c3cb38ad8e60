// Doctor's look at the capture pipeline's state: traces piling up, dead traces, a worker that stopped.

import { notDueYet } from '../../infinium/retry';
import type { SpoolStats } from '../../spool';
import type { RolloutDrift } from '../../spool/history';
import type { CliContext } from '../context';
import { updateAdvice } from '../install-source';
import { count } from '../output';
import type { Finding } from './finding';

/**
 * Failures of waiting traces that do not pass by themselves, with what to do (OutboxEntry.lastErrorKind):
 * something other than Infinium answers at the base URL. Other kinds (network, server, timeout, rate
 * limit) are retried with backoff and only warned about.
 */
const LASTING_FAILURES: Record<string, string> = {
  not_infinium:
    'Something other than Infinium answers at the base URL (a proxy, captive portal or web front-end): run `infinium-codex init` with the right `--base-url`, then `infinium-codex retry`.',
  redirect:
    'If the address it points to is Infinium, run `infinium-codex init` with it as `--base-url`; then `infinium-codex retry`.',
  unexpected_response:
    'Check the base URL (`infinium-codex init --base-url ...`), then run `infinium-codex retry`.',
};

/** More queued than a worker run clears in normal use: something keeps them from leaving. */
const OUTBOX_BACKLOG = 50;
const SPOOL_BACKLOG = 1_000;

export function spoolFindings(stats: SpoolStats, ctx: CliContext, nowMs = Date.now()): Finding[] {
  const findings: Finding[] = [];
  if (stats.outboxNoSecret > 0) {
    findings.push({
      check: 'outbox',
      status: 'fail',
      summary: `${count(stats.outboxNoSecret, 'trace')} ${stats.outboxNoSecret === 1 ? 'waits' : 'wait'} because no secret is stored for their agent`,
      fix: 'Run `infinium-codex update-credentials --agent-secret-stdin`, then `infinium-codex retry`.',
    });
  } else if (stats.outboxFailures.length > 0) {
    for (const failure of stats.outboxFailures) {
      const fix = LASTING_FAILURES[failure.kind];
      findings.push({
        check: 'outbox',
        status: fix ? 'fail' : 'warn',
        summary: `${count(failure.count, 'trace')} ${failure.count === 1 ? 'waits' : 'wait'}: ${failure.lastError}`,
        fix:
          fix ?? `Nothing to do if it passes: next try ${describeNextTry(failure.nextAttemptAtMs, nowMs)}.`,
      });
    }
  } else if (stats.outbox > OUTBOX_BACKLOG) {
    findings.push({
      check: 'outbox',
      status: 'warn',
      summary: `${stats.outbox} traces are waiting to be sent (the API may be unreachable)`,
      fix: 'Check the api finding above, then run `infinium-codex retry`.',
    });
  }
  if (stats.dead > 0) {
    findings.push({
      check: 'dead',
      status: 'warn',
      summary: `${count(stats.dead, 'trace')} could not be sent (\`infinium-codex history\` says why)`,
      fix: 'Once the cause is fixed (e.g. new credentials), run `infinium-codex doctor --fix` or `infinium-codex retry --dead`.',
      repair: 'dead',
    });
  }
  if (stats.notOurs.length > 0) {
    findings.push({
      check: 'outbox',
      status: 'warn',
      summary: `${count(stats.notOurs.length, 'queued trace')} of another user ${stats.notOurs.length === 1 ? 'was' : 'were'} set aside, never sent (${stats.notOurs.join(', ')})`,
      fix: 'Someone else wrote into your state folder while others could enter it: look at them and remove them, and keep the folder closed (chmod 700).',
    });
  }
  if (stats.spooledEvents > SPOOL_BACKLOG) {
    findings.push({
      check: 'spool',
      status: 'warn',
      summary: `${stats.spooledEvents} hook events are waiting to be built into traces: the worker may not be running`,
      fix: 'Look at the worker log in the logs folder; `infinium-codex retry` runs a send now.',
    });
  }
  for (const reason of stats.waiting) {
    findings.push({
      check: 'spool',
      status: 'warn',
      summary: `hook events wait in the spool: ${reason}`,
      fix: 'Fix or decide on the file named (its turns are kept meanwhile); the next turn or `infinium-codex status` builds them.',
    });
  }
  for (const note of stats.settingNotes) {
    findings.push({
      check: 'session-settings',
      status: 'warn',
      summary: note,
      fix: 'Check the variable in the shell that starts Codex (docs/configuration.md lists the values).',
    });
  }
  if (stats.corruptSkipped > 0) {
    findings.push({
      check: 'spool',
      status: 'warn',
      summary: `${count(stats.corruptSkipped, 'unreadable hook event')} ${stats.corruptSkipped === 1 ? 'was' : 'were'} set aside`,
    });
  }
  if (findings.length === 0) {
    findings.push({
      check: 'queue',
      status: 'ok',
      summary: `${stats.outbox} waiting, ${stats.dead} dead, ${stats.spooledEvents} events spooled`,
    });
  }
  for (const drift of stats.rolloutDrift) {
    findings.push({
      check: 'rollout',
      status: 'warn',
      summary: describeDrift(drift),
      fix: `Traces of those turns may miss what these lines hold: update the connector (${updateAdvice(ctx.target.distDir)}), or report the line types.`,
    });
  }
  return findings;
}

/**
 * When a waiting trace is tried again. No timer runs in the background: a worker starts when a Codex turn
 * ends, and sends what is due then (its backoff over) and what waits for a base URL that just took a trace.
 */
export function describeNextTry(nextAttemptAtMs: number, nowMs: number): string {
  const when = notDueYet({ nextAttemptAtMs }, nowMs)
    ? `the first Codex turn that ends in ${describeWait(nextAttemptAtMs - nowMs)} or later`
    : 'your next Codex turn';
  return `with ${when}, or now with \`infinium-codex retry\``;
}

/** "40 s", "3 min", "2 h", rounded up: never sooner than said. */
export function describeWait(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.ceil(seconds / 60)} min`;
  return `${Math.ceil(seconds / 3600)} h`;
}

/**
 * One sentence per Codex version: "Codex 0.171.0 wrote 2 kinds of lines we do not read:
 * event_msg:new_event (3), response_item:new_call (1)" (the drift sentinel; type names only).
 */
export function describeDrift(drift: RolloutDrift): string {
  const kinds = Object.entries(drift.unread);
  const list = kinds
    .slice(0, 5)
    .map(([type, count]) => `${type} (${count})`)
    .join(', ');
  const more = kinds.length > 5 ? `, and ${kinds.length - 5} more` : '';
  return `Codex ${drift.codexVersion} wrote ${kinds.length} kind${kinds.length === 1 ? '' : 's'} of lines we do not read: ${list}${more}`;
}
