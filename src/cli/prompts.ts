// The wizard's prompts, spinners and progress bars (@clack/prompts), the one module that uses clack: what
// they show passes through terminal-text.ts as everything output.ts writes does, because clack writes to the
// terminal itself. Labels, hints, initial values and messages quote names, paths and answers from outside.
import * as clack from '@clack/prompts';
import { inertLine } from './terminal-text';

export type Option<T> = clack.Option<T>;
export { isCancel } from '@clack/prompts';

const shown = (text: string | undefined) => (text === undefined ? undefined : inertLine(text));

export const intro = (title: string) => clack.intro(inertLine(title));
export const outro = (message: string) => clack.outro(inertLine(message));
export const cancel = (message: string) => clack.cancel(inertLine(message));

export const log = {
  info: (message: string) => clack.log.info(inertLine(message)),
  // A done step's mark (◇), not clack's success one (◆), which is the active prompt's (first-run N14).
  success: (message: string) => clack.log.step(inertLine(message)),
  error: (message: string) => clack.log.error(inertLine(message)),
};

export const text = (options: clack.TextOptions) =>
  clack.text({
    ...options,
    message: inertLine(options.message),
    initialValue: shown(options.initialValue),
    placeholder: shown(options.placeholder),
  });

export const password = (options: clack.PasswordOptions) =>
  clack.password({ ...options, message: inertLine(options.message) });

export const confirm = (options: clack.ConfirmOptions) =>
  clack.confirm({ ...options, message: inertLine(options.message) });

export const select = <T>(options: clack.SelectOptions<T>) =>
  clack.select<T>({
    ...options,
    message: inertLine(options.message),
    options: options.options.map(
      (option) => ({ ...option, label: shown(option.label), hint: shown(option.hint) }) as Option<T>,
    ),
  });

/** A spinner (or a progress bar, which is one) whose messages are made inert as they arrive. */
function inertSpinner<T extends clack.SpinnerResult>(spin: T) {
  return {
    start: (message?: string) => spin.start(shown(message)),
    message: (message?: string) => spin.message(shown(message)),
    stop: (message?: string) => spin.stop(shown(message)),
    error: (message?: string) => spin.error(shown(message)),
  };
}

export const spinner = (options?: clack.SpinnerOptions) => inertSpinner(clack.spinner(options));

export function progress(options: clack.ProgressOptions) {
  const bar = clack.progress(options);
  return {
    ...inertSpinner(bar),
    advance: (step?: number, message?: string) => bar.advance(step, shown(message)),
  };
}
