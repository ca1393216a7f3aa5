// How `eqld alerts` writes text for a terminal: every value from an alert goes through termText()
// (control characters, escape sequences, bidi controls and lone surrogates become visible
// escapes, so a hostile command line cannot move the cursor, recolour or hide text), and colour
// is added by a Style, which is plain (no escape sequence at all) unless stdout is a terminal.
// The only escape sequences eqld writes are the SGR codes here, around already neutral text.
import { neutralize } from '../neutralize.js';

/** zero-width and bidi marks neutralize() leaves alone; invisible on a terminal, so shown */
const INVISIBLE = /[\u061c\u200b-\u200f\ufeff]/g;

/** A value from an alert, safe and visible on one terminal line; cut at `max` characters. */
export function termText(value: unknown, max = 512): string {
  return neutralize(value, max).replace(INVISIBLE, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

export type Tone =
  | 'bold'
  | 'dim'
  | 'executable'
  | 'role'
  | 'match'
  | 'missing'
  | 'low'
  | 'medium'
  | 'high'
  | 'critical'
  | 'heading';

export interface Style {
  readonly colour: boolean;
  paint(tone: Tone, text: string): string;
}

// SGR parameters (ECMA-48 8.3.117)
const SGR: Record<Tone, string> = {
  bold: '1',
  dim: '2',
  executable: '1',
  role: '36',
  match: '1;31',
  missing: '33',
  low: '34',
  medium: '33',
  high: '31',
  critical: '1;35',
  heading: '1',
};

export const PLAIN: Style = { colour: false, paint: (_tone, text) => text };

export const ANSI: Style = {
  colour: true,
  paint: (tone, text) => (text === '' ? text : `\u001b[${SGR[tone]}m${text}\u001b[0m`),
};

/** colour on a terminal, plain text anywhere else (a pipe, a file); NO_COLOR turns it off */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  const noColour = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return stream.isTTY === true && !noColour && env.TERM !== 'dumb' ? ANSI : PLAIN;
}

export function severityTone(severity: unknown): Tone {
  return severity === 'low' || severity === 'medium' || severity === 'high' || severity === 'critical'
    ? severity
    : 'bold';
}
