#!/usr/bin/env node
// The installed `infinium-codex` command. Kept tiny and CommonJS: everything but the hook path loads the
// CLI bundle lazily, so a hook event never pays for commander, prompts or the HTTP client.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

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

void runCli();
