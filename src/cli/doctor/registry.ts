// Every family of doctor's checks, in the order doctor prints them. `doctor` runs them all; `test` runs the
// ones that say whether Codex would run our hooks at all (readiness); `status` runs those that need no
// network, to say when doctor has something to fix.
import type { CliContext } from '../context';
import { codexFindings, featureFindings } from './codex';
import { blockFindings } from './config-toml';
import { connectionFindings } from './connection';
import { diskFindings } from './disk';
import type { Finding } from './finding';
import { hookFindings } from './hooks';
import { type Probe, probe } from './probe';
import { settingsFindings } from './settings';
import { spoolFindings } from './spool';

export interface Check {
  run: (probe: Probe, ctx: CliContext) => Finding[] | Promise<Finding[]>;
  /** A failure means Codex would run no hook of ours from here. */
  readiness?: true;
  /** Asks Infinium: `status` leaves it out, and stays quick and offline. */
  network?: true;
}

export const CHECKS: readonly Check[] = [
  { run: codexFindings, readiness: true },
  { run: featureFindings, readiness: true },
  { run: hookFindings, readiness: true },
  { run: blockFindings },
  { run: settingsFindings },
  { run: connectionFindings, network: true },
  { run: (probe, ctx) => spoolFindings(probe.spool(), ctx) },
  { run: (_probe, ctx) => diskFindings(ctx) },
];

/**
 * Looks once (unless given what was seen), then runs `checks` in order (one at a time: the connection check
 * may show a spinner).
 */
export async function runChecks(
  ctx: CliContext,
  checks: readonly Check[] = CHECKS,
  seen?: Probe,
): Promise<{ probe: Probe; findings: Finding[] }> {
  const found = seen ?? (await probe(ctx));
  const findings: Finding[] = [];
  for (const check of checks) findings.push(...(await check.run(found, ctx)));
  return { probe: found, findings };
}
