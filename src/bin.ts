#!/usr/bin/env node
// The installed `infinium-codex` command. Kept tiny and CommonJS: everything but the hook path loads the
// CLI bundle lazily, so a hook event never pays for commander, prompts or the HTTP client.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import(pathToFileURL(join(__dirname, 'cli.mjs')).href)
  .then(
    (cli: { main(argv: string[]): Promise<number> }) => cli.main(process.argv),
    (error: unknown) => {
      process.stderr.write(
        `infinium-codex: could not load the CLI (${String(error)}). Reinstall the package.\n`,
      );
      process.exitCode = 70;
    },
  )
  .then((code) => {
    if (typeof code === 'number') process.exitCode = code;
  });
