// `infinium-codex doctor`: every way traces can silently vanish, each with its fix (the families of checks
// are in registry.ts); `--fix` applies the safe ones (repair.ts).
import type { CliContext } from '../context';
import { ExitCode } from '../errors';
import { count } from '../output';
import type { Finding } from './finding';
import { CHECKS, runChecks } from './registry';
import { repair } from './repair';

export interface DoctorOptions {
  fix?: boolean;
  json?: boolean;
}

/** "No problems found.", "No problems; 2 warnings.", "1 problem and 1 warning found." */
function doctorSummary(failed: number, warned: number): string {
  if (failed === 0) return warned === 0 ? 'No problems found.' : `No problems; ${count(warned, 'warning')}.`;
  return `${count(failed, 'problem')}${warned > 0 ? ` and ${count(warned, 'warning')}` : ''} found.`;
}

/**
 * The checks whose failure means Codex would run no hook of ours from here (Codex missing or too old, hooks
 * off, ours missing, broken or untrusted): `test` fails on them, so it is never green while turns would go
 * untraced.
 */
export async function hookReadiness(ctx: CliContext): Promise<Finding[]> {
  const { findings } = await runChecks(
    ctx,
    CHECKS.filter((check) => check.readiness),
  );
  return findings.filter((finding) => finding.status === 'fail');
}

export async function doctor(options: DoctorOptions, baseCtx: CliContext): Promise<void> {
  const ctx: CliContext = { ...baseCtx, machineOutput: options.json === true };
  const { out } = ctx;
  let { probe: found, findings } = await runChecks(ctx);
  let fixed: string[] = [];
  let notFixed: string[] = [];
  if (options.fix) {
    ({ fixed, notFixed } = await repair(findings, found, ctx));
    if (fixed.length > 0) ({ probe: found, findings } = await runChecks(ctx));
  }
  const failed = findings.filter((f) => f.status === 'fail').length;
  if (options.json) out.json({ ok: failed === 0, fixed, notFixed, findings });
  else {
    for (const action of fixed) out.line(`${out.green('✓')} Fixed: ${action}`);
    for (const refusal of notFixed) out.line(`${out.yellow('!')} Not fixed: ${refusal}`);
    for (const finding of findings) {
      const mark =
        finding.status === 'ok' ? out.green('✓') : finding.status === 'warn' ? out.yellow('!') : out.red('✗');
      out.line(`${mark} ${finding.check}: ${finding.summary}`);
      if (finding.status !== 'ok' && finding.fix) out.line(`    fix: ${finding.fix}`);
    }
    out.line(doctorSummary(failed, findings.filter((f) => f.status === 'warn').length));
  }
  if (failed > 0) throw new ExitCode(1);
}
