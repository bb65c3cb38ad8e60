// Where our own state lives. One root (INFINIUM_CODEX_HOME, default ~/.infinium-codex), created 0700:
// it holds the spool of raw hook payloads, which are the only unredacted data we ever write.
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { groupTrusted, othersMayWrite, pathTrustProblem, trustedOwner } from './file-trust';

export type Env = Record<string, string | undefined>;

export function stateRoot(env: Env = process.env): string {
  const explicit = env.INFINIUM_CODEX_HOME;
  if (explicit) return explicit;
  return join(env.HOME || env.USERPROFILE || homedir(), '.infinium-codex');
}

/** INFINIUM_CODEX_DISABLED: any value but empty, 0, false or no (any case). hook.sh makes the same test. */
export function tracingDisabled(env: Env): boolean {
  const value = (env.INFINIUM_CODEX_DISABLED ?? '').toLowerCase();
  return value !== '' && value !== '0' && value !== 'false' && value !== 'no';
}

/** INFINIUM_CODEX_GIT_EVIDENCE=0 turns git evidence off (traces then say `unavailable`). */
export function gitEvidenceOff(env: Env): boolean {
  return /^(0|false|no|off)$/i.test(env.INFINIUM_CODEX_GIT_EVIDENCE ?? '');
}

/** The session's own agent secret (docs/configuration.md), read only by our CLI and worker. */
export const SECRET_VAR = 'INFINIUM_AGENT_SECRET';

/**
 * The environment for a program we start that has no use for the agent secret (git and the filters,
 * credential helpers and hooks it may run, codex, a browser opener, the keyring helper, our hook's
 * self-test): `env` without it. Only our own worker, which sends the traces, is given it.
 */
export function withoutAgentSecret(env: Env): NodeJS.ProcessEnv {
  const { [SECRET_VAR]: _secret, ...rest } = env;
  return rest;
}

