/**
 * The composer's length rule, counted as the API counts: code points (a Python `len`), not the
 * UTF-16 units of `textarea.maxLength` — an emoji is one character here and to the API, two to
 * `maxLength`. Nothing is cut: a text over the limit stays whole in the box, is refused with a
 * sentence saying by how much, and can be shortened there. No DOM here: `npm test` checks it.
 */

/** The counter shows from this share of the limit on (far from it, a number is only noise). */
export const NEAR_SHARE = 0.9;

/** Characters as the API counts them (code points). */
export function countChars(text: string): number {
  return Array.from(text).length; // the string iterator walks code points
}

export interface Length {
  count: number;
  max: number;
  near: boolean; // the counter is shown
  over: boolean; // the text cannot be sent as it is
}

export function measure(text: string, max: number): Length {
  const count = countChars(text);
  return { count, max, near: count >= Math.floor(max * NEAR_SHARE), over: count > max };
}

const number = (n: number) => n.toLocaleString('en');

/** "3,712 / 4,000": what the counter says. */
export function counterText(length: Length): string {
  return `${number(length.count)} / ${number(length.max)}`;
}

/** Why a text over the limit is not sent, and what to do. */
export function tooLongText(length: Length): string {
  const excess = length.count - length.max;
  return (
    `This message is ${number(length.count)} characters, ${number(excess)} over the limit of ${number(length.max)}: ` +
    'it was not sent. Shorten it (nothing was cut) or send it in parts.'
  );
}
