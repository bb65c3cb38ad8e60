// The agent secret of a Codex session started with INFINIUM_AGENT_SECRET. The hook never writes it (the
// spool only says it was set); the worker started by that session's turn-ending hook runs in the session's
// environment and keeps the secret here, so whichever worker sends the session's traces uses that secret and
// no other session's. 0600 files in a 0700 folder, like the fallback credentials file; one per session.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, readOwnFile, type SpoolPaths, safeName, writeFileAtomic } from './layout';

/** Kept this long after its last use, and as long as a trace of the session waits in outbox/ or dead/. */
const SESSION_SECRET_MAX_AGE_MS = 30 * 86_400_000;

export function storeSessionSecret(paths: SpoolPaths, sessionId: string, secret: string): void {
  if (readSessionSecret(paths, sessionId) === secret) return;
  ensureDir(paths.sessionSecrets);
  writeFileAtomic(join(paths.sessionSecrets, safeName(sessionId)), secret);
}

/** The secret the session was started with, or null when none was kept for it. */
export function readSessionSecret(paths: SpoolPaths, sessionId: string): string | null {
  try {
    return readOwnFile(join(paths.sessionSecrets, safeName(sessionId)), 'utf8') || null;
  } catch {
    return null;
  }
}

/** How many sessions' secrets are kept (`uninstall` says so). */
export function sessionSecretCount(paths: SpoolPaths): number {
  try {
    return readdirSync(paths.sessionSecrets).length;
  } catch {
    return 0;
  }
}

/** Drops the secrets of sessions silent for 30 days that have no trace left to send or retry. */
export function pruneSessionSecrets(paths: SpoolPaths, nowMs: number): void {
  let names: string[];
  try {
    names = readdirSync(paths.sessionSecrets);
  } catch {
    return;
  }
  const waiting = new Set(
    [paths.outbox, paths.dead].flatMap((dir) => {
      try {
        return readdirSync(dir).map((name) => name.split('~')[0]);
      } catch {
        return [];
      }
    }),
  );
  for (const name of names) {
    const file = join(paths.sessionSecrets, name);
    try {
      if (!waiting.has(name) && nowMs - statSync(file).mtimeMs > SESSION_SECRET_MAX_AGE_MS) rmSync(file);
    } catch {
      // already gone
    }
  }
}
