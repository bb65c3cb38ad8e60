// What came of a turn: the files it changed (git evidence from src/git/snapshot.ts, else the patches the
// rollout records), the checks its commands ran (src/trace/checks.ts) and how each kind ended, commits,
// pushes and pull requests, as environment.outcome, the `outcome` sentence and `development`. Pure.
import {
  CHECK_KINDS,
  type Development,
  MAX_LISTED_FILES,
  type OutcomeCheck,
  type OutcomeEvidence,
} from '../infinium/task-data';
import type { ToolActivity } from './activity';
import { type CheckKind, type CheckResult, checkResults, coverageTotal, simpleCommands } from './checks';
import type { CommitFacts, FileChange, FileStatus } from './git-output';

/** The state of the repository at one snapshot, as the trace shows it (no tree id: it names nothing). */
export interface SnapshotFacts {
  head?: string;
  branch?: string;
  dirty: boolean;
  /** When the snapshot was taken (epoch ms): after the turn's first tool call, the evidence is partial. */
  atMs: number;
}

/** What the worker found in git for a turn (src/worker/evidence.ts). */
export type GitEvidence =
  | {
      available: true;
      before: SnapshotFacts;
      after: SnapshotFacts;
      files: FileChange[];
      commits: CommitFacts[];
    }
  | { available: false; reason: string; before?: SnapshotFacts; after?: SnapshotFacts };

/** A tool call of the turn, with the step that shows it (a sub-agent's: its sub-agent step). */
export interface PlacedTool {
  tool: ToolActivity;
  stepNumber?: number;
  agentId?: string;
}

/** How texts are shown: the trace's content mode and redaction (src/trace/build.ts TextPolicy). */
export interface OutcomeText {
  withText: boolean;
  excerpt(text: string | undefined, max: number): string | undefined;
}

export interface TurnOutcome {
  evidence: OutcomeEvidence;
  sentence: string;
  development?: Development;
}

interface PlacedCheck extends CheckResult {
  stepNumber?: number;
  agentId?: string;
  atMs: number;
}

/** Every check the turn's commands ran (sub-agents' included), in the order they ran. */
function checksOf(tools: readonly PlacedTool[]): PlacedCheck[] {
  return tools
    .filter(({ tool }) => tool.kind === 'command')
    .flatMap(({ tool, stepNumber, agentId }) =>
      checkResults(tool).map((check) => ({ ...check, stepNumber, agentId, atMs: tool.atMs })),
    )
    .sort((a, b) => a.atMs - b.atMs);
}

/** `*** Add File:` / `*** Update File:` / `*** Delete File:` / `*** Move to:` sections of apply_patch bodies. */
export function patchChanges(patches: readonly string[]): FileChange[] {
  const byPath = new Map<string, FileChange>();
  for (const patch of patches) {
    let current: FileChange | undefined;
    for (const line of patch.split('\n')) {
      const header = /^\*\*\* (Add|Update|Delete) File: (.+)$/.exec(line);
      if (header) {
        const path = (header[2] as string).trim();
        const status: FileStatus =
          header[1] === 'Add' ? 'added' : header[1] === 'Delete' ? 'deleted' : 'modified';
        const known = byPath.get(path);
        current = known ?? { path, status, added: 0, removed: 0 };
        if (status === 'deleted') {
          current.status = 'deleted';
          // The removed file's lines are not in the patch.
          delete current.removed;
        }
        byPath.set(path, current);
        continue;
      }
      const move = /^\*\*\* Move to: (.+)$/.exec(line);
      if (move && current) {
        byPath.delete(current.path);
        current.from = current.path;
        current.path = (move[1] as string).trim();
        current.status = 'renamed';
        byPath.set(current.path, current);
        continue;
      }
      if (!current || line.startsWith('***')) continue;
      if (line.startsWith('+')) current.added = (current.added ?? 0) + 1;
      else if (line.startsWith('-') && current.removed !== undefined) current.removed += 1;
    }
  }
  return [...byPath.values()];
}

