import type { ChildProcess } from 'node:child_process';

export interface ChildOutput {
  stdout: string;
  stderr: string;
}

/** Collects a child's stdout and stderr as UTF-8 text; the fields grow as output arrives. */
export function collectOutput(child: ChildProcess): ChildOutput {
  const output: ChildOutput = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString('utf8');
  });
  return output;
}
