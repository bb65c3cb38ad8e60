// Asks a real Codex binary which hooks it sees and how it judges their trust, through its app-server's
// `hooks/list` request (JSON-RPC over stdio): Codex's own keys, `currentHash` and `trustStatus`; and has it
// write config.toml as its /hooks screen does (`config/batchWrite`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { codexBinary } from '../e2e/support/codex';

export interface CodexHookEntry {
  key: string;
  eventName: string;
  command: string;
  timeoutSec: number;
  currentHash: string;
  trustStatus: string;
  enabled: boolean;
}

/** The real Codex the e2e suite runs (E2E_CODEX_VERSION, E2E_CODEX_BIN or the pinned one), or null. */
export function realCodexBinary(): string | null {
  const candidate = codexBinary();
  return existsSync(candidate) ? candidate : null;
}

/** Sends one request to a real Codex's `app-server` (JSON-RPC over stdio) and resolves with its result. */
export function appServerRequest<T>(
  codexBin: string,
  env: Record<string, string>,
  cwd: string,
  method: string,
  params: unknown,
  timeoutMs = 20_000,
): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(codexBin, ['app-server'], { cwd, env, stdio: ['pipe', 'pipe', 'ignore'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`codex app-server did not answer ${method} in time`));
    }, timeoutMs);
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n')) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const message = JSON.parse(line) as { id?: number; result?: T; error?: { message: string } };
        if (message.id !== 2) continue;
        clearTimeout(timer);
        child.kill('SIGKILL');
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolvePromise(message.result as T);
      }
    });
    child.on('error', reject);
    const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { clientInfo: { name: 'test', version: '1' } },
    });
    send({ jsonrpc: '2.0', method: 'initialized' });
    send({ jsonrpc: '2.0', id: 2, method, params });
  });
}

export async function listCodexHooks(
  codexBin: string,
  env: Record<string, string>,
  cwd: string,
  timeoutMs = 20_000,
): Promise<CodexHookEntry[]> {
  const result = await appServerRequest<{ data: { hooks: CodexHookEntry[] }[] }>(
    codexBin,
    env,
    cwd,
    'hooks/list',
    { cwds: [cwd] },
    timeoutMs,
  );
  return result.data.flatMap((entry) => entry.hooks);
}

/** Approves a hook as the user would in `/hooks`: Codex writes its trust entry into config.toml itself. */
export async function approveCodexHook(
  codexBin: string,
  env: Record<string, string>,
  cwd: string,
  hook: CodexHookEntry,
): Promise<void> {
  await appServerRequest(codexBin, env, cwd, 'config/batchWrite', {
    edits: [
      {
        keyPath: `hooks.state.${JSON.stringify(hook.key)}.trusted_hash`,
        value: hook.currentHash,
        mergeStrategy: 'replace',
      },
    ],
  });
}
