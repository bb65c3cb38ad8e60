#!/usr/bin/env node
// The installed `infinium-codex` command. Kept tiny and CommonJS: the hook path (`hook <Event>`, what
// Codex runs on every event) is handled here with node built-ins only; everything else loads the CLI
// bundle lazily, so a hook event never pays for commander, prompts or the HTTP client.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runHook } from './hook/node-hook';

interface CliModule {
  main(argv: string[]): Promise<number>;
}

async function runCli(): Promise<void> {
  let cli: CliModule;
  try {
    cli = await import(pathToFileURL(join(__dirname, 'cli.mjs')).href);
  } catch (error) {
    process.stderr.write(
      `infinium-codex: could not load the CLI (${String(error)}). Reinstall the package.\n`,
    );
    process.exitCode = 70;
    return;
  }
  process.exitCode = await cli.main(process.argv);
}

// `hook --help` is a person asking, not Codex: it goes to the CLI's help.
const helpWanted = process.argv[3] === '--help' || process.argv[3] === '-h';
if (process.argv[2] === 'hook' && !helpWanted) runHook(process.argv[3]);
else void runCli();
