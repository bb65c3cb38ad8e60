// The check a user's `redactPatterns` setting passes when it is read: settings validation, kept apart from
// the redactor (src/trace/redact.ts) that later runs the patterns, so config/ imports nothing from trace/.
import { compileRe2, type RE2JS } from './re2';

/**
 * Why a user's redact pattern cannot be used, as the end of a sentence that starts with the pattern, or
 * null. Refused: what RE2 cannot compile (lookaround, backreferences), and a pattern that matches empty
 * text (`a*`), which hides nothing there but is still found at every position of a field (1 MB of text
 * took 300-500 ms).
 */
export function redactPatternProblem(source: string): string | null {
  let regex: RE2JS;
  try {
    regex = compileRe2(source);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `is not a regex we can run in linear time (${reason}); use RE2 syntax, without lookaround or backreferences`;
  }
  if (regex.matcher('').find()) {
    return 'matches empty text; make it need at least one character (for example `+` instead of `*`)';
  }
  return null;
}
