// Maps argv to commands. The only place that turns errors into exit codes and messages: a user's mistake
// gets one sentence (and the fix) on stderr and exit 1 (2 for bad usage); a bug gets a short note and its
// stack in our log file, never on the screen.
import { renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import pkg from '../../package.json';
import { CodexFileError } from '../codex/hooks-file';
import { folderSetting } from '../codex/install';
import { fileErrorSentence } from '../config/atomic-file';
import { type Env, statePaths, stateRootProblem } from '../config/paths';
import { CAPTURE_MODES, CONTENT_MODES, ConfigError, FRONT_ENDS, GRANULARITIES } from '../config/settings';
import { InfiniumError } from '../infinium/errors';
import { appendNoFollow, ensureDir, tightenStateRoot } from '../spool/layout';
import type { CliContext } from './context';
import { ExitCode, UserError } from './errors';
import { createOutput, type Output } from './output';

const LOG_MAX_BYTES = 1024 * 1024;

/** Writes a bug's details to logs/cli.log (rotated once past 1 MB); returns the log's path, or null. */
function logInternalError(error: unknown, env: Env): string | null {
  const file = join(statePaths(env).logs, 'cli.log');
  try {
    ensureDir(dirname(file));
    try {
      if (statSync(file).size > LOG_MAX_BYTES) renameSync(file, `${file}.1`);
    } catch {
      // no log yet
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    appendNoFollow(file, `${new Date().toISOString()} ${process.argv.slice(2, 3).join(' ')}: ${detail}\n`);
    return file;
  } catch {
    return null;
  }
}

function report(error: unknown, out: Output, env: Env): number {
  if (error instanceof ExitCode) return error.exitCode;
  if (error instanceof CommanderError) {
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
    ) {
      return 0;
    }
    return 2;
  }
  if (error instanceof UserError || error instanceof InfiniumError) {
    out.error(`${out.red('Error:')} ${error.message}`);
    if (error.hint) out.error(error.hint);
    return error instanceof UserError ? error.exitCode : 1;
  }
  if (error instanceof ConfigError || error instanceof CodexFileError) {
    out.error(`${out.red('Error:')} ${error.message}`);
    return 1;
  }
  // A folder the user made read-only, a full disk: theirs to fix, so one sentence, not a bug report.
  const fileProblem = fileErrorSentence(error, (file) => folderSetting(file, env));
  if (fileProblem) {
    out.error(`${out.red('Error:')} ${fileProblem}`);
    return 1;
  }
  const log = logInternalError(error, env);
  const message = error instanceof Error ? error.message : String(error);
  out.error(
    `${out.red('Error:')} something unexpected went wrong (${message}).${log ? ` Details are in ${log};` : ''} please report it.`,
  );
  return 70;
}

export interface MainOptions {
  env?: Env;
  cwd?: string;
}

/**
 * A reader that closed early (`status | head -1`) must not turn into Node's unhandled 'error' event and its
 * stack: like git or gh we stop printing and finish quietly. Later writes to the destroyed stream are
 * dropped by Node without another event.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  // EPIPE above all; no other failure to write our own stdout/stderr could be reported there either.
  stream.on('error', () => undefined);
}

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  // `-v` alone is what many CLIs take for the version; ours is `-V` (`-v` means --verbose where it exists).
  if (argv.length === 3 && argv[2] === '-v') argv = [...argv.slice(0, 2), '--version'];
  const out = createOutput(process.stdout, process.stderr, env);
  const ctx: CliContext = {
    env,
    cwd: options.cwd ?? process.cwd(),
    out,
    stdin: process.stdin,
    interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
    progress: process.stderr,
    // The running bundle is dist/cli.mjs: the hook front-ends sit beside it.
    target: { distDir: dirname(fileURLToPath(import.meta.url)), nodePath: process.execPath },
  };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    return report(error, out, env);
  }
}

const json = () => new Option('--json', 'print the result as JSON');
/**
 * `--agent-secret <value>` is taken only to be refused: a command line is readable by every local user
 * (`ps`, /proc/<pid>/cmdline) and kept in shell history. Hidden from help; its value is never repeated.
 */
const secretOnCommandLine = () => new Option('--agent-secret <secret>').hideHelp();
const SECRET_ON_COMMAND_LINE =
  '--agent-secret puts the secret on the command line, where other local users can read it and your shell history keeps it: pipe it in with --agent-secret-stdin, or set INFINIUM_AGENT_SECRET.';

export type CommandName =
  | 'init'
  | 'init-system'
  | 'init-ci'
  | 'init-local'
  | 'test'
  | 'status'
  | 'doctor'
  | 'pause'
  | 'resume'
  | 'allow'
  | 'deny'
  | 'history'
  | 'history-show'
  | 'retry'
  | 'results'
  | 'view'
  | 'import'
  | 'update-credentials'
  | 'uninstall'
  | 'hook';

/** Runs one command with the options commander parsed; commands load lazily, so `--help` stays quick. */
export type CommandRunner = (command: CommandName, options: Record<string, unknown>) => Promise<void>;

function commandRunner(ctx: CliContext): CommandRunner {
  // biome-ignore lint/suspicious/noExplicitAny: each command checks its own options; commander types them loosely.
  return async (command, options: any) => {
    if (options.agentSecret !== undefined) throw new UserError(SECRET_ON_COMMAND_LINE, undefined, 2);
    if (command !== 'hook') {
      // The hook path stays silent and does its own check (src/hook): a relative state dir spools nothing.
      tightenStateRoot(ctx.env);
      const problem = stateRootProblem(ctx.env);
      if (problem) throw new UserError(problem);
    }
    switch (command) {
      case 'init':
        return (await import('./init')).init(options, ctx);
      case 'init-system':
        return (await import('./init/system')).initSystem(options, ctx);
      case 'init-ci':
        return (await import('./init/ci')).initCi(options, ctx);
      case 'init-local':
        return (await import('./init/local')).initLocal(options, ctx);
      case 'test':
        return (await import('./test')).test(options, ctx);
      case 'status':
        return (await import('./status')).status(options, ctx);
      case 'doctor':
        return (await import('./doctor')).doctor(options, ctx);
      case 'pause':
        return (await import('./pause')).pause(options, ctx);
      case 'resume':
        return (await import('./resume')).resume(options, ctx);
      case 'allow':
      case 'deny':
        return (await import('./allow')).decide(command, options, ctx);
      case 'history':
        return (await import('./history')).history(options, ctx);
      case 'history-show':
        return (await import('./history')).historyShow(options, ctx);
      case 'retry':
        return (await import('./retry')).retry(options, ctx);
      case 'results':
        return (await import('./results')).results(options, ctx);
      case 'view':
        return (await import('./view')).view(options, ctx);
      case 'import':
        return (await import('./import')).importSessions(options, ctx);
      case 'update-credentials':
        return (await import('./update-credentials')).updateCredentials(options, ctx);
      case 'uninstall':
        return (await import('./uninstall')).uninstall(options, ctx);
      case 'hook':
        return (await import('../hook/node-hook')).runHook(options.event, ctx.env);
    }
  };
}

export function buildProgram(ctx: CliContext, run: CommandRunner = commandRunner(ctx)): Command {
  const program = new Command('infinium-codex')
    .description('Trace OpenAI Codex CLI sessions to Infinium.')
    .version(pkg.version, '-V, --version')
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (text) => ctx.out.write(text),
      writeErr: (text) => ctx.out.writeError(text),
      outputError: (text, write) => write(`${ctx.out.red('Error:')} ${text.replace(/^error: /, '')}`),
    });
  program.exitOverride();
  program.addHelpText(
    'after',
    `
Examples:
  $ cd ~/work/my-project && infinium-codex init   set up tracing for this project (a wizard)
  $ infinium-codex status                         what is set up here, and what was sent last
  $ infinium-codex doctor --fix                   find and repair what stops traces

Docs: ${pkg.homepage}`,
  );

  program
    .command('init')
    .description('set up tracing: agent, secret, hooks in Codex (a wizard, or flags with --yes)')
    .option('-y, --yes', 'no questions: take the flags, the existing config and the defaults')
    .option('--no-interactive', 'the same as --yes')
    .option('--agent-id <id>', 'the Infinium agent id')
    .option('--agent-secret-stdin', 'read the agent secret from stdin')
    .addOption(secretOnCommandLine())
    .option('--base-url <url>', 'the Infinium API base URL')
    .addOption(
      new Option('--scope <scope>', 'where the hooks go: user (every project, default) or project').choices([
        'user',
        'project',
      ]),
    )
    .option('--all-projects', 'trace every project to this agent: save it as your default agent')
    .addOption(new Option('--capture <mode>', 'hook set: lean (default) or full').choices(CAPTURE_MODES))
    .addOption(new Option('--granularity <unit>', 'one trace per turn or per session').choices(GRANULARITIES))
    .addOption(new Option('--content-mode <mode>', 'what text is sent').choices(CONTENT_MODES))
    .addOption(
      new Option(
        '--front-end <kind>',
        'what runs each hook: native (default, when this platform has it) or sh (hook.sh)',
      ).choices(FRONT_ENDS),
    )
    .option('--trust', 'write Codex trust entries for our hooks (default)')
    .option('--no-trust', 'do not trust the hooks; approve them yourself in Codex with /hooks')
    .option('--no-keyring', 'store the secret in a 0600 file instead of the OS keyring')
    .option('--gitignore', 'add .infinium/ to the project .gitignore')
    .option('--no-gitignore', 'leave .gitignore alone')
    .option('--offline', 'do not check the credentials with Infinium')
    .option('--project <dir>', 'the project folder (default: the current one)')
    .option('--system', 'as root: install the managed hook layer for every user of this machine')
    .option('--print', 'with --system: print the managed hooks and machine defaults instead of writing them')
    .option('--local', 'no account yet: trace every turn into local history only; nothing is sent')
    .option(
      '--ci',
      'CI and containers: agent from INFINIUM_* in the environment, hooks only, no settings written',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ infinium-codex init
  $ printf %s "$SECRET" | infinium-codex init --yes --agent-id <id> --agent-secret-stdin
  $ INFINIUM_AGENT_ID=<id> INFINIUM_AGENT_SECRET=<secret> infinium-codex init --ci
  $ infinium-codex init --local`,
    )
    .action((flags) =>
      run(flags.local ? 'init-local' : flags.system ? 'init-system' : flags.ci ? 'init-ci' : 'init', flags),
    );

  program
    .command('test')
    .description('check config, secret and network with Infinium (sends no trace unless asked)')
    .option('--send-trace', 'also send one trace, named and marked as a connection test')
    .option('-v, --verbose', 'with --send-trace: print the payload sent')
    .addOption(json())
    .action((flags) => run('test', flags));

  program
    .command('status')
    .description('what is set up, what is waiting, what was sent last')
    .addOption(json())
    .action((flags) => run('status', flags));

  program
    .command('doctor')
    .description('find everything that can make traces silently vanish, with the fix for each')
    .option('--fix', 'apply the safe fixes (rewrite our hooks and trust, re-queue dead traces)')
    .addOption(json())
    .action((flags) => run('doctor', flags));

  program
    .command('pause')
    .description('stop tracing this project (or --all); paused turns are dropped, not kept')
    .option('--all', 'every project')
    .action((flags) => run('pause', flags));

  program
    .command('resume')
    .description('trace this project (or --all) again')
    .option('--all', 'every project')
    .action((flags) => run('resume', flags));

  program
    .command('allow')
    .description(
      "let this project's .infinium/config.json choose the agent, base URL or a wider content mode",
    )
    .addOption(json())
    .action((flags) => run('allow', flags));

  program
    .command('deny')
    .description(
      "trace this project under your own settings, not its .infinium/config.json's agent or base URL",
    )
    .addOption(json())
    .action((flags) => run('deny', flags));

  const history = program
    .command('history')
    .description('recent traces: when, project, turn, status, steps, tokens, time, verdict, key')
    .option('-n, --limit <count>', 'how many (default: 20)')
    .addOption(json())
    .action((flags) => run('history', flags));
  history
    .command('show <key>')
    .description('a trace by its key (or trace id): status, reason, tokens, and the exact body sent')
    .addOption(new Option('--json', 'print only the body, exactly as sent'))
    // `history show <key> --json`: commander gives --json to `history`, which has one too.
    .action((id: string, _flags: unknown, command: Command) =>
      run('history-show', { id, json: command.optsWithGlobals().json === true }),
    );

  program
    .command('results [key]')
    .description("Maestro's evaluation of the latest sent trace (or the one given by key or trace id)")
    .option('-n, --last <count>', 'the newest <count> sent traces')
    .option('--wait', 'keep asking until each evaluation is ready (Maestro usually needs 5-30 s)')
    .option('--timeout <seconds>', 'with --wait: give up after this long (default 120)')
    .option('--full', 'print the whole evaluation object as Infinium returned it')
    .addOption(json())
    .action((key: string | undefined, flags) => run('results', { ...flags, key }));

  program
    .command('view')
    .description('a local page of every turn kept here and how Maestro judged it (127.0.0.1 only)')
    .option('--port <port>', 'serve on this port (default: a free one)')
    .option('--no-open', 'print the URL without opening a browser')
    .action((flags) => run('view', flags));

  program
    .command('import')
    .description('trace past Codex sessions from their rollouts: turns never traced, nothing twice')
    // Checked by the command, whose message gives an example value (first-run N16).
    .option('--since <when>', 'turns since then (required): a date (2026-11-01), date and time, or days (7d)')
    .option('--project <dir>', 'only sessions that ran in this folder or inside it')
    .option('--dry-run', 'list the sessions and turns, and what is skipped and why; send nothing')
    .option('-y, --yes', 'import without asking (needed when not in a terminal)')
    .option(
      '--include-unrecorded',
      'also turns made while our hooks were installed that they kept nothing of (tracing off, or paused)',
    )
    .addOption(json())
    .action((flags) => run('import', flags));

  program
    .command('retry')
    .description('send what is in the outbox now')
    .option('--dead', 're-queue traces that failed for a fixable reason (e.g. after new credentials)')
    .addOption(json())
    .action((flags) => run('retry', flags));

  program
    .command('update-credentials')
    .description('replace the agent id and/or secret')
    .option('--agent-id <id>', 'the new agent id')
    .option('--agent-secret-stdin', 'read the new secret from stdin (in a terminal it is asked for, masked)')
    .addOption(secretOnCommandLine())
    .option('--no-keyring', 'store the secret in a 0600 file instead of the OS keyring')
    .option('--offline', 'do not check the credentials with Infinium')
    .action((flags) => run('update-credentials', flags));

  program
    .command('uninstall')
    .description('remove our hooks and trust entries (and with --purge our state and secrets)')
    .option('--purge', 'also delete our state folder and stored secrets')
    .action((flags) => run('uninstall', flags));

  program
    // Internal: what hooks.json runs; hidden from the command list, documented in commands.md.
    .command('hook <event>', { hidden: true })
    .description(
      '(internal) the hook front-end hooks.json runs for each Codex event; always exits 0, silently',
    )
    // bin.cjs answers `hook` itself before this bundle loads; this path serves anyone who runs the bundle.
    .action((event: string) => run('hook', { event }));

  return program;
}
