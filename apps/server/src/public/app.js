// The gitty web page: list and filter files, open one, edit and save (with conflict handling),
// browse its history and diff two versions. Plain DOM, no framework, no CDN.
import { api, ApiError, getToken, setToken } from './api.js';
import { renderDiff } from './diff-view.js';

const $ = (id) => document.getElementById(id);
const short = (hash) => (hash ? hash.slice(0, 10) : '');
const when = (seconds) => new Date(seconds * 1000).toLocaleString();

/** What the page shows: the files, the open file (its head and text as loaded) and a pending conflict. */
const state = { files: [], name: null, head: null, conflict: null };

function announce(text, kind = 'info') {
  const status = $('status');
  status.textContent = text;
  status.dataset.kind = kind;
}

function describe(err) {
  if (err instanceof ApiError) {
    if (err.status === 401) return 'Not allowed: enter the server\'s write token at the top of the page.';
    if (err.status === 429) return 'Too many saves in a short time; wait a moment and try again.';
    return `${err.message} (${err.code})`;
  }
  return `Network error: ${err.message}`;
}

function fail(err) {
  announce(describe(err), 'error');
  if (err instanceof ApiError && err.status === 401) $('token').focus();
}

// ---- file list -------------------------------------------------------------------------

async function loadFiles() {
  const { files } = await api.list();
  state.files = files;
  renderFiles();
}

function renderFiles() {
  const filter = $('filter').value.trim().toLowerCase();
  const shown = state.files.filter((f) => f.name.toLowerCase().includes(filter));
  const list = $('file-list');
  list.replaceChildren(...shown.map((f) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'file-button';
    button.textContent = f.name;
    button.dataset.name = f.name;
    if (f.name === state.name) button.setAttribute('aria-current', 'true');
    button.addEventListener('click', () => openFile(f.name).catch(fail));
    item.append(button);
    return item;
  }));
  $('file-count').textContent = `${shown.length} of ${state.files.length} files`;
}

// ---- one file --------------------------------------------------------------------------

async function openFile(name, { focus = true } = {}) {
  const { commit, data, encoding } = await api.get(name);
  state.name = name;
  state.head = commit.commit;
  state.conflict = null;
  $('empty').hidden = true;
  $('file-view').hidden = false;
  $('conflict').hidden = true;
  $('diff').hidden = true;
  $('file-heading').textContent = name;
  showMeta(commit);
  const content = $('content');
  content.value = encoding === 'utf8' ? data : '';
  content.readOnly = encoding !== 'utf8';
  $('save').disabled = encoding !== 'utf8';
  announce(encoding === 'utf8' ? `Opened ${name}.` : `${name} is binary; it can be browsed but not edited here.`);
  $('message').value = '';
  renderFiles();
  await loadHistory();
  if (focus) $('file-heading').focus();
}

function showMeta(commit) {
  const by = commit.author ? ` by ${commit.author}` : '';
  $('file-meta').textContent = `Version ${short(commit.commit)}, saved ${when(commit.time)}${by}`;
}

async function save(data, previous) {
  const message = $('message').value.trim();
  const meta = message ? { commit_message: message } : {};
  try {
    const { commit } = await api.update(state.name, data, previous, meta);
    state.head = commit.commit;
    state.conflict = null;
    $('conflict').hidden = true;
    $('content').value = data;
    $('message').value = '';
    showMeta(commit);
    announce(`Saved ${state.name} as version ${short(commit.commit)}.`, 'success');
    await loadHistory();
  } catch (err) {
    if (err instanceof ApiError && err.code === 'NOT_AT_HEAD') showConflict(err.body, data);
    else fail(err);
  }
}

function showConflict(body, mine) {
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
}

// ---- history and diffs -----------------------------------------------------------------

async function loadHistory() {
  const { history } = await api.history(state.name);
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
    const cells = [short(commit.commit), when(commit.time), commit.author ?? '', commit.commit_message ?? ''];
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
  renderDiff($('diff-output'), diff.binary ? null : diff.data);
  $('diff-heading').focus();
}

// ---- wiring ----------------------------------------------------------------------------

function wire() {
  $('token').value = getToken();
  $('token-form').addEventListener('submit', (e) => e.preventDefault());
  $('token').addEventListener('change', (e) => {
    setToken(e.target.value.trim());
    announce(e.target.value.trim() ? 'Write token set for this tab.' : 'Write token cleared.');
  });
  $('filter').addEventListener('input', renderFiles);

  $('new-file-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = $('new-name').value.trim();
    if (!name) return;
    try {
      await api.create(name, '', {});
      $('new-name').value = '';
      await loadFiles();
      await openFile(name, { focus: false });
      announce(`Created ${name}.`, 'success');
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
    if (!window.confirm(`Delete ${state.name}? Its history stays until garbage collection.`)) return;
    try {
      await api.remove(state.name, state.head);
      announce(`Deleted ${state.name}.`, 'success');
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
    pending = setTimeout(() => loadFiles().catch(fail), 150);
    // Checked a little later: the event of our own save may arrive before its response does,
    // and a newer change (ours, after a conflict) may have superseded this one.
    setTimeout(() => {
      const current = change.name === state.name && newest.get(change.name) === change.new;
      if (current && change.new && change.new !== state.head && !state.conflict) {
        announce(`${change.name} changed on the server (version ${short(change.new)}). Saving will show a conflict to resolve.`);
      }
    }, 300);
  });
}

wire();
listen();
loadFiles().then(() => announce('Ready.')).catch(fail);
