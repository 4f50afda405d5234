// Text from a node (command output, file contents, error messages that quote them) is shown to a
// person on a terminal. A node that can print escape sequences could set the window title (OSC 0),
// write the clipboard (OSC 52), move the cursor or overwrite a line (CSI, "\r") and forge what the
// summary says ("node1 ok"). Everything shown that may hold node text goes through printable().

// Escape sequences (ECMA-48), the 7-bit and the 8-bit C1 forms:
// - CSI: ESC [ (or 0x9b), parameter bytes 0x30-0x3f, intermediate bytes 0x20-0x2f, a final byte 0x40-0x7e;
// - OSC, DCS, SOS, PM, APC: ESC ] P X ^ _ (or 0x9d 0x90 0x98 0x9e 0x9f), a string ended by BEL
//   (xterm's OSC form) or ST (ESC \ or 0x9c), or unterminated to the end of the text;
// - any other escape: ESC, optional intermediate bytes, one final byte.
const CSI = /(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?/g;
const STRING_SEQUENCE = /(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?/g;
const OTHER_ESCAPE = /\x1b[\x20-\x2f]*[\x30-\x7e]?/g;
// C0 controls except tab and newline, DEL, C1 controls; and the Unicode bidirectional overrides and
// isolates, which reorder what is shown ("Trojan Source").
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with escape sequences and control characters removed; newlines and tabs are kept. */
export function printable(text: string): string {
  return text.replace(STRING_SEQUENCE, '').replace(CSI, '').replace(OTHER_ESCAPE, '').replace(CONTROL, '');
}
