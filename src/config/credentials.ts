// The agent secret: INFINIUM_AGENT_SECRET overrides; else the OS keyring or a 0600 fallback file in the 0700
// state dir, for machines with no working keyring (headless Linux, containers); else the machine-wide file
// `init --system` writes for a fleet. A stored secret is bound to the agent id AND the origin of the base URL
// it was entered for (the keyring account and the files' key are `<agent id>@<origin>`): a config that names
// another base URL finds no secret, so the secret never goes to a server the user did not give it to.
// Keyring calls are time-boxed: a locked desktop keyring opens an unlock prompt that would wait forever.
// A lookup asks the keyring at most once per process and agent, and not at all where there is none to ask.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { loadedFolderProblem, type Untrusted } from './path-trust';
import { type Env, statePaths, systemFilesProblem, systemPaths, withoutAgentSecret } from './paths';
import type { ResolvedConfig } from './settings';

export const KEYRING_SERVICE = 'infinium-codex';
export const KEYRING_TIMEOUT_MS = 3_000;

export type SecretSource = 'env' | 'keyring' | 'file' | 'system';

export interface FoundSecret {
  secret: string;
  source: SecretSource;
}

export interface CredentialOptions {
  env?: Env;
  timeoutMs?: number;
  /** Skip the keyring entirely (`--no-keyring`, or where it is known to be absent). */
  noKeyring?: boolean;
  /** systemFilesProblem's answer, when the caller has it already (null: the machine-wide files are used). */
  machineFilesProblem?: string | null;
}

type KeyringOp = 'get' | 'set' | 'delete';

/** The keyring library was not loaded: another user could change it. */
class KeyringRefused extends Error {
  constructor(problem: string) {
    super(`the keyring library was not loaded: ${problem}`);
  }
}

/** The key a secret is stored under: the agent id and the origin it was entered for (`ag1@https://host`). */
export function secretAccount(agentId: string, baseUrl: string): string {
  let origin: string;
  try {
    origin = new URL(baseUrl).origin;
  } catch {
    origin = baseUrl;
  }
  return `${agentId}@${origin}`;
}

// Runs in a child process: the keyring library blocks its caller's thread while it connects to D-Bus, and
// an unlock prompt keeps its call pending; neither can be cancelled in-process, but a child can be killed.
// The secret to store arrives on stdin, never in argv (visible to every local user in `ps`).
const KEYRING_CHILD = `
const [modulePath, op, service, account] = process.argv.slice(1);
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', async () => {
  try {
    const { AsyncEntry } = require(modulePath);
    const entry = new AsyncEntry(service, account, { linux: { store: 'secret-service' } });
    const value = op === 'get' ? await entry.getPassword() : op === 'set' ? await entry.setPassword(input) : await entry.deletePassword();
    process.stdout.write(JSON.stringify({ ok: true, value: value === undefined ? null : value }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ ok: false, error: String((error && error.message) || error) }));
  }
});`;

/** The keyring library's entry file as Node finds it from `from` (a file of ours), or null when it is not there. */
export function keyringModule(from: string = import.meta.url): string | null {
  try {
    return createRequire(from).resolve('@napi-rs/keyring');
  } catch {
    return null;
  }
}

/**
 * Why the keyring library at `modulePath` may not be loaded, or null: the helper runs it as the user, with
 * the secret on its stdin, so another user who could change it, or the platform package holding its
 * compiled part (`@napi-rs/keyring-<platform>-*`, found as the library finds it), could read every secret.
 * Both folders, their files and every folder above them must pass the owner rule (src/config/path-trust.ts).
 * Judged afresh before each load (a few dozen stats, next to starting a process): a worker stays for long.
 */
export function keyringTrustProblem(modulePath: string): Untrusted | null {
  if (process.getuid === undefined) return null;
  const folder = dirname(modulePath);
  const own = loadedFolderProblem(folder);
  if (own) return own;
  let parts: string[] = [];
  try {
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    parts = Object.keys(manifest.optionalDependencies ?? {});
  } catch {
    // no list of platform packages: the library then loads its compiled part from its own folder, judged above
  }
  const require = createRequire(modulePath);
  for (const name of parts.filter((part) => part.startsWith(`@napi-rs/keyring-${process.platform}-`))) {
    let found: string;
    try {
      found = dirname(require.resolve(`${name}/package.json`));
    } catch {
      continue; // not installed here (another platform's or libc's)
    }
    const problem = loadedFolderProblem(found);
    if (problem) return problem;
  }
  return null;
}

