// The gitty web page: list, filter, sort and search files (a page at a time, on the server),
// open one, edit and save (with conflict handling), browse its history and diff two versions.
// Plain DOM, no framework, no CDN.
import { api, ApiError, getAuthor, getToken, setAuthor, setToken } from './api.js';
import { renderDiff } from './diff-view.js';
import { metaText, nameWarning, renderName, safeName, tagList } from './names-view.js';

const $ = (id) => document.getElementById(id);
const short = (hash) => (hash ? hash.slice(0, 10) : '');
const when = (seconds) => (typeof seconds === 'number' ? new Date(seconds * 1000).toLocaleString() : '');
const shown = (name) => safeName(name).text;

/** Files above this size are not put into the editor (a textarea of tens of MB freezes the page). */
const EDIT_LIMIT = 2 * 1024 * 1024;
const PAGE = 100;

/**
 * What the page shows: the listed files (pages loaded so far, the total and the next cursor),
 * the open file (its head) and a pending conflict.
 */
const state = { files: [], total: 0, next: null, listing: 0, name: null, head: null, conflict: null };

function announce(text, kind = 'info') {
  const status = $('status');
  status.textContent = text;
  status.dataset.kind = kind;
}

function describe(err) {
  if (err instanceof ApiError) {
    if (err.status === 401) return 'Not allowed: enter the server\'s write token at the top of the page.';
    if (err.status === 429) return 'Too many requests in a short time; wait a moment and try again.';
    return `${err.message} (${err.code})`;
  }
  return `Network error: ${err.message}`;
}

function fail(err) {
  announce(describe(err), 'error');
  if (err instanceof ApiError && err.status === 401) $('token').focus();
}

// ---- file list -------------------------------------------------------------------------

function listQuery() {
  const query = { limit: PAGE, order: $('order').value };
  const contains = $('filter').value.trim();
  const q = $('search').value.trim();
  if (contains) query.contains = contains;
  if (q) query.q = q;
  return query;
}

/** Load the first page of the listing (again), or the next page when `more`. */
async function loadFiles({ more = false } = {}) {
  const query = listQuery();
  if (more && state.next) query.cursor = state.next;
  // A newer request wins: answers to older ones (typing fast) are dropped.
  const ticket = ++state.listing;
  const { files, total, next } = await api.list(query);
  if (ticket !== state.listing) return;
  state.files = more ? [...state.files, ...files] : files;
  state.total = total;
  state.next = next;
  renderFiles(more ? files : null);
}

function fileItem(f) {
  const item = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'file-button';
  button.dataset.name = f.name;
  const name = document.createElement('span');
  name.className = 'name';
  renderName(name, f.name);
  const details = document.createElement('span');
  details.className = 'file-details';
  const author = metaText(f.commit?.author);
  const tags = tagList(f.commit?.tags);
  details.textContent = [when(f.commit?.time), author && `by ${author}`, tags.length ? `tags: ${tags.join(', ')}` : '']
    .filter(Boolean).join(' · ');
  button.append(name, details);
  if (f.snippet) {
    const snippet = document.createElement('span');
    snippet.className = 'file-snippet';
    snippet.textContent = metaText(f.snippet);
    button.append(snippet);
  }
  if (f.name === state.name) button.setAttribute('aria-current', 'true');
  button.addEventListener('click', () => openFile(f.name).catch(fail));
  item.append(button);
  return item;
}

/** Render the list; `appended` (a page just added) is appended instead of re-rendering all. */
function renderFiles(appended = null) {
  const list = $('file-list');
  if (appended) list.append(...appended.map(fileItem));
  else list.replaceChildren(...state.files.map(fileItem));
  const filtered = $('filter').value.trim() || $('search').value.trim();
  $('file-count').textContent = `Showing ${state.files.length} of ${state.total} ${filtered ? 'matching ' : ''}files`;
  $('more').hidden = !state.next;
}

function markCurrent() {
  for (const button of $('file-list').querySelectorAll('.file-button')) {
    if (button.dataset.name === state.name) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
  }
}

// ---- one file --------------------------------------------------------------------------

