// The byte form of a user's text file that we keep when we edit it: a UTF-8 byte order mark (BOM) and the
// line ending (LF or CRLF). We parse and edit the text without the BOM and write our own lines with the
// file's line ending, so a round trip (init, doctor --fix, uninstall) gives the user's form back.

const BOM = '\uFEFF';

export interface TextForm {
  bom: boolean;
  /** The line ending most of the file's lines use (LF when it has none). */
  eol: '\n' | '\r\n';
}

/** The form of `text` (null: a new file, which gets LF and no BOM). */
export function textForm(text: string | null): TextForm {
  if (text === null) return { bom: false, eol: '\n' };
  const crlf = text.split('\r\n').length - 1;
  const lf = text.split('\n').length - 1 - crlf;
  return { bom: text.startsWith(BOM), eol: crlf > lf ? '\r\n' : '\n' };
}

export function withoutBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(1) : text;
}

export function withBom(text: string, form: TextForm): string {
  return form.bom ? `${BOM}${text}` : text;
}
