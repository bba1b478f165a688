// Render a unified diff (as the server sends it) into accessible, coloured lines.
import { markBidi } from './names-view.js';

// File headers only come before the first hunk; inside a hunk "---x" is a removed "--x".
function kindOf(line, inHunk) {
  if (!inHunk && (line.startsWith('+++') || line.startsWith('---'))) return 'file';
  if (line.startsWith('@@')) return 'hunk';
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'del';
  if (line.startsWith('\\')) return 'note';
  return 'ctx';
}

const SPOKEN = { add: 'added: ', del: 'removed: ' };
const MAX_LINES = 5000;

/**
 * Fill `container` with the diff: one line element per diff line, additions and removals
 * marked by class (colour) and by a visually hidden word (for screen readers), never by colour alone.
 */
export function renderDiff(container, unified, emptyText = 'No differences.', note = undefined) {
  container.replaceChildren();
  if (note !== undefined) {
    // The server gave up on a line diff (the versions are too different): show what it says.
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = note;
    container.append(p);
    return;
  }
  const all = (unified ?? '').split('\n').filter((l) => l.length > 0 && !/^={5,}$/.test(l) && !l.startsWith('Index: '));
  if (all.length === 0) {
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = unified === null ? 'Not text: no line diff to show.' : emptyText;
    container.append(p);
    return;
  }
  // Tens of thousands of line elements make the page sluggish: show the first MAX_LINES.
  const lines = all.slice(0, MAX_LINES);
  const pre = document.createElement('pre');
  pre.tabIndex = 0;
  pre.setAttribute('aria-label', 'Unified diff');
  let inHunk = false;
  for (const line of lines) {
    const kind = kindOf(line, inHunk);
    if (kind === 'hunk') inHunk = true;
    const row = document.createElement('span');
    row.className = `line ${kind}`;
    if (SPOKEN[kind]) {
      const sr = document.createElement('span');
      sr.className = 'visually-hidden';
      sr.textContent = SPOKEN[kind];
      row.append(sr);
    }
    row.append(document.createTextNode(markBidi(line)));
    pre.append(row, document.createTextNode('\n'));
  }
  container.append(pre);
  if (all.length > lines.length) {
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = `… and ${all.length - lines.length} more lines of the diff, not shown.`;
    container.append(p);
  }
}
