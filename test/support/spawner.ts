// Runs hooks from a small helper process instead of the test process. fork() copies the parent's page
// tables, so its cost grows with the parent's memory: a test process holding hundreds of MB of inputs (the
// fuzz suite) pays 30-40 ms per spawn, on its event loop, against 4 ms from a small process. Without this,
// the fuzz measured the harness more than the hooks.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type FrontEnd, type HookRun, type HookRunOptions, hookCommand } from './capture-harness';

export interface SpawnRequest {
  id: number;
  command: string;
  args: string[];
  env: Record<string, string>;
  /** base64, or null for no stdin write at all. */
  payload: string | null;
  keepStdinOpen?: boolean;
  timeoutMs?: number;
}

export type SpawnResponse =
  | { id: number; result: HookRun & { timedOut?: true }; error?: undefined }
  | { id: number; error: string; result?: undefined };

export interface Spawner {
  runHook(
    frontEnd: FrontEnd,
    event: string,
    payload: string | Buffer | null,
    env: Record<string, string>,
    options?: HookRunOptions,
  ): Promise<HookRun & { timedOut?: true }>;
  close(): Promise<void>;
}

export function startSpawner(): Spawner {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'spawner-child.ts')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting = new Map<number, { resolve: (run: HookRun) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const response = JSON.parse(line) as SpawnResponse;
    const pending = waiting.get(response.id);
    waiting.delete(response.id);
    if (response.result) pending?.resolve(response.result);
    else pending?.reject(new Error(`spawner: ${response.error}`));
  });
  child.on('exit', (code) => {
    for (const pending of waiting.values()) pending.reject(new Error(`spawner exited (${code})`));
    waiting.clear();
  });
  return {
    runHook(frontEnd, event, payload, env, options = {}) {
      const [command, args] = hookCommand(frontEnd, event, options);
      nextId += 1;
      const request: SpawnRequest = {
        id: nextId,
        command,
        args,
        env,
        payload: payload === null ? null : Buffer.from(payload).toString('base64'),
        keepStdinOpen: options.keepStdinOpen,
        timeoutMs: options.timeoutMs,
      };
      return new Promise((resolve, reject) => {
        waiting.set(request.id, { resolve, reject });
        child.stdin.write(`${JSON.stringify(request)}\n`);
      });
    },
    close() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.stdin.end();
      });
    },
  };
}