async function openFile(name, { focus = true } = {}) {
  // Ask the size first: a version of tens of MB is offered as a download, not loaded into the editor.
  const size = await api.size(name);
  const large = size > EDIT_LIMIT;
  const { commit, data, encoding } = large ? { ...(await api.commitOf(name)), data: '', encoding: 'none' } : await api.get(name);
  state.name = name;
  state.head = commit.commit;
  state.conflict = null;
  $('empty').hidden = true;
  $('file-view').hidden = false;
  $('conflict').hidden = true;
  $('diff').hidden = true;
  renderName($('file-heading'), name);
  const warning = nameWarning(name);
  $('name-warning').hidden = !warning;
  $('name-warning').textContent = warning;
  showMeta(commit);
  const download = $('download');
  download.href = api.rawUrl(name, commit.commit);
  // The saved file gets a plain name: the marks of hidden characters, not the characters.
  download.download = shown(name).replace(/[<>/\\:]/g, '_');
  $('too-large').hidden = !large;
  $('too-large').textContent = large
    ? `This version is ${(size / 1024 / 1024).toFixed(1)} MB, too large to edit in the page: download it instead.`
    : '';
  const content = $('content');
  content.value = encoding === 'utf8' ? data : '';
  content.readOnly = encoding !== 'utf8';
  $('save').disabled = encoding !== 'utf8';
  if (large) announce(`Opened ${shown(name)}: too large to edit here; it can be downloaded.`);
  else announce(encoding === 'utf8' ? `Opened ${shown(name)}.` : `${shown(name)} is binary; download it, or browse its history.`);
  $('message').value = '';
  markCurrent();
  await loadHistory();
  if (focus) $('file-heading').focus();
}

function showMeta(commit) {
  const author = metaText(commit.author);
  const tags = tagList(commit.tags);
  $('file-meta').textContent = `Version ${short(commit.commit)}, saved ${when(commit.time)}${author ? ` by ${author}` : ''}`
    + `${tags.length ? `; tags: ${tags.join(', ')}` : ''}`;
}

function writeMeta() {
  const meta = {};
  const message = $('message').value.trim();
  const author = getAuthor();
  if (message) meta.commit_message = message;
  if (author) meta.author = author;
  return meta;
}

async function save(data, previous) {
  try {
    const { commit } = await api.update(state.name, data, previous, writeMeta());
    state.head = commit.commit;
    state.conflict = null;
    $('conflict').hidden = true;
    $('content').value = data;
    $('message').value = '';
    showMeta(commit);
    announce(`Saved ${shown(state.name)} as version ${short(commit.commit)}.`, 'success');
    await loadHistory();
  } catch (err) {
    if (err instanceof ApiError && err.code === 'NOT_AT_HEAD') await showConflict(err.body, data);
    else fail(err);
  }
}

async function showConflict(body, mine) {
  state.conflict = { head: body.head, mine, merged: body.merged };
  $('conflict').hidden = false;
  $('conflict-text').textContent = body.head
    ? `The server has version ${short(body.head)}, newer than the one you edited. Compare the two sets of changes and choose how to resolve.`
    : 'The file was deleted on the server while you edited it.';
  renderDiff($('conflict-theirs'), body.diffs?.toHead ?? null, 'No changes on the server.');
  renderDiff($('conflict-yours'), body.diffs?.toYours ?? null, 'You changed nothing.');
  const apply = $('apply-mine');
  apply.disabled = typeof body.merged !== 'string';
  if (apply.disabled && body.head) {
    $('conflict-text').textContent += ' Your changes touch the same lines as the server\'s, so they cannot be applied automatically: overwrite, or load the new version and redo them.';
  }
  $('overwrite').disabled = !body.head;
  announce('Not saved: the file changed on the server. See the conflict below.', 'error');
  $('conflict-heading').focus();
  // The history shows the version that caused the conflict.
  await loadHistory().catch(fail);
}

// ---- history and diffs -----------------------------------------------------------------

async function loadHistory() {
  const name = state.name;
  const { history } = await api.history(name);
  if (name !== state.name) return;
  const rows = history.map((commit, i) => {
    const tr = document.createElement('tr');
    const label = `version ${short(commit.commit)} saved ${when(commit.time)}`;
    for (const side of ['from', 'to']) {
      const td = document.createElement('td');
      const radio = document.createElement('input');
      radio.type = 'radio';
      radio.name = side;
      radio.value = commit.commit;
      radio.setAttribute('aria-label', `${side === 'from' ? 'From' : 'To'} ${label}`);
      radio.checked = side === 'to' ? i === 0 : i === Math.min(1, history.length - 1);
      td.append(radio);
      tr.append(td);
    }
    const cells = [short(commit.commit), when(commit.time), metaText(commit.author), metaText(commit.commit_message)];
    cells.forEach((text, column) => {
      const td = document.createElement('td');
      td.textContent = text;
      if (column === 0) td.className = 'hash';
      tr.append(td);
    });
    return tr;
  });
  $('history-rows').replaceChildren(...rows);
  $('show-diff').disabled = history.length < 1;
}

