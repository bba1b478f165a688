/**
 * Commit metadata shown to people. Stores written by other programs hold any JSON under the
 * documented keys (SWISH writes `commit_message: 1`; a tag list may be a string or hold
 * numbers), so nothing here assumes a type: whatever is stored is shown, never a crash.
 */

function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A metadata value as text: strings as they are, anything else as compact JSON; '' when absent. */
export function metaText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : jsonText(value);
}

/** The tags of a commit for display: a list's items (non-strings as JSON), a single value as one tag. */
export function tagList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((tag) => (typeof tag === 'string' ? tag : jsonText(tag)));
  return [metaText(value)];
}

/** `#a #b` for a commit's tags ('' when it has none). */
export function tagsText(value: unknown): string {
  return tagList(value).map((tag) => `#${tag}`).join(' ');
}
