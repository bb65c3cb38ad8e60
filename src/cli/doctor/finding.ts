// What one of doctor's checks found: its own module, so the families of checks and `doctor` import it
// without importing each other.
export type FindingStatus = 'ok' | 'warn' | 'fail';

export interface Finding {
  check: string;
  status: FindingStatus;
  summary: string;
  fix?: string;
  /** What `--fix` can do about it. */
  repair?: 'hooks' | 'dead';
}
