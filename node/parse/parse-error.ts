// Raised by the parsers in node/parse/ when a command's output or a file's content does not have
// the shape we know. Fatal for the stage (retrying reads the same text again); the hint says what
// a person should check.
import { SriovLxcError } from '../../core/errors.ts';

export class ParseError extends SriovLxcError {}

/** The first `max` characters of `text` on one line, for error messages. */
export function excerpt(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
