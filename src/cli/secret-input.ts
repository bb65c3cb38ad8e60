// Where a secret typed by the user comes from: stdin (--agent-secret-stdin) or INFINIUM_AGENT_SECRET, never
// the command line (other users can read it there). Never echoed, never logged.
import type { Readable } from 'node:stream';
import { ExitCode, UserError } from './errors';
import { cancel, isCancel, password } from './prompts';

export interface SecretFlags {
  agentSecretStdin?: boolean;
}

const STDIN_TIMEOUT_MS = 30_000;

export function readAllStdin(stdin: Readable, timeoutMs = STDIN_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      stdin.pause();
      reject(
        new UserError(
          'Nothing arrived on stdin for --agent-secret-stdin; pipe the secret in, e.g. `printf %s "$SECRET" | infinium-codex ...`.',
        ),
      );
    }, timeoutMs);
    timer.unref();
    stdin.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
    stdin.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    stdin.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** The secret the flags name, or undefined when none does. */
export async function secretFromFlags(
  flags: SecretFlags,
  env: Record<string, string | undefined>,
  stdin: Readable,
): Promise<string | undefined> {
  let secret: string | undefined;
  if (flags.agentSecretStdin) secret = (await readAllStdin(stdin)).replace(/\r?\n$/, '');
  else if (env.INFINIUM_AGENT_SECRET) secret = env.INFINIUM_AGENT_SECRET;
  if (secret === undefined) return undefined;
  return checkSecret(secret);
}

export function checkSecret(secret: string): string {
  const trimmed = secret.trim();
  if (trimmed === '')
    throw new UserError('The agent secret is empty; copy it from the Infinium web app.', undefined, 2);
  if (/\s/.test(trimmed)) {
    throw new UserError(
      'The agent secret contains whitespace; copy it again from the Infinium web app.',
      undefined,
      2,
    );
  }
  return trimmed;
}

export function checkAgentId(agentId: string): string {
  const trimmed = agentId.trim();
  if (trimmed === '' || /\s/.test(trimmed) || trimmed.includes('/')) {
    throw new UserError(
      `"${trimmed}" is not an agent id (no spaces or slashes); copy it from the Infinium web app.`,
      undefined,
      2,
    );
  }
  return trimmed;
}

/**
 * Asks for a secret in the terminal, masked (@clack/prompts' password prompt). Returns '' when the user
 * leaves it empty and `optional` allows that; Ctrl-C cancels the command (exit 130, see `cancelled`).
 */
export async function promptSecret(message: string, optional: boolean): Promise<string> {
  const typed = cancelled(
    await password({
      message,
      validate: (value) => (value || optional ? undefined : 'The agent secret is required.'),
    }),
  );
  return typed === '' ? '' : checkSecret(typed);
}

/**
 * A prompt's answer, or, when the user pressed Ctrl-C (or Esc), a clean stop: clack's "cancelled" line
 * closing the frame and exit 130, as a shell reports an interrupted command, with no "Error:".
 */
export function cancelled<T>(value: T): Exclude<T, symbol> {
  if (isCancel(value)) {
    cancel('Cancelled; nothing was changed.');
    throw new ExitCode(130);
  }
  return value as Exclude<T, symbol>;
}