/** Whether `path` is `dir` or inside it (both resolved; no file system access). */
export function insideFolder(dir: string, path: string): boolean {
  const root = resolve(dir);
  const inner = resolve(path);
  return inner === root || inner.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

export interface StatePaths {
  root: string;
  /** User-level defaults: default agent, capture mode (config.json). */
  userConfig: string;
  /** Paused projects (paused.json). */
  paused: string;
  /** Fallback credential file (0600) when no OS keyring works. */
  credentials: string;
  spool: string;
  outbox: string;
  dead: string;
  history: string;
  logs: string;
}

export function statePaths(env: Env = process.env): StatePaths {
  const root = stateRoot(env);
  return {
    root,
    userConfig: join(root, 'config.json'),
    paused: join(root, 'paused.json'),
    credentials: join(root, 'credentials.json'),
    spool: join(root, 'spool'),
    outbox: join(root, 'outbox'),
    dead: join(root, 'dead'),
    history: join(root, 'history'),
    logs: join(root, 'logs'),
  };
}

/** Codex's home, as Codex itself resolves it. */
export function codexHome(env: Env = process.env): string {
  return env.CODEX_HOME || join(env.HOME || env.USERPROFILE || homedir(), '.codex');
}

export interface SystemPaths {
  root: string;
  /** Machine-wide defaults written by `init --system` (lowest precedence). */
  config: string;
  /** A root-owned secret for every user of the machine (`init --system` with a secret). */
  credentials: string;
}

/** Machine-wide settings for fleet installs; INFINIUM_CODEX_SYSTEM_DIR points elsewhere (packaging, tests). */
export function systemPaths(env: Env = process.env): SystemPaths {
  const root =
    env.INFINIUM_CODEX_SYSTEM_DIR ||
    (process.platform === 'win32'
      ? join(env.ProgramData || 'C:\\ProgramData', 'infinium-codex')
      : '/etc/infinium-codex');
  return { root, config: join(root, 'config.json'), credentials: join(root, 'credentials.json') };
}

/**
 * Why the machine-wide settings (`init --system`) are ignored, in one sentence with its fix, or null. The fix
 * writes them anew: whoever else could change them may have, so making the files root's would adopt that.
 */
export function systemFilesProblem(env: Env = process.env): string | null {
  const { root, config, credentials } = systemPaths(env);
  // Their folder once, then each file (fileTrustProblem for both would judge the folder twice).
  const problem =
    pathTrustProblem(dirname(config)) ?? pathTrustProblem(config) ?? pathTrustProblem(credentials);
  return problem === null
    ? null
    : `The machine-wide settings in ${root} are ignored: ${problem}, so what they say may not be yours; remove them (\`sudo rm -r ${root}\`) and write them again with \`sudo infinium-codex init --system\`.`;
}

/**
 * Why the state root cannot be used, in one sentence with its fix, or null. A relative INFINIUM_CODEX_HOME
 * (or HOME) would be resolved against each process's own folder: for hooks and workers that is the Codex session's
 * project, where raw payloads would land among the user's files (and in `git add -A`). A folder of another
 * user, one holding an entry of another user, or one others may write to, decides where the secret and the
 * traces go (its config.json, its credentials, its spool): it is refused, as git refuses a repository another user owns. Another user
 * could create our entries in it before we do, so the sticky bit makes it no safer. `tightenStateRoot`
 * closes a folder of ours that holds only our entries before this is asked.
 */
export function stateRootProblem(env: Env = process.env, deep = true): string | null {
  const explicit = env.INFINIUM_CODEX_HOME;
  if (explicit && !isAbsolute(explicit)) {
    return `INFINIUM_CODEX_HOME must be an absolute path, not "${explicit}": set it to a full path, or unset it to use ~/.infinium-codex.`;
  }
  const root = stateRoot(env);
  if (!isAbsolute(root)) {
    return `HOME must be an absolute path, not "${env.HOME}", or the state folder would land inside the current folder: set HOME to your home folder's full path, or INFINIUM_CODEX_HOME to a full path.`;
  }
  const uid = process.getuid?.();
  if (uid === undefined) return null;
  let stat: ReturnType<typeof statSync>;
  let link: ReturnType<typeof lstatSync>;
  try {
    link = lstatSync(root);
    stat = statSync(root);
  } catch {
    return null; // not there yet: we make it, 0700
  }
  const elsewhere = explicit
    ? 'set INFINIUM_CODEX_HOME to a folder of your own'
    : 'set INFINIUM_CODEX_HOME to a folder of your own, or remove it';
  // A link another user made (in /tmp, say) can be pointed elsewhere between our checks and our reads.
  if (link.isSymbolicLink() && !trustedOwner(link.uid)) {
    return `The state folder ${root} is a link that belongs to another user (uid ${link.uid}), who could point it elsewhere, so it is not used: ${elsewhere}.`;
  }
  if (!stat.isDirectory()) return `The state folder ${root} is not a folder: ${elsewhere}.`;
  if (stat.uid !== uid) {
    return `The state folder ${root} belongs to another user (uid ${stat.uid}), who could change where your secret and traces go, so it is not used: ${elsewhere}.`;
  }
  // What another user left or changed inside (while it was open to them) decides as much as the folder
  // itself: settings, consent, credentials, queued traces. Looked for whatever the folder's mode now:
  // closing it (`chmod 700`) does not undo what was done meanwhile. At every depth, unless `deep` is false
  // (the worker, on every pass: its top-level files here, and each file it reads by readOwnFile's check).
  const strange = strangeEntry(root, deep);
  if (strange?.theirs) {
    return `The state folder ${root} holds ${strange.name}, which belongs to another user (uid ${strange.uid}) and could change where your secret and traces go, so the folder is not used: look at it and remove it, or ${elsewhere}.`;
  }
  if (strange) {
    return `The state folder ${root} holds ${strange.name}, which other users can write (mode ${(strange.mode & 0o7777).toString(8).padStart(4, '0')}) and could have changed where your secret and traces go, so the folder is not used: look at it, then run \`chmod -R go-w ${root}\`, or ${elsewhere}.`;
  }
  if ((stat.mode & 0o022) !== 0) {
    return `The state folder ${root} can be written by other users (mode ${(stat.mode & 0o7777).toString(8).padStart(4, '0')}) and holds files that are not ours, so it is not used: run \`chmod go-w ${root}\`, or ${elsewhere}.`;
  }
  return null;
}

/** An entry of the state folder another user may have written: theirs, or ours but writable by others. */
export interface StrangeEntry {
  /** Relative to the folder. */
  name: string;
  uid: number;
  mode: number;
  theirs: boolean;
}

/**
 * The first entry of the state folder, at any depth (links never followed), that neither the user nor root
 * owns, or that others may write (we make every entry 0600 or 0700: such a mode was given later; group write
 * counts as the user's own for the user's private group, as in file-trust), or null.
 */
export function strangeEntry(root: string, deep = true): StrangeEntry | null {
  // Another user's entry is named first: a mode is fixed with chmod, theirs needs a look.
  let writable: StrangeEntry | null = null;
  // groupTrusted reads /etc/group and /etc/passwd: once per group for the whole walk.
  const trustedGroups = new Map<number, boolean>();
  const trusted = (gid: number) => {
    if (!trustedGroups.has(gid)) trustedGroups.set(gid, groupTrusted(gid));
    return trustedGroups.get(gid) === true;
  };
  const walk = (dir: string, prefix: string): StrangeEntry | null => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return null;
    }
    for (const name of names) {
      const entry = lstatSync(join(dir, name), { throwIfNoEntry: false });
      if (!entry) continue;
      const found = { name: prefix + name, uid: entry.uid, mode: entry.mode };
      if (!trustedOwner(entry.uid)) return { ...found, theirs: true };
      if (!entry.isSymbolicLink() && othersMayWrite(entry, trusted)) writable ??= { ...found, theirs: false };
      if (deep && entry.isDirectory()) {
        const inner = walk(join(dir, name), `${prefix}${name}/`);
        if (inner) return inner;
      }
    }
    return null;
  };
  return walk(root, '') ?? writable;
}

/**
 * The state root is someone else's, or reached through another user's link (which they can point anywhere):
 * the hooks spool nothing there (the native front-end makes the same test; hook.sh hands a link to us).
 */
export function stateRootForeign(root: string): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return false;
  try {
    const link = lstatSync(root);
    if (link.isSymbolicLink() && !trustedOwner(link.uid)) return true;
    return statSync(root).uid !== uid;
  } catch {
    return false;
  }
}
