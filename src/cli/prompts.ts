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

/** What a spinner's Ctrl-C prints, and the exit code (128 + SIGINT) every cancel of ours ends with. */
export const CANCELLED = 'Cancelled.';
export const CANCELLED_EXIT = 130;

/**
 * A spinner (or a progress bar, which is one) whose messages are made inert as they arrive, and whose cancel
 * ends the command as one: "Cancelled.", exit 130. SIGINT or SIGTERM reach clack's handlers (onCancel). But
 * while it spins, clack's block() holds a terminal stdin in raw mode and answers Ctrl-C or Esc with
 * process.exit(0): our 'exit' listener, ahead of clack's, stops the spinner as cancelled (clack's cleanup
 * shows the cursor and ends raw mode) and makes the code 130. Any other exit meanwhile (an error's) keeps
 * its code and only has the line erased, where clack's own listener would call it a cancel.
 */
function inertSpinner<T extends clack.SpinnerResult>(spin: T) {
  const onExit = (code: number) => {
    if (code !== 0) return spin.clear();
    spin.cancel(CANCELLED);
    process.exitCode = CANCELLED_EXIT;
  };
  const ended = () => process.off('exit', onExit);
  return {
    start: (message?: string) => {
      process.prependListener('exit', onExit);
      spin.start(shown(message));
    },
    message: (message?: string) => spin.message(shown(message)),
    stop: (message?: string) => {
      ended();
      spin.stop(shown(message));
    },
    error: (message?: string) => {
      ended();
      spin.error(shown(message));
    },
    /** Stops it and erases its line. */
    clear: () => {
      ended();
      spin.clear();
    },
  };
}

const CANCEL: clack.SpinnerOptions = {
  cancelMessage: CANCELLED,
  onCancel: () => process.exit(CANCELLED_EXIT),
};

export const spinner = (options?: clack.SpinnerOptions) =>
  inertSpinner(clack.spinner({ ...CANCEL, ...options }));

export function progress(options: clack.ProgressOptions) {
  const bar = clack.progress({ ...CANCEL, ...options });
  return {
    ...inertSpinner(bar),
    advance: (step?: number, message?: string) => bar.advance(step, shown(message)),
  };
}