const PUSH = /^git\s+(?:-\S+\s+(?:\S+\s+)?)*push\b/;
const PR_URL = /https?:\/\/[^\s"'<>]+\/pull(?:s)?\/\d+/;

/** Whether a command pushed (a `git push` that succeeded). */
function pushed(tools: readonly PlacedTool[]): boolean {
  return tools.some(
    ({ tool }) =>
      tool.kind === 'command' &&
      tool.status === 'success' &&
      simpleCommands(tool.input).some((command) => PUSH.test(command.replace(/^\w+=\S*\s+/, ''))),
  );
}

/** The URL `gh pr create` printed (the last pull request the turn opened). */
function pullRequestUrl(tools: readonly PlacedTool[]): string | undefined {
  let url: string | undefined;
  for (const { tool } of tools) {
    if (tool.kind !== 'command' || tool.status !== 'success' || !/\bgh\s+pr\s+create\b/.test(tool.input))
      continue;
    url = PR_URL.exec(tool.output ?? '')?.[0] ?? url;
  }
  return url;
}

const LANGUAGES: Record<string, string> = {
  ts: 'TypeScript',
  tsx: 'TypeScript',
  mts: 'TypeScript',
  cts: 'TypeScript',
  js: 'JavaScript',
  jsx: 'JavaScript',
  mjs: 'JavaScript',
  cjs: 'JavaScript',
  py: 'Python',
  go: 'Go',
  rs: 'Rust',
  java: 'Java',
  kt: 'Kotlin',
  kts: 'Kotlin',
  scala: 'Scala',
  cs: 'C#',
  fs: 'F#',
  rb: 'Ruby',
  php: 'PHP',
  swift: 'Swift',
  c: 'C',
  h: 'C',
  cc: 'C++',
  cpp: 'C++',
  cxx: 'C++',
  hpp: 'C++',
  m: 'Objective-C',
  dart: 'Dart',
  ex: 'Elixir',
  exs: 'Elixir',
  erl: 'Erlang',
  hs: 'Haskell',
  lua: 'Lua',
  r: 'R',
  jl: 'Julia',
  sh: 'Shell',
  bash: 'Shell',
  zig: 'Zig',
  vue: 'Vue',
  svelte: 'Svelte',
  sql: 'SQL',
  clj: 'Clojure',
  ml: 'OCaml',
  pl: 'Perl',
};

/** The programming language most of the changed lines are in (files of no language are not counted). */
function mainLanguage(files: readonly FileChange[]): string | undefined {
  const weight = new Map<string, number>();
  for (const file of files) {
    const extension = /\.([A-Za-z0-9]+)$/.exec(file.path)?.[1]?.toLowerCase();
    const language = extension ? LANGUAGES[extension] : undefined;
    if (!language) continue;
    weight.set(language, (weight.get(language) ?? 0) + 1 + (file.added ?? 0) + (file.removed ?? 0));
  }
  return [...weight].sort((a, b) => b[1] - a[1])[0]?.[0];
}

const KIND_LABEL: Record<CheckKind, string> = {
  test: 'Tests',
  build: 'Build',
  typecheck: 'Type check',
  lint: 'Lint',
  format: 'Format check',
};

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

function countsText(check: PlacedCheck): string {
  const parts: string[] = [];
  if (check.passed !== undefined) parts.push(`${check.passed} passed`);
  if (check.failed) parts.push(`${check.failed} failed`);
  if (check.skipped) parts.push(`${check.skipped} skipped`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** `Tests: \`npm test\` failed, then passed (12 passed).` for each kind the turn checked. */
function checksSentence(checks: readonly PlacedCheck[], shown: (check: PlacedCheck) => string): string[] {
  const sentences: string[] = [];
  for (const kind of CHECK_KINDS) {
    const runs = checks.filter((check) => check.kind === kind);
    const last = runs.at(-1);
    if (!last) continue;
    const statuses = runs
      .map((run) => run.status)
      .filter((status, i, all) => i === 0 || all[i - 1] !== status);
    sentences.push(`${KIND_LABEL[kind]}: \`${shown(last)}\` ${statuses.join(', then ')}${countsText(last)}.`);
  }
  return sentences;
}

function sign(count: number | undefined, symbol: string): string {
  return `${symbol}${count ?? 0}`;
}

/**
 * The outcome of a turn (or of a session's turns, with their tools together): evidence for
 * environment.outcome, the one- or two-sentence `outcome`, and `development`.
 */
export function turnOutcome(
  tools: readonly PlacedTool[],
  git: GitEvidence | undefined,
  text: OutcomeText,
): TurnOutcome {
  const firstToolAtMs = tools.reduce<number | undefined>(
    (first, { tool }) => (first === undefined || tool.atMs < first ? tool.atMs : first),
    undefined,
  );
  let evidence: OutcomeEvidence['evidence'];
  let reason: string | undefined;
  let files: FileChange[];
  let commits: CommitFacts[] = [];
  if (git?.available) {
    files = git.files;
    commits = git.commits;
    const late = firstToolAtMs !== undefined && git.before.atMs > firstToolAtMs;
    evidence = late ? 'partial' : 'complete';
    if (late) reason = "the snapshot before the turn was taken after the turn's first tool call";
  } else {
    evidence = 'unavailable';
    reason = git?.reason ?? 'git evidence was not gathered';
    files = patchChanges(tools.filter(({ tool }) => tool.kind === 'patch').map(({ tool }) => tool.input));
  }
  const checks = checksOf(tools);
  const linesAdded = files.reduce((sum, file) => sum + (file.added ?? 0), 0);
  const linesRemoved = files.reduce((sum, file) => sum + (file.removed ?? 0), 0);
  const shownCommand = (check: PlacedCheck) =>
    text.withText ? (text.excerpt(check.command, 200) ?? check.tool) : check.tool;
  const final: OutcomeEvidence['checks_final'] = {};
  for (const check of checks) final[check.kind] = check.status;
  const isPushed = pushed(tools);
  const prUrl = text.withText ? text.excerpt(pullRequestUrl(tools), 500) : undefined;

  const evidenceOut: OutcomeEvidence = {
    evidence,
    reason,
    files_source: git?.available ? 'git' : 'rollout_patches',
    git: {
      head_before: git?.before?.head,
      head_after: git?.after?.head,
      branch_before: git?.before?.branch,
      branch_after: git?.after?.branch,
      dirty_before: git?.before?.dirty,
      dirty_after: git?.after?.dirty,
    },
    files_changed: files.length,
    lines_added: linesAdded,
    lines_removed: linesRemoved,
    files: text.withText
      ? files.slice(0, MAX_LISTED_FILES).map((file) => ({
          path: text.excerpt(file.path, 1_000) ?? '',
          from: file.from === undefined ? undefined : text.excerpt(file.from, 1_000),
          status: file.status,
          added: file.added,
          removed: file.removed,
        }))
      : undefined,
    files_not_listed:
      text.withText && files.length > MAX_LISTED_FILES ? files.length - MAX_LISTED_FILES : undefined,
    commits: commits.map((commit) => ({
      sha: commit.sha,
      subject: text.withText ? text.excerpt(commit.subject, 200) : undefined,
      files: commit.files,
    })),
    pushed: isPushed,
    pull_request_url: prUrl,
    checks: checks.map(
      (check): OutcomeCheck => ({
        kind: check.kind,
        command: shownCommand(check),
        step_number: check.stepNumber,
        agent_id: check.agentId,
        exit_code: check.exitCode,
        status: check.status,
        passed: check.passed,
        failed: check.failed,
        skipped: check.skipped,
      }),
    ),
    checks_final: final,
  };

  const sentences: string[] = [];
  const lines = `(${sign(linesAdded, '+')} ${sign(linesRemoved, '−')})`;
  if (files.length > 0) {
    const source = git?.available ? '' : ' by its patches (git evidence unavailable)';
    sentences.push(`Changed ${plural(files.length, 'file')} ${lines}${source}.`);
  } else if (git?.available) sentences.push('Changed no files.');
  else sentences.push(`File changes unknown: ${reason}.`);
  sentences.push(...checksSentence(checks, shownCommand));
  const last = commits[0];
  if (last) {
    const subject = text.withText ? text.excerpt(last.subject, 120) : undefined;
    sentences.push(
      commits.length === 1
        ? `Committed ${last.sha}${subject ? ` "${subject}"` : ''}.`
        : `Made ${commits.length} commits, the last ${last.sha}${subject ? ` "${subject}"` : ''}.`,
    );
  }
  if (isPushed) sentences.push('Pushed.');
  if (prUrl) sentences.push(`Opened pull request ${prUrl}.`);

  const coverage = tools
    .filter(({ tool }) => tool.kind === 'command' && tool.output)
    .sort((a, b) => a.tool.atMs - b.tool.atMs)
    .reduce<number | undefined>((found, { tool }) => coverageTotal(tool.output ?? '') ?? found, undefined);
  const development: Development = {
    programming_language: mainLanguage(files),
    framework_used: checks.findLast((check) => check.kind === 'test' && check.framework)?.framework,
    test_coverage: coverage,
  };
  const hasDevelopment = Object.values(development).some((value) => value !== undefined);
  return {
    evidence: evidenceOut,
    sentence: sentences.join(' '),
    development: hasDevelopment ? development : undefined,
  };
}
