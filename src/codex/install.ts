// Installing our hooks into Codex: hooks.json (merged with the user's own), then the trust entries in the
// user config.toml. Everything is planned and checked before anything is written, so a file we refuse
// (invalid JSON or TOML) leaves the other untouched too. Each changed file is backed up first and written
// atomically. The first time we touch a file we keep its original bytes in our state dir, so `uninstall`
// gives back exactly the user's file when nothing else in it changed meanwhile.
import { accessSync, constants, existsSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { backupFile, linkTarget, writeFileAtomic, writeRefusal } from '../config/atomic-file';
import { markHooksLive } from '../config/hooks-live';
import { type Env, insideFolder, statePaths } from '../config/paths';
import type { CaptureMode } from '../config/settings';
import {
  hasOurBlock,
  hookStates,
  readConfigToml,
  type TomlTable,
  type TrustEntry,
  withoutTrustBlock,
  withTrustBlock,
} from './config-toml';
import { FULL_EVENTS, LEAN_EVENTS } from './hook-payload';
import {
  CodexFileError,
  eventGroups,
  findOurHooks,
  type HandlerPaths,
  type HooksDocument,
  type HookTarget,
  holdsOurHooks,
  isOurHandler,
  type OurHook,
  ourHandlerPaths,
  parseHooksDocument,
  projectHooksFile,
  readHooksFile,
  serializeHooks,
  userHooksFile,
  withOurHooks,
  withoutOurHooks,
} from './hooks-file';
import { packageTrustProblem, packageTrustRefusal } from './package-trust';
import { systemHooksFile } from './system';
import { hookTrustHash, hookTrustKey } from './trust';
import { type CodexNeeds, codexNeeds, type Version } from './version';

export type Scope = 'user' | 'project';

/** Codex's home as it names it in trust keys: an explicit CODEX_HOME is canonicalised (symlinks resolved). */
export function resolvedCodexHome(env: Env = process.env): string {
  if (env.CODEX_HOME) {
    try {
      return realpathSync(env.CODEX_HOME);
    } catch {
      return resolve(env.CODEX_HOME);
    }
  }
  return join(env.HOME || env.USERPROFILE || homedir(), '.codex');
}

export function userConfigToml(env: Env = process.env): string {
  return join(resolvedCodexHome(env), 'config.toml');
}

function canonicalDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return resolve(dir);
  }
}

export function hooksFileFor(scope: Scope, projectDir: string, env: Env = process.env): string {
  return scope === 'user'
    ? userHooksFile(resolvedCodexHome(env))
    : projectHooksFile(canonicalDir(projectDir));
}

/** The events a capture mode registers, less those this Codex does not have. */
export function eventsFor(capture: CaptureMode, needs: CodexNeeds): string[] {
  const events = capture === 'full' ? FULL_EVENTS : LEAN_EVENTS;
  return events.filter((event) => needs.sessionEnd || event !== 'SessionEnd');
}

export function trustEntriesFor(
  hooksFile: string,
  ours: OurHook[],
  platform: NodeJS.Platform = process.platform,
): TrustEntry[] {
  return ours.map((hook) => ({
    key: hookTrustKey(hooksFile, hook.event, hook.groupIndex, hook.handlerIndex),
    hash: hookTrustHash(hook.event, hook.group, hook.handler, platform),
  }));
}

/**
 * The user's own hooks that Codex had trusted and whose position changes between two versions of a file
 * (a group of ours before them was removed): their trust keys no longer match, so Codex skips them until
 * the user approves them again in /hooks. Returns "<Event> #<group>" for each.
 */
export function movedTrustedUserHooks(
  file: string,
  before: HooksDocument,
  after: HooksDocument,
  states: Record<string, { trusted_hash?: string }>,
): string[] {
  const positions = (doc: HooksDocument) => {
    const at = new Map<unknown, string>();
    for (const [event, groups] of eventGroups(doc)) {
      groups.forEach((group, g) => {
        if (!Array.isArray(group.hooks)) return;
        group.hooks.forEach((handler, h) => {
          if (!isOurHandler(handler)) at.set(handler, hookTrustKey(file, event, g, h));
        });
      });
    }
    return at;
  };
  const now = positions(after);
  const moved: string[] = [];
  for (const [handler, key] of positions(before)) {
    const next = now.get(handler);
    if (next !== undefined && next !== key && states[key]?.trusted_hash) moved.push(key);
  }
  return moved;
}

// ---- writing Codex's files ---------------------------------------------------------------------------

