// The agent secret: INFINIUM_AGENT_SECRET overrides; else the OS keyring (keyed by agent id); else a 0600
// fallback file in the 0700 state dir, for machines with no working keyring (headless Linux, containers);
// else the machine-wide file `init --system` writes for a fleet.
// Keyring calls are time-boxed: a locked desktop keyring opens an unlock prompt that would wait forever.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file';
import { type Env, statePaths, systemPaths } from './paths';

export const KEYRING_SERVICE = 'infinium-codex';
export const KEYRING_TIMEOUT_MS = 3_000;

export type SecretSource = 'env' | 'keyring' | 'file' | 'system';

export interface FoundSecret {
  secret: string;
  source: SecretSource;
}

interface KeyringEntry {
  getPassword(signal?: AbortSignal): Promise<string | null>;
  setPassword(password: string, signal?: AbortSignal): Promise<void>;
  deletePassword(signal?: AbortSignal): Promise<boolean>;
}

export interface CredentialOptions {
  env?: Env;
  timeoutMs?: number;
  /** Skip the keyring entirely (`--no-keyring`, or where it is known to be absent). */
  noKeyring?: boolean;
}

async function keyringEntry(agentId: string): Promise<KeyringEntry> {
  const { AsyncEntry } = await import('@napi-rs/keyring');
  // Pinned to the Secret Service: the library's default silently falls back to the kernel keyring, which
  // forgets everything at reboot.
  return new AsyncEntry(KEYRING_SERVICE, agentId, { linux: { store: 'secret-service' } });
}

async function withKeyring<T>(
  agentId: string,
  options: CredentialOptions,
  call: (entry: KeyringEntry, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? KEYRING_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the keyring did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    timer.unref();
  });
  try {
    return await Promise.race([keyringEntry(agentId).then((entry) => call(entry, signal)), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

type CredentialFile = Record<string, string>;

function readCredentialFile(env: Env, file = statePaths(env).credentials): CredentialFile {
  try {
    const json: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as CredentialFile) : {};
  } catch {
    return {};
  }
}

function writeCredentialFile(env: Env, contents: CredentialFile): void {
  writeFileAtomic(statePaths(env).credentials, `${JSON.stringify(contents, null, 2)}\n`, {
    mode: 0o600,
    forceMode: true,
  });
}

/** Finds the secret for an agent, or null when none is stored anywhere. Never throws for a keyring fault. */
export async function loadSecret(
  agentId: string,
  options: CredentialOptions = {},
): Promise<FoundSecret | null> {
  const env = options.env ?? process.env;
  if (env.INFINIUM_AGENT_SECRET) return { secret: env.INFINIUM_AGENT_SECRET, source: 'env' };
  if (!options.noKeyring) {
    try {
      const secret = await withKeyring(agentId, options, (entry, signal) => entry.getPassword(signal));
      if (secret) return { secret, source: 'keyring' };
    } catch {
      // No usable keyring here: the fallback file is the answer.
    }
  }
  const fromFile = readCredentialFile(env)[agentId];
  if (fromFile) return { secret: fromFile, source: 'file' };
  const fromSystem = readCredentialFile(env, systemPaths(env).credentials)[agentId];
  return fromSystem ? { secret: fromSystem, source: 'system' } : null;
}

export interface StoredSecret {
  source: 'keyring' | 'file';
  /** Why the keyring was not used, in words for the user; absent when it was. */
  keyringProblem?: string;
}

/** Stores the secret in the keyring, else in the fallback file; says which, and why not the keyring. */
export async function storeSecret(
  agentId: string,
  secret: string,
  options: CredentialOptions = {},
): Promise<StoredSecret> {
  const env = options.env ?? process.env;
  let keyringProblem = 'the keyring was not used (--no-keyring)';
  if (!options.noKeyring) {
    try {
      await withKeyring(agentId, options, (entry, signal) => entry.setPassword(secret, signal));
      // A stale copy in the fallback file must not outlive the new secret.
      const file = readCredentialFile(env);
      if (agentId in file) {
        delete file[agentId];
        writeCredentialFile(env, file);
      }
      return { source: 'keyring' };
    } catch (error) {
      keyringProblem = `no OS keyring is available (${(error as Error).message})`;
    }
  }
  writeCredentialFile(env, { ...readCredentialFile(env), [agentId]: secret });
  return { source: 'file', keyringProblem };
}

/** Removes the secret from the keyring and the fallback file. */
export async function deleteSecret(agentId: string, options: CredentialOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  if (!options.noKeyring) {
    try {
      await withKeyring(agentId, options, (entry, signal) => entry.deletePassword(signal));
    } catch {
      // Nothing stored there, or no keyring: either way it is gone from it.
    }
  }
  const file = readCredentialFile(env);
  if (agentId in file) {
    delete file[agentId];
    writeCredentialFile(env, file);
  }
}

export type KeyringProbe =
  | { state: 'ok'; hasEntry: boolean }
  | { state: 'unavailable'; reason: string }
  | { state: 'timeout'; reason: string };

/** Whether the OS keyring answers (a locked desktop keyring times out rather than answering). */
export async function probeKeyring(agentId: string, options: CredentialOptions = {}): Promise<KeyringProbe> {
  try {
    const secret = await withKeyring(agentId, options, (entry, signal) => entry.getPassword(signal));
    return { state: 'ok', hasEntry: Boolean(secret) };
  } catch (error) {
    const reason = (error as Error).message;
    return /did not answer/.test(reason) ? { state: 'timeout', reason } : { state: 'unavailable', reason };
  }
}
