// The worker as a process (dist/worker.mjs): started detached by a hook after a turn-ending event, or by
// hand. Never prints: everything goes to logs/worker.log. Flags:
//   --detach   start a detached copy of itself and exit at once (the shell hook's way where there is no
//              setsid, e.g. macOS)
//   --retry    send every outbox entry now, whatever its next-attempt time
import { spawn } from 'node:child_process';
import type { Env } from '../config/paths';
import { spoolPaths } from '../spool/layout';
import { appendLog } from '../spool/log';
import { evaluationWaitMs, pollEvaluations } from './evaluations';
import { type Composer, DEFAULT_CONFIRM_MS, DEFAULT_STALE_MS, runWorker } from './run';

export async function runWorkerProcess(
  argv: string[],
  composer: Composer,
  env: Env = process.env,
): Promise<void> {
  if (argv.includes('--detach')) {
    const rest = argv.filter((arg) => arg !== '--detach');
    spawn(process.execPath, [process.argv[1] as string, ...rest], {
      detached: true,
      stdio: 'ignore',
    }).unref();
    return;
  }
  const log = spoolPaths(env).workerLog;
  try {
    const passes = await runWorker(env, {
      composer,
      force: argv.includes('--retry'),
      staleMs: seconds(env.INFINIUM_CODEX_STALE_SECONDS, DEFAULT_STALE_MS),
      confirmMs: seconds(env.INFINIUM_CODEX_CONFIRM_SECONDS, DEFAULT_CONFIRM_MS),
    });
    for (const pass of passes) {
      // Passes that only looked again at a turn waiting for its rollout did nothing worth a line.
      if (pass.unconfirmed > 0 && pass.built + pass.sent + pass.retrying + pass.dead === 0) continue;
      appendLog(
        log,
        `pass: ${pass.built} built, ${pass.sent} sent, ${pass.retrying} to retry, ${pass.dead} dead, ` +
          `${pass.waiting} waiting, ${pass.noSecret} without secret, ${pass.dropped} dropped, ${pass.corrupt} corrupt`,
      );
    }
    // Then Maestro's evaluations of what was sent, while they are due; a poller already at work has them.
    const giveUpAfterMs = evaluationWaitMs(env);
    if (giveUpAfterMs > 0) await pollEvaluations(env, { giveUpAfterMs, linger: true });
  } catch (error) {
    appendLog(
      log,
      `worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  }
}

/**
 * A duration in seconds from the environment, in ms, else `fallback`. INFINIUM_CODEX_STALE_SECONDS: how
 * long a turn may stay silent before it is closed without its Stop; INFINIUM_CODEX_CONFIRM_SECONDS: how
 * long a closed turn waits for its rollout to confirm it.
 */
function seconds(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed > 0 ? parsed * 1000 : fallback;
}