async function showDiff(event) {
  event.preventDefault();
  const form = $('diff-form');
  const from = form.elements.from?.value;
  const to = form.elements.to?.value;
  if (!from || !to) return announce('Pick a “from” and a “to” version first.', 'error');
  const diff = from === to ? { data: '' } : await api.diff(from, to);
  $('diff').hidden = false;
  $('diff-heading').textContent = `Diff from ${short(from)} to ${short(to)}`;
  renderDiff($('diff-output'), diff.binary ? null : diff.data, undefined, diff.tooLarge ? diff.data : undefined);
  // Bring the new diff into view (focus alone does not scroll it to the top of the screen).
  $('diff').scrollIntoView({ block: 'start' });
  $('diff-heading').focus({ preventScroll: true });
}

// ---- wiring ----------------------------------------------------------------------------

function debounce(fn, ms) {
  let timer;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

function wire() {
  $('token').value = getToken();
  $('author').value = getAuthor();
  $('token-form').addEventListener('submit', (e) => e.preventDefault());
  $('token').addEventListener('change', (e) => {
    setToken(e.target.value.trim());
    announce(e.target.value.trim() ? 'Write token set for this tab.' : 'Write token cleared.');
  });
  $('author').addEventListener('change', (e) => {
    setAuthor(e.target.value.trim());
    announce(e.target.value.trim() ? `Versions you save are now by ${e.target.value.trim()}.` : 'Author cleared.');
  });
  $('list-form').addEventListener('submit', (e) => {
    e.preventDefault();
    loadFiles().catch(fail);
  });
  const reload = debounce(() => loadFiles().catch(fail), 250);
  $('filter').addEventListener('input', reload);
  $('search').addEventListener('input', reload);
  $('order').addEventListener('change', () => loadFiles().catch(fail));
  $('more').addEventListener('click', () => loadFiles({ more: true }).catch(fail));

  $('new-file-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = $('new-name').value.trim();
    if (!name) return;
    try {
      await api.create(name, '', getAuthor() ? { author: getAuthor() } : {});
      $('new-name').value = '';
      await loadFiles();
      await openFile(name, { focus: false });
      announce(`Created ${shown(name)}.`, 'success');
      $('content').focus();
    } catch (err) {
      fail(err);
    }
  });

  $('edit-form').addEventListener('submit', (e) => {
    e.preventDefault();
    save($('content').value, state.head).catch(fail);
  });
  $('reload').addEventListener('click', () => openFile(state.name).catch(fail));
  $('delete').addEventListener('click', async () => {
    if (!window.confirm(`Delete ${shown(state.name)}? Its history stays until garbage collection.`)) return;
    try {
      await api.remove(state.name, state.head);
      announce(`Deleted ${shown(state.name)}.`, 'success');
      state.name = null;
      $('file-view').hidden = true;
      $('empty').hidden = false;
      await loadFiles();
      $('filter').focus();
    } catch (err) {
      fail(err);
    }
  });

  $('apply-mine').addEventListener('click', () => {
    const c = state.conflict;
    if (!c || typeof c.merged !== 'string') return;
    state.head = c.head;
    $('content').value = c.merged;
    $('conflict').hidden = true;
    state.conflict = null;
    announce(`Your changes were applied onto version ${short(c.head)}. Review them and save.`, 'success');
    $('content').focus();
  });
  $('overwrite').addEventListener('click', () => {
    const c = state.conflict;
    if (c?.head) save(c.mine, c.head).catch(fail);
  });
  $('discard').addEventListener('click', () => openFile(state.name).catch(fail));
  $('diff-form').addEventListener('submit', (e) => showDiff(e).catch(fail));
}

function listen() {
  const events = new EventSource('/events');
  const newest = new Map();
  let pending;
  events.addEventListener('head', (e) => {
    const change = JSON.parse(e.data);
    newest.set(change.name, change.new);
    clearTimeout(pending);
    // Only the first page is reloaded: with many files, reloading every page loaded would cost more.
    pending = setTimeout(() => loadFiles().catch(fail), 300);
    // Checked a little later: the event of our own save may arrive before its response does,
    // and a newer change (ours, after a conflict) may have superseded this one.
    setTimeout(() => {
      const current = change.name === state.name && newest.get(change.name) === change.new;
      if (current && change.new && change.new !== state.head && !state.conflict) {
        announce(`${shown(change.name)} changed on the server (version ${short(change.new)}). Saving will show a conflict to resolve.`);
        loadHistory().catch(fail);
      }
    }, 300);
  });
}

wire();
listen();
loadFiles().then(() => announce('Ready.')).catch(fail);
