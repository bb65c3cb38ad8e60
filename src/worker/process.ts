// The worker as a process (dist/worker.mjs): started detached by a hook after a turn-ending event, or by
// hand. Never prints: everything goes to logs/worker.log. Flags:
//   --detach   start a detached copy of itself and exit at once (the shell hook's way where there is no
//              setsid, e.g. macOS)
//   --retry    send every outbox entry now, whatever its next-attempt time
//   --session-secret
//              stdin is the spooled payload of the hook that started us, in a session started with
//              INFINIUM_AGENT_SECRET: keep that secret for the entry's session first (session-secrets.ts)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseHookPayload } from '../codex/hook-payload';
import { type Env, stateRootProblem } from '../config/paths';
import { spoolPaths, tightenStateRoot } from '../spool/layout';
import type { HeldLock } from '../spool/lock';
import { appendLog } from '../spool/log';
import { SECRET_VAR, splitSpoolEntry } from '../spool/session-env';
import { storeSessionSecret } from '../spool/session-secrets';
import { evaluationWaitMs, pollEvaluations } from './evaluations';
import { takeStartSnapshots } from './evidence';
import { type Composer, DEFAULT_CONFIRM_MS, DEFAULT_STALE_MS, runWorker } from './run';
import { MAX_STAY_MS, sameFile, workerIdleMs } from './stay';
import { markLoaded, timed } from './timing';

/**
 * `lock`: the worker lock, when the entry (./main.ts) has taken it. `stateRootChecked`: the entry found the
 * state root fine (stateRootProblem, as below) just before, in this same environment: not asked again.
 */
export async function runWorkerProcess(
  argv: string[],
  composer: Composer,
  env: Env = process.env,
  lock?: HeldLock,
  stateRootChecked = false,
): Promise<void> {
  markLoaded();
  // A relative state dir would be resolved against the session's project, and another user's (or one
  // others may write to) decides where the secret goes: do nothing at all (the CLI says what is wrong).
  // Tightening only takes others' bits away: a root found fine before it is still fine after.
  tightenStateRoot(env);
  if (!stateRootChecked && stateRootProblem(env, false)) return;
  const log = spoolPaths(env).workerLog;
  if (argv.includes('--session-secret')) {
    try {
      keepSessionSecret(env);
    } catch {
      // The error could quote the payload: say only what failed. That session's traces wait for its secret.
      appendLog(log, "could not keep the session's secret: its spool entry could not be read");
    }
  }
  if (argv.includes('--detach')) {
    startDetached(argv.filter((arg) => arg !== '--detach' && arg !== '--session-secret'));
    return;
  }
  try {
    // Before the pass and its lock: a SessionStart's snapshot must come before Codex's first tool call.
    await timed('git evidence', () => takeStartSnapshots(env)).catch((error: unknown) =>
      appendLog(log, `start snapshots failed: ${error instanceof Error ? error.message : String(error)}`),
    );
    // Maestro's evaluations of what was sent, while they are due; a poller already at work has them. It
    // starts after the pass that sent (the worker may stay for the session's next turn meanwhile), and once
    // more at the end for what was sent since.
    const giveUpAfterMs = evaluationWaitMs(env);
    const poll = () => pollEvaluations(env, { giveUpAfterMs, linger: true, slowingDown: true });
    let polling: Promise<unknown> | undefined;
    const idleMs = workerIdleMs(env);
    const current = sameFile(process.argv[1] as string);
    const passes = await runWorker(env, {
      composer,
      lock,
      force: argv.includes('--retry'),
      staleMs: seconds(env.INFINIUM_CODEX_STALE_SECONDS, DEFAULT_STALE_MS),
      confirmMs: seconds(env.INFINIUM_CODEX_CONFIRM_SECONDS, DEFAULT_CONFIRM_MS),
      ...(idleMs > 0 && !argv.includes('--retry')
        ? { stay: { idleMs, untilMs: Date.now() + MAX_STAY_MS, current } }
        : {}),
      afterPass: (pass) => {
        if (giveUpAfterMs > 0 && pass.sent > 0 && !polling)
          polling = poll().finally(() => {
            polling = undefined;
          });
      },
    });
    // Upgraded while it stayed: the installed code builds what is left.
    if (!current()) startDetached([]);
    for (const pass of passes) {
      // Passes that only looked again at a turn waiting for its rollout did nothing worth a line.
      if (pass.unconfirmed > 0 && pass.built + pass.sent + pass.retrying + pass.dead === 0) continue;
      // Nor did passes that found nothing at all (a staying worker's pass at SessionStart or SessionEnd).
      const { unconfirmed: _unconfirmed, ...counts } = pass;
      if (Object.values(counts).every((n) => n === 0)) continue;
      appendLog(
        log,
        `pass: ${pass.built} built, ${pass.sent} sent, ${pass.retrying} to retry, ${pass.dead} dead, ` +
          `${pass.waiting} waiting, ${pass.noSecret} without secret, ${pass.dropped} dropped, ${pass.corrupt} corrupt`,
      );
    }
    if (giveUpAfterMs > 0)
      await timed('evaluations', async () => {
        await polling;
        await poll();
      });
  } catch (error) {
    appendLog(
      log,
      `worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  }
}

/** Starts a copy of the worker, detached, with `args` (at this process's niceness). */
function startDetached(args: string[]): void {
  spawn(process.execPath, [process.argv[1] as string, ...args], { detached: true, stdio: 'ignore' }).unref();
}

/**
 * Reads the hook's spool entry from stdin (the hook opened it for us, so it is readable even once another
 * worker has consumed it) and keeps our INFINIUM_AGENT_SECRET as its session's.
 */
function keepSessionSecret(env: Env): void {
  const secret = env[SECRET_VAR];
  if (!secret) return;
  const { payload } = splitSpoolEntry(readFileSync(0));
  const sessionId = parseHookPayload(JSON.parse(payload.toString('utf8')))?.session_id;
  if (sessionId) storeSessionSecret(spoolPaths(env), sessionId, secret);
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
