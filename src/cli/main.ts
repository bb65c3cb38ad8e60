// Maps argv to commands. The only place that turns errors into exit codes and messages.
import { Command, CommanderError } from 'commander';
import pkg from '../../package.json';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('infinium-codex')
    .description('Trace OpenAI Codex CLI sessions to Infinium.')
    .version(pkg.version, '-V, --version')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
}