/**
 * The file a write to the Codex file `file` changes: a symbolic link (dotfile managers, Home Manager) is
 * written through, so the link stays. Throws CodexFileError, naming the link, when that target cannot be
 * written (read-only, as in /nix/store) or does not exist.
 */
export function codexFileTarget(file: string): string {
  let target: string;
  try {
    target = linkTarget(file);
  } catch {
    throw new CodexFileError(
      `${file} is a symbolic link to a file that does not exist, so it was left untouched; fix or remove the link and run this again.`,
    );
  }
  // A file without any write bit is read-only by intent (the Nix store's are 0444), also for root.
  const writable = (path: string) => {
    try {
      accessSync(path, constants.W_OK);
      return (statSync(path).mode & 0o222) !== 0;
    } catch {
      return false;
    }
  };
  if (target !== file && !(writable(target) && writable(dirname(target)))) {
    throw new CodexFileError(
      `${file} is a symbolic link to ${target}, which cannot be written (read-only), so nothing was changed; make that file writable, or replace the link with a copy, and run this again.`,
    );
  }
  return target;
}

/** Writes a Codex file atomically, through a symbolic link (see codexFileTarget). */
export function writeCodexFile(file: string, text: string): void {
  writeFileAtomic(codexFileTarget(file), text, { mode: 0o644, dirMode: 0o755 });
}

// ---- the record of original files -------------------------------------------------------------------

interface Manifest {
  /** Per file we changed: its text before we first changed it (null: it did not exist). */
  originals: Record<string, string | null>;
}

/** The record of the files we changed and their original bytes (`uninstall` gives them back). */
export function manifestPath(env: Env): string {
  return join(statePaths(env).root, 'installed-files.json');
}

function readManifest(env: Env): Manifest {
  try {
    const json = JSON.parse(readFileSync(manifestPath(env), 'utf8')) as Partial<Manifest>;
    return { originals: typeof json.originals === 'object' && json.originals ? json.originals : {} };
  } catch {
    return { originals: {} };
  }
}

