// Doctor's check on Codex's config.toml around our block.
import { legacyBlockIn } from '../../codex/config-toml';
import { CodexFileError } from '../../codex/hooks-file';
import { userConfigToml } from '../../codex/install';
import type { CliContext } from '../context';
import type { Finding } from './finding';
import type { Probe } from './probe';

/**
 * Our block as earlier versions wrote it, at the end of config.toml: Codex writes its new tables before a
 * document's trailing comment, i.e. inside that block. Our block as written now has no such place.
 */
export function blockFindings(probe: Probe, ctx: CliContext): Finding[] {
  const file = userConfigToml(ctx.env);
  // Unread (configError says why) or not there: no block to judge.
  const text = probe.configToml?.text ?? null;
  if (text === null) return [];
  let found: { legacy: boolean; foreign: string[] };
  try {
    found = legacyBlockIn(
      text,
      probe.hooks.map((hook) => hook.key),
      file,
    );
  } catch (error) {
    if (error instanceof CodexFileError) return [];
    throw error;
  }
  if (!found.legacy) return [];
  const summary =
    found.foreign.length > 0
      ? `${file} has ${found.foreign.join(', ')} inside the infinium-codex block (Codex adds new tables there); it is not ours and is kept`
      : `${file} has the infinium-codex block at its end, where Codex adds its own tables (written by an earlier version)`;
  return [
    {
      check: 'config-toml',
      status: 'warn',
      summary,
      ...(probe.scope === 'system'
        ? {
            fix: 'Move the lines from `# >>> infinium-codex` to `# <<< infinium-codex <<<` above your first table.',
          }
        : {
            fix: `Run \`infinium-codex doctor --fix\` to move ${found.foreign.length > 0 ? 'it out of the block and ' : ''}the block above your tables.`,
            repair: 'hooks' as const,
          }),
    },
  ];
}
