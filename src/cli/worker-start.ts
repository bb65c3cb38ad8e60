// Starting the detached worker from a command, as a hook does: for spooled turns that are over (`status`),
// or for a rerun request a hook left while a command held the worker lock (`import`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Env } from '../config/paths';
import { workerStartEnv } from '../infinium/extra-ca';

/** Starts dist/worker.mjs beside the running bundle, detached; does nothing where there is none. */
export function startWorker(distDir: string, env: Env): void {
  const worker = join(distDir, 'worker.mjs');
  if (!existsSync(worker)) return;
  spawn(process.execPath, [worker], { detached: true, stdio: 'ignore', env: workerStartEnv(env) }).unref();
}
