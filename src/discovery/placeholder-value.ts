/**
 * @module Values that name no one: templates and sample data ship equipment attributes such as
 * "Manufacturer name here" or "UNKNOWN", and a device labelled by them (or given the software version
 * that came with them) misleads more than an unknown one. Shared by the fingerprint rules (which do not
 * name a manufacturer or model from them) and the capture analyzer (which does not take a software
 * version from a data set whose equipment is such a placeholder).
 */

/** A regular expression source matching a whole placeholder value (case-insensitive). */
export const PLACEHOLDER_VALUE =
  '\\s*(?:unknown|unspecified|not specified|n/?a|none|null|nil|undefined|default|test|tbd|x+|-+|\\.+|\\?+|0+|manufacturer|model|.*\\bname here)\\s*';

const PLACEHOLDER = new RegExp(`^${PLACEHOLDER_VALUE}$`, 'i');

export function isPlaceholderValue(value: string): boolean {
  return PLACEHOLDER.test(value);
}
