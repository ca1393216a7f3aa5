// Makes untrusted text (rule names, JSON parser messages quoting a bad line) safe to print on one
// terminal line: C0/C1 controls, DEL and the Unicode line/paragraph separators become `\uXXXX`.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export const printable = (s: string): string =>
  s.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
