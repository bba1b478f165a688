// Show names and stored metadata safely: invisible and direction-changing characters become
// visible <U+XXXX> marks (so "invoice_\u202Efdp.exe" cannot pose as "invoice_exe.pdf"), and
// names with characters beyond ASCII are flagged (lookalikes such as a Cyrillic "а" in "pаypal").

// Format and control characters (bidi overrides and isolates, zero-width joiners, BOM, …),
// line/paragraph separators and spaces other than U+0020.
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000\u115F\u1160\u3164\uFFA0]/gu;

const mark = (ch) => `<U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}>`;

// Direction controls only (text content keeps its tabs and other characters as they are).
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

/**
 * Text with its direction controls shown as <U+…> marks, so code in a diff reads in the order
 * it is stored ("Trojan Source" lines cannot hide what they do).
 */
export function markBidi(text) {
  return String(text).replace(BIDI, mark);
}

/**
 * A name as safe text: `text` with hidden characters replaced by marks, `hidden` true when
 * there were any, `nonAscii` the other characters beyond ASCII (for a lookalike warning).
 */
export function safeName(name) {
  const text = String(name).replace(HIDDEN, mark);
  const hidden = text !== String(name);
  const nonAscii = [...new Set([...String(name).replace(HIDDEN, '')].filter((ch) => ch.codePointAt(0) > 0x7e))];
  return { text, hidden, nonAscii };
}

/** Why a name is flagged, in words, or '' when it is plain ASCII. */
export function nameWarning(name) {
  const { hidden, nonAscii } = safeName(name);
  const parts = [];
  if (hidden) parts.push('it contains invisible or direction-changing characters, shown as <U+…>');
  if (nonAscii.length > 0) {
    parts.push(`it contains characters beyond ASCII that may look like others: ${nonAscii.slice(0, 8).map((ch) => `${ch} ${mark(ch)}`).join(', ')}`);
  }
  return parts.length ? `Careful with this name: ${parts.join('; ')}.` : '';
}

/**
 * Put a name into `element` as text, marked when suspicious: hidden characters as marks, and
 * a visible "!" badge with the warning for names beyond ASCII.
 */
export function renderName(element, name) {
  const { text } = safeName(name);
  const warning = nameWarning(name);
  const label = document.createElement('bdi');
  label.className = 'name-text';
  label.textContent = text;
  element.replaceChildren(label);
  element.classList.toggle('suspicious', warning !== '');
  if (warning) {
    const badge = document.createElement('span');
    badge.className = 'name-badge';
    badge.title = warning;
    badge.textContent = '!';
    const sr = document.createElement('span');
    sr.className = 'visually-hidden';
    sr.textContent = ` (${warning})`;
    element.append(' ', badge, sr);
  }
}

/** Stored metadata of any JSON type as one line of text (stores written elsewhere hold any JSON). */
export function metaText(value) {
  if (value === undefined || value === null) return '';
  return safeName(typeof value === 'string' ? value : JSON.stringify(value)).text;
}

/** Tags as a list of strings, whatever JSON is stored. */
export function tagList(tags) {
  if (tags === undefined || tags === null) return [];
  return (Array.isArray(tags) ? tags : [tags]).map(metaText);
}