function writeManifest(env: Env, manifest: Manifest): void {
  writeFileAtomic(manifestPath(env), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}

/** Every file we changed and have not yet given back (hooks files and config.toml). */
export function installedFiles(env: Env = process.env): string[] {
  return Object.keys(readManifest(env).originals);
}

// ---- planning and applying ------------------------------------------------------------------------

interface FileChange {
  file: string;
  before: string | null;
  /** null: delete the file. */
  after: string | null;
}

/**
 * The variable that moves the folder `file` is in, to name in a refusal: CODEX_HOME for Codex's files,
 * INFINIUM_CODEX_HOME for our state (none for a project's own files).
 */
export function folderSetting(file: string, env: Env): string | undefined {
  const inside = (dir: string) => insideFolder(dir, file);
  if (inside(resolvedCodexHome(env)) || (env.CODEX_HOME && inside(env.CODEX_HOME))) return 'CODEX_HOME';
  if (inside(statePaths(env).root)) return 'INFINIUM_CODEX_HOME';
  return undefined;
}

/**
 * Refuses (CodexFileError), before anything is written, a change we could not write: a link to a
 * read-only file (see codexFileTarget), or a folder we may not write in, that of a file or its backup, or
 * our state folder, where the record of what we changed and of when our hooks were live goes.
 */
function checkWritable(changes: FileChange[], env: Env): void {
  const files = [manifestPath(env)];
  for (const change of changes) {
    if (change.before === change.after) continue;
    files.push(`${change.file}.infinium-codex.bak`, codexFileTarget(change.file));
  }
  const refusal = writeRefusal(files, (file) => folderSetting(file, env));
  if (refusal) throw new CodexFileError(refusal);
}

function applyChanges(changes: FileChange[], env: Env): string[] {
  const manifest = readManifest(env);
  const backups: string[] = [];
  let manifestChanged = false;
  for (const change of changes) {
    if (change.before === change.after) continue;
    if (!(change.file in manifest.originals)) {
      manifest.originals[change.file] = change.before;
      manifestChanged = true;
    }
    // A file we delete holds nothing of the user's (we created it, and only ours is left): no backup.
    if (change.before !== null && change.after !== null) backups.push(backupFile(change.file));
    if (change.after === null) rmSync(change.file, { force: true });
    else writeCodexFile(change.file, change.after);
  }
  if (manifestChanged) writeManifest(env, manifest);
  return backups;
}

export interface InstallRequest {
  scope: Scope;
  /** The project folder (for `--scope project`, and to find its hooks file). */
  projectDir: string;
  capture: CaptureMode;
  target: HookTarget;
  /** Write Codex trust entries for our hooks (the user agreed). */
  trust: boolean;
  codexVersion: Version | null;
  env?: Env;
  platform?: NodeJS.Platform;
}

export interface InstallResult {
  hooksFile: string;
  configToml: string;
  events: string[];
  hooksChanged: boolean;
  configChanged: boolean;
  /** Trust entries written or already in place, one per hook of ours (empty when not trusted). */
  trusted: TrustEntry[];
  backups: string[];
  /** Trust keys of the user's own hooks that moved (see movedTrustedUserHooks). */
  movedUserHooks: string[];
  /** Tables Codex or the user had put inside our config.toml block, now kept outside it. */
  movedOutOfBlock: string[];
  /** Whether our config.toml block was at the end of the file (as earlier versions wrote it) and is moved. */
  movedBlock: boolean;
}

/** An install worked out and checked, not yet written (see planInstall). */
export interface InstallPlan {
  result: Omit<InstallResult, 'backups'>;
  changes: FileChange[];
  env: Env;
}

/**
 * Works out every change an install makes and refuses (CodexFileError) whatever we will not edit or cannot
 * write, without writing anything: `init` plans before it writes its own settings, so a refusal leaves
 * nothing half done.
 */
export function planInstall(request: InstallRequest): InstallPlan {
  const env = request.env ?? process.env;
  const platform = request.platform ?? process.platform;
  const needs = codexNeeds(request.codexVersion);
  const hooksFile = hooksFileFor(request.scope, request.projectDir, env);
  const configToml = userConfigToml(env);
  const unsafe = packageTrustProblem(request.target);
  if (unsafe) throw new CodexFileError(packageTrustRefusal(unsafe));
  if (request.scope === 'project') {
    const userFile = hooksFileFor('user', request.projectDir, env);
    if (holdsOurHooks(userFile)) {
      throw new CodexFileError(
        `Our hooks are already installed for every project in ${userFile}; installing them for this project too would capture each event twice (run \`infinium-codex uninstall\` first to switch to --scope project).`,
      );
    }
  }
  const events = eventsFor(request.capture, needs);
  const hooks = readHooksFile(hooksFile);
  const toml = readConfigToml(configToml);
  const newDoc = withOurHooks(hooks.doc, events, request.target);
  const unchanged = hooks.text !== null && isDeepStrictEqual(newDoc, hooks.doc);
  const hooksText = unchanged ? hooks.text : serializeHooks(newDoc, hooks.text);
  const oldKeys = trustEntriesFor(hooksFile, findOurHooks(hooks.doc), platform).map((e) => e.key);
  const entries = trustEntriesFor(hooksFile, findOurHooks(newDoc), platform);
  const wanted = request.trust && needs.trust ? entries : [];
  const staleKeys = oldKeys.filter((key) => !wanted.some((e) => e.key === key));
  const writesToml =
    wanted.length > 0 ||
    staleKeys.length > 0 ||
    needs.featureFlag ||
    hasOurBlock(toml.text ?? '', configToml);
  const block = writesToml
    ? withTrustBlock(toml.text, { entries: wanted, staleKeys, featureFlag: needs.featureFlag }, configToml)
    : null;
  const tomlText = block ? block.text : toml.text;
  const changes: FileChange[] = [
    { file: hooksFile, before: hooks.text, after: hooksText },
    { file: configToml, before: toml.text, after: toml.text === null && tomlText === '' ? null : tomlText },
  ];
  checkWritable(changes, env);
  return {
    changes,
    env,
    result: {
      hooksFile,
      configToml,
      events,
      hooksChanged: hooksText !== hooks.text,
      configChanged: tomlText !== toml.text && !(toml.text === null && tomlText === ''),
      trusted: wanted,
      movedUserHooks: movedTrustedUserHooks(hooksFile, hooks.doc, newDoc, hookStates(toml.parsed)),
      movedOutOfBlock: block?.movedOut ?? [],
      movedBlock: block !== null && block.replacedLegacy && hasOurBlock(block.text, configToml),
    },
  };
}

/** Writes a planned install (backups first); the files are as planInstall read them. */
export function applyInstall(plan: InstallPlan): InstallResult {
  return { ...plan.result, backups: applyChanges(plan.changes, plan.env) };
}

/** Installs our hooks, and records that they are live from now on (src/config/hooks-live.ts). */
export function installHooks(request: InstallRequest): InstallResult {
  const result = applyInstall(planInstall(request));
  markHooksLive(request.env ?? process.env);
  return result;
}

export interface UninstallResult {
  /** Files we changed (or deleted), with what happened to each. */
  changed: { file: string; action: 'restored' | 'edited' | 'deleted' }[];
  backups: string[];
  /** Trust keys of the user's own hooks that moved (see movedTrustedUserHooks). */
  movedUserHooks: string[];
}

/** Removes our hooks from the given hooks files and our trust entries from config.toml. */
export function uninstallHooks(hooksFiles: string[], env: Env = process.env): UninstallResult {
  const manifest = readManifest(env);
  const configToml = userConfigToml(env);
  const changes: FileChange[] = [];
  const ourKeys: string[] = [];
  const toml = readConfigToml(configToml);
  const movedUserHooks: string[] = [];
  for (const file of [...new Set(hooksFiles)]) {
    const { text, doc } = readHooksFile(file);
    if (text === null) continue;
    const ours = findOurHooks(doc);
    if (ours.length === 0) continue;
    ourKeys.push(...ours.map((hook) => hookTrustKey(file, hook.event, hook.groupIndex, hook.handlerIndex)));
    const without = withoutOurHooks(doc);
    movedUserHooks.push(...movedTrustedUserHooks(file, doc, without, hookStates(toml.parsed)));
    changes.push({ file, before: text, after: restoredHooksText(file, without, text, manifest) });
  }
  if (toml.text !== null) {
    const remainder = withoutTrustBlock(toml.text, ourKeys, configToml);
    const original = manifest.originals[configToml];
    changes.push({
      file: configToml,
      before: toml.text,
      after: original === null && remainder === '' ? null : remainder,
    });
  }
  checkWritable(changes, env);
  const result: UninstallResult = { changed: [], backups: [], movedUserHooks };
  for (const change of changes) {
    if (change.before === change.after) continue;
    const original = manifest.originals[change.file];
    result.changed.push({
      file: change.file,
      action: change.after === null ? 'deleted' : change.after === original ? 'restored' : 'edited',
    });
  }
  result.backups = applyChanges(changes, env);
  for (const change of changes) delete manifest.originals[change.file];
  if (existsSync(manifestPath(env))) writeManifest(env, manifest);
  return result;
}

/** The user's original bytes when the document now means the same as they did, else a fresh serialisation. */
function restoredHooksText(
  file: string,
  doc: HooksDocument,
  text: string,
  manifest: Manifest,
): string | null {
  const original = manifest.originals[file];
  if (original === null && Object.keys(doc.hooks).length === 0 && Object.keys(doc).length === 1) return null;
  if (typeof original === 'string') {
    try {
      if (isDeepStrictEqual(parseHooksDocument(original, file), doc)) return original;
    } catch {
      // the original was not ours to judge; fall through to a fresh serialisation
    }
  }
  return serializeHooks(doc, text);
}

/** `managed`: in the system layer (`init --system`), where Codex runs hooks without trust. */
export type HookTrustState = 'trusted' | 'untrusted' | 'modified' | 'disabled' | 'managed';

export interface InstalledHook {
  event: string;
  key: string;
  /** The hash Codex computes for the hook as it is in the file now. */
  hash: string;
  trust: HookTrustState;
  /** What the POSIX command runs: front-end, node and dist/ (null when the command is not in our form). */
  paths: HandlerPaths | null;
}

/**
 * Our hooks in a hooks file as Codex sees them now: keys and hashes recomputed from the file as it is, trust
 * from config.toml (`toml`: its parsed table, when the caller read it already).
 */
export function inspectHooks(
  hooksFile: string,
  env: Env = process.env,
  platform: NodeJS.Platform = process.platform,
  { managed = false, toml = readConfigToml(userConfigToml(env)).parsed } = {},
): InstalledHook[] {
  const ours = findOurHooks(readHooksFile(hooksFile).doc);
  const states = hookStates(toml);
  return ours.map((hook) => {
    const key = hookTrustKey(hooksFile, hook.event, hook.groupIndex, hook.handlerIndex);
    const hash = hookTrustHash(hook.event, hook.group, hook.handler, platform);
    const state = states[key];
    const trust: HookTrustState =
      state?.enabled === false
        ? 'disabled'
        : managed
          ? 'managed'
          : state?.trusted_hash === undefined
            ? 'untrusted'
            : state.trusted_hash === hash
              ? 'trusted'
              : 'modified';
    return { event: hook.event, key, hash, trust, paths: ourHandlerPaths(hook.handler) };
  });
}

/** Our hooks in Codex's managed layer (`init --system`), if any (`toml` as for inspectHooks). */
export function inspectManagedHooks(env: Env = process.env, toml?: TomlTable): InstalledHook[] {
  const file = systemHooksFile(env);
  return existsSync(file) ? inspectHooks(file, env, process.platform, { managed: true, toml }) : [];
}
