// Doctor's check on Codex's config.toml around our marked block.
import { foreignInOurBlock, readConfigToml } from '../../codex/config-toml';
import { CodexFileError } from '../../codex/hooks-file';
import { userConfigToml } from '../../codex/install';
import type { CliContext } from '../context';
import type { Finding } from './finding';
import type { Probe } from './probe';

/** Codex writes new tables before a document's trailing comment, i.e. inside our marked block. */
export function blockFindings(probe: Probe, ctx: CliContext): Finding[] {
  const file = userConfigToml(ctx.env);
  let foreign: string[];
  try {
    const { text } = readConfigToml(file);
    foreign =
      text === null
        ? []
        : foreignInOurBlock(
            text,
            probe.hooks.map((hook) => hook.key),
            file,
          );
  } catch (error) {
    if (error instanceof CodexFileError) return [];
    throw error;
  }
  if (foreign.length === 0) return [];
  return [
    {
      check: 'config-toml',
      status: 'warn',
      summary: `${file} has ${foreign.join(', ')} inside the infinium-codex block (Codex adds new tables there); it is not ours and is kept`,
      ...(probe.scope === 'system'
        ? { fix: 'Move it above the `# >>> infinium-codex` line.' }
        : {
            fix: 'Run `infinium-codex doctor --fix` to move it out of the block.',
            repair: 'hooks' as const,
          }),
    },
  ];
}