/**
 * One keyring operation, time-boxed. Pinned to the Secret Service on Linux: the library's default silently
 * falls back to the kernel keyring, which forgets everything at reboot. A library another user could change
 * is never loaded (keyringTrustProblem): the operation fails as with no keyring, saying why.
 */
function withKeyring(
  account: string,
  options: CredentialOptions,
  op: KeyringOp,
  input = '',
): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? KEYRING_TIMEOUT_MS;
  const modulePath = keyringModule();
  if (!modulePath) return Promise.reject(new Error('the keyring library is not installed'));
  const untrusted = keyringTrustProblem(modulePath);
  if (untrusted) return Promise.reject(new KeyringRefused(untrusted.problem));
  // The library loads whatever file NAPI_RS_NATIVE_LIBRARY_PATH names, in place of its own compiled part;
  // a secret to store comes on stdin, never from the session's variable. It makes no TLS connection, so
  // NODE_EXTRA_CA_CERTS would only cost its Node start about 40 ms of CPU.
  const {
    NAPI_RS_NATIVE_LIBRARY_PATH: _named,
    NODE_EXTRA_CA_CERTS: _ca,
    ...env
  } = withoutAgentSecret(process.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', KEYRING_CHILD, modulePath, op, KEYRING_SERVICE, account], {
      env,
      stdio: ['pipe', 'pipe', 'ignore'],
      windowsHide: true,
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the keyring did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', () => {
      clearTimeout(timer);
      let result: { ok: boolean; value?: unknown; error?: string };
      try {
        result = JSON.parse(output);
      } catch {
        reject(new Error('the keyring helper stopped without an answer'));
        return;
      }
      if (result.ok) resolve(result.value);
      else reject(new Error(result.error ?? 'unknown keyring error'));
    });
    child.stdin.on('error', () => {
      // the child died before reading its input; 'close' reports it
    });
    child.stdin.end(input);
  });
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

/**
 * Whether a keyring may answer here. Linux's Secret Service is reached over the D-Bus session bus, which the
 * keyring helper finds from its environment (ours): with no bus address and no bus socket in
 * $XDG_RUNTIME_DIR there is none, and the library cannot start one, so asking would only spawn a helper to
 * hear that.
 */
function keyringReachable(): boolean {
  if (process.platform !== 'linux') return true;
  if (process.env.DBUS_SESSION_BUS_ADDRESS) return true;
  const runtime = process.env.XDG_RUNTIME_DIR;
  return !!runtime && existsSync(join(runtime, 'bus'));
}

/**
 * What the keyring said per agent in this process (a helper process per question is the costly part of a
 * lookup); forgotten when this process stores or deletes that agent's secret.
 */
const keyringAnswers = new Map<string, Promise<string | null>>();

function keyringSecret(account: string, options: CredentialOptions): Promise<string | null> {
  let answer = keyringAnswers.get(account);
  if (!answer) {
    answer = withKeyring(account, options, 'get').then(
      (secret) => (typeof secret === 'string' && secret ? secret : null),
      // No usable keyring here: the files are the answer.
      () => null,
    );
    keyringAnswers.set(account, answer);
  }
  return answer;
}

/**
 * Finds the secret for an agent at a base URL's origin, or null when none is stored for that pair. Never
 * throws for a keyring fault.
 */
export async function loadSecret(
  agentId: string,
  baseUrl: string,
  options: CredentialOptions = {},
): Promise<FoundSecret | null> {
  const env = options.env ?? process.env;
  if (env.INFINIUM_AGENT_SECRET) return { secret: env.INFINIUM_AGENT_SECRET, source: 'env' };
  const account = secretAccount(agentId, baseUrl);
  // The fallback file first: storeSecret keeps an agent's secret in one of the two (storing it in the
  // keyring removes the file's copy), so one in the file is the last one stored, and no keyring is asked.
  const fromFile = readCredentialFile(env)[account];
  if (fromFile) return { secret: fromFile, source: 'file' };
  if (!options.noKeyring && keyringReachable()) {
    const secret = await keyringSecret(account, options);
    if (secret) return { secret, source: 'keyring' };
  }
  const machineProblem =
    options.machineFilesProblem === undefined ? systemFilesProblem(env) : options.machineFilesProblem;
  if (machineProblem !== null) return null;
  const fromSystem = readCredentialFile(env, systemPaths(env).credentials)[account];
  return fromSystem ? { secret: fromSystem, source: 'system' } : null;
}

/**
 * The secret for a resolved destination. INFINIUM_AGENT_SECRET is bound to no origin, so it never goes to a
 * base URL a project file chose (attack21d V4a: a fleet's login-profile secret went to an allowed project
 * file's server); that destination takes only a secret stored for its origin.
 */
export function loadConfigSecret(
  config: Pick<ResolvedConfig, 'agentId' | 'baseUrl' | 'projectBaseUrl'>,
  options: CredentialOptions = {},
): Promise<FoundSecret | null> {
  const env = options.env ?? process.env;
  return loadSecret(config.agentId, config.baseUrl, {
    ...options,
    env: config.projectBaseUrl ? withoutAgentSecret(env) : env,
  });
}

export interface StoredSecret {
  source: 'keyring' | 'file';
  /** Why the keyring was not used, in words for the user; absent when it was. */
  keyringProblem?: string;
}

/**
 * Stores the secret for an agent at a base URL's origin in the keyring, else in the fallback file; says
 * which, and why not the keyring.
 */
export async function storeSecret(
  agentId: string,
  baseUrl: string,
  secret: string,
  options: CredentialOptions = {},
): Promise<StoredSecret> {
  const env = options.env ?? process.env;
  const account = secretAccount(agentId, baseUrl);
  keyringAnswers.delete(account);
  let keyringProblem = 'the keyring was not used (--no-keyring)';
  if (!options.noKeyring) {
    try {
      await withKeyring(account, options, 'set', secret);
      // A stale copy in the fallback file must not outlive the new secret.
      const file = readCredentialFile(env);
      if (account in file) {
        delete file[account];
        writeCredentialFile(env, file);
      }
      return { source: 'keyring' };
    } catch (error) {
      keyringProblem = `no OS keyring is available (${(error as Error).message})`;
    }
  }
  writeCredentialFile(env, { ...readCredentialFile(env), [account]: secret });
  return { source: 'file', keyringProblem };
}

/** Removes the secret of an agent at a base URL's origin from the keyring and the fallback file. */
export async function deleteSecret(
  agentId: string,
  baseUrl: string,
  options: CredentialOptions = {},
): Promise<void> {
  const env = options.env ?? process.env;
  const account = secretAccount(agentId, baseUrl);
  keyringAnswers.delete(account);
  if (!options.noKeyring) {
    try {
      await withKeyring(account, options, 'delete');
    } catch {
      // Nothing stored there, or no keyring: either way it is gone from it.
    }
  }
  const file = readCredentialFile(env);
  if (account in file) {
    delete file[account];
    writeCredentialFile(env, file);
  }
}

export type KeyringProbe =
  | { state: 'ok'; hasEntry: boolean }
  | { state: 'unavailable'; reason: string }
  | { state: 'refused'; reason: string }
  | { state: 'timeout'; reason: string };

/** Whether the OS keyring answers (a locked desktop keyring times out rather than answering). */
export async function probeKeyring(
  agentId: string,
  baseUrl: string,
  options: CredentialOptions = {},
): Promise<KeyringProbe> {
  try {
    const secret = await withKeyring(secretAccount(agentId, baseUrl), options, 'get');
    return { state: 'ok', hasEntry: typeof secret === 'string' && secret !== '' };
  } catch (error) {
    const reason = (error as Error).message;
    if (error instanceof KeyringRefused) return { state: 'refused', reason };
    return /did not answer/.test(reason) ? { state: 'timeout', reason } : { state: 'unavailable', reason };
  }
}
