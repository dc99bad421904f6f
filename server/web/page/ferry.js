/* ferry.js: the page. It asks GET /api/server whether a login is needed, then follows the live
 * list over the WebSocket /api/events (reconnecting with backoff), and wires the header bar,
 * the menu, uploads, drag and drop, deletion and the login form (docs/HTTP.md §7).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
'use strict';

const $ = (id) => document.getElementById(id);

const Page = {
  state: 'connecting',   /* connecting, login, connected, disconnected */
  synced: false,
  socket: null,
  snapshot: null,
  retries: 0,
  retryTimer: 0,
  retryAt: 0,
  server: null,
  offers: null,
  queue: [],
  running: 0,
  checkedUnfinished: false,
};

/* Messages for people */

function announce (text) {
  const announcer = $('announcer');
  announcer.textContent = '';
  /* A new node each time, so that a screen reader reads the same words twice. */
  setTimeout(() => { announcer.textContent = text; }, 50);
}

function toast (text) {
  const item = document.createElement('div');
  item.className = 'toast';
  const label = document.createElement('span');
  label.textContent = text;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'flat icon-button';
  close.setAttribute('aria-label', 'Dismiss');
  close.append(iconElement('icon-cancel'));
  close.addEventListener('click', () => item.remove());
  item.append(label, close);
  $('toasts').append(item);
  setTimeout(() => item.remove(), 8000);
}

/* What the page shows: the login, a status page, or the list. */
function render () {
  const login = Page.state === 'login';
  const ready = Page.state === 'connected' && Page.synced;
  $('login').hidden = !login;
  document.body.classList.toggle('needs-login', login);
  $('upload-button').disabled = !ready;
  $('upload-folder-button').disabled = !ready;
  $('logout-button').hidden = !(Page.server && Page.server.auth && Page.server.authorized);

  const subtitle = {
    connecting: 'Connecting…',
    login: 'Password required',
    connected: Page.synced ? 'Connected to ' + location.host : 'Loading…',
    disconnected: 'Not connected',
  }[Page.state];
  $('connection').textContent = subtitle;
  $('connection').classList.toggle('error', Page.state === 'disconnected');

  let status = null;
  if (login) {
    status = null;
  } else if (!Page.synced && Page.state === 'disconnected') {
    const seconds = Math.max(1, Math.ceil((Page.retryAt - Date.now()) / 1000));
    status = ['icon-offline', 'Not Connected',
              'The server cannot be reached. Trying again in ' + Format.duration(seconds) + '…'];
  } else if (!Page.synced) {
    status = ['icon-spinner', 'Connecting…', ''];
  } else if (Page.offers.size === 0) {
    status = ['icon-share', 'No Shared Files',
              'Drop files here or click Upload to share them with everyone connected'];
  } else if (Page.offers.shown === 0) {
    status = ['icon-search', 'No Results Found', 'Try a different search'];
  }
  $('status').hidden = !status;
  if (status) {
    $('status-icon').className = 'icon status-icon ' + status[0];
    $('status-title').textContent = status[1];
    $('status-description').textContent = status[2];
  }
  $('offer-list').hidden = login || !Page.synced || Page.offers.shown === 0;
}

/* The server and the login */

async function loadServer () {
  const response = await fetch('/api/server', { cache: 'no-store', credentials: 'same-origin' });
  if (!response.ok)
    throw await Api.errorOf(response);
  const server = await response.json();
  const date = Date.parse(response.headers.get('Date'));
  if (!Number.isNaN(date))
    Page.offers.serverSkew = (Date.now() - date) / 1000;
  Page.server = server;
  Api.csrf = server.csrf || null;
  document.title = 'Ferry – ' + location.host;
  return server;
}

function showLogin () {
  closeSocket();
  Page.state = 'login';
  Page.synced = false;
  render();
  $('password').focus();
}

async function logIn (event) {
  event.preventDefault();
  const error = $('login-error');
  error.hidden = true;
  $('login-button').disabled = true;
  try {
    const answer = await Api.request('POST', '/api/login', { password: $('password').value });
    Api.csrf = answer.csrf;
    $('password').value = '';
    error.hidden = true;
    connect();
  } catch (e) {
    error.textContent = e.message;
    error.hidden = false;
    $('password').select();
  } finally {
    $('login-button').disabled = false;
  }
}

async function logOut () {
  closeMenu();
  try {
    await Api.request('POST', '/api/logout', {});
  } catch (e) {
    toast(e.message);
  }
  Page.server.authorized = false;
  showLogin();
}

/* The live list */

function closeSocket () {
  clearTimeout(Page.retryTimer);
  if (Page.socket) {
    Page.socket.onclose = null;
    Page.socket.close();
    Page.socket = null;
  }
}

function scheduleReconnect () {
  Page.state = 'disconnected';
  Page.retries++;
  const delay = Math.min(30000, 500 * 2 ** Math.min(Page.retries, 6)) * (0.5 + Math.random());
  Page.retryAt = Date.now() + delay;
  clearTimeout(Page.retryTimer);
  Page.retryTimer = setTimeout(connect, delay);
  render();
}

async function connect () {
  closeSocket();
  Page.state = 'connecting';
  render();
  let server;
  try {
    server = await loadServer();
  } catch (e) {
    scheduleReconnect();
    return;
  }
  if (server.auth && !server.authorized) {
    showLogin();
    return;
  }
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(scheme + '//' + location.host + '/api/events');
  Page.socket = socket;
  Page.snapshot = [];
  socket.onopen = () => {
    socket.send(JSON.stringify({ type: 'hello', owner: Api.owner() }));
    Page.state = 'connected';
    render();
  };
  socket.onmessage = (event) => receive(event.data);
  socket.onclose = () => {
    if (Page.socket !== socket)
      return;
    Page.socket = null;
    scheduleReconnect();
  };
}

function receive (data) {
  let message;
  try {
    message = JSON.parse(data);
  } catch (e) {
    return;
  }
  switch (message.type) {
  case 'offer':
    if (Page.snapshot) {
      Page.snapshot.push(message.offer);
    } else {
      Page.offers.add(message.offer);
      if (!message.offer.mine)
        announce('“' + message.offer.name + '” shared by ' + message.offer.uploader + '.');
    }
    break;
  case 'synced':
    if (!Page.checkedUnfinished) {
      Page.checkedUnfinished = true;
      remindUnfinished();
    }
    Page.offers.replace(Page.snapshot || []);
    Page.snapshot = null;
    Page.synced = true;
    Page.retries = 0;
    break;
  case 'deleted':
    Page.offers.remove(message.id);
    break;
  default:
    return;
  }
  render();
}

async function remindUnfinished () {
  const names = await unfinishedUploads();
  if (names.length === 1)
    toast('“' + names[0] + '” was not completely uploaded. Choose it again to continue.');
  else if (names.length > 1)
    toast(names.length + ' files were not completely uploaded. Choose them again to continue.');
}

/* Uploads, one after another */

const Uploads = {
  announce,
  toast,
  add (sources) {
    for (const source of sources) {
      const upload = new Upload(Uploads, source);
      $('upload-list').append(upload.row);
      Page.queue.push(upload);
    }
    $('uploads').hidden = $('upload-list').children.length === 0;
    Uploads.next();
  },
  async next () {
    if (Page.running > 0 || Page.queue.length === 0)
      return;
    const upload = Page.queue.shift();
    Page.running++;
    try {
      await upload.run();
    } finally {
      Page.running--;
      Uploads.next();
    }
  },
  remove (upload) {
    upload.row.remove();
    Page.queue = Page.queue.filter((u) => u !== upload);
    $('uploads').hidden = $('upload-list').children.length === 0;
  },
};

function fileSources (files) {
  return Array.from(files, (file) => ({
    name: file.name, blob: file, lastModified: file.lastModified, folder: null,
  }));
}

/* A folder from the folder picker: its files carry "Top/sub/name" as webkitRelativePath. */
function pickedFolder (files) {
  const list = Array.from(files);
  if (list.length === 0)
    return [];
  const top = list[0].webkitRelativePath.split('/')[0];
  const entries = list.map((file) => ({
    path: file.webkitRelativePath.slice(top.length + 1), file,
  }));
  return [folderStream(top, entries, [])];
}

async function drop (items) {
  /* Entries must be taken while the drop event lasts; a browser without them gives files. */
  const dropped = Array.from(items).filter((item) => item.kind === 'file');
  const entries = dropped.map((item) => item.webkitGetAsEntry && item.webkitGetAsEntry());
  const sources = fileSources(dropped.filter((item, i) => !entries[i])
    .map((item) => item.getAsFile()).filter((file) => file));
  for (const entry of entries.filter((e) => e)) {
    try {
      if (entry.isDirectory) {
        const { files, dirs } = await walkFolder(entry);
        sources.push(folderStream(entry.name, files, dirs));
      } else {
        const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
        sources.push(...fileSources([file]));
      }
    } catch (e) {
      toast(e instanceof ApiError ? e.message : 'Could not read “' + entry.name + '”.');
    }
  }
  Uploads.add(sources);
}

function setUpDragAndDrop () {
  let depth = 0;
  const overlay = $('drop-overlay');
  const accepts = (event) => Page.state === 'connected' && Page.synced &&
    event.dataTransfer && Array.from(event.dataTransfer.types).includes('Files');
  document.addEventListener('dragenter', (event) => {
    if (!accepts(event))
      return;
    event.preventDefault();
    depth++;
    overlay.hidden = false;
  });
  document.addEventListener('dragover', (event) => {
    if (accepts(event)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
    }
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0)
      overlay.hidden = true;
  });
  document.addEventListener('drop', (event) => {
    depth = 0;
    overlay.hidden = true;
    if (!accepts(event))
      return;
    event.preventDefault();
    drop(event.dataTransfer.items);
  });
}

/* Delete */

function askDelete (offer) {
  const dialog = $('delete-dialog');
  $('delete-title').textContent = 'Delete “' + offer.name + '”?';
  $('delete-body').textContent = 'It is removed from the server for everyone.';
  dialog.returnValue = '';
  dialog.onclose = async () => {
    if (dialog.returnValue !== 'delete')
      return;
    try {
      await Api.request('DELETE', '/api/offers/' + encodeURIComponent(offer.id));
      announce('“' + offer.name + '” is deleted.');
    } catch (e) {
      toast('Could not delete “' + offer.name + '”: ' + e.message);
    }
  };
  dialog.showModal();
  $('delete-cancel').focus();
}

/* The menu */

function closeMenu () {
  $('menu').hidden = true;
  $('menu-button').setAttribute('aria-expanded', 'false');
}

function setUpMenu () {
  const menu = $('menu');
  const button = $('menu-button');
  button.addEventListener('click', () => {
    const open = menu.hidden;
    menu.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (open)
      $('your-name').focus();
  });
  document.addEventListener('click', (event) => {
    if (!menu.hidden && !menu.contains(event.target) && !button.contains(event.target))
      closeMenu();
  });
  menu.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      closeMenu();
      button.focus();
    }
  });
  const name = $('your-name');
  name.value = localStorage.getItem('ferry-name') || '';
  name.addEventListener('change', () => Api.setName(name.value));
  name.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      Api.setName(name.value);
      closeMenu();
      button.focus();
    }
  });
  $('logout-button').addEventListener('click', logOut);
  $('upload-folder-button').addEventListener('click', () => {
    closeMenu();
    $('folder-input').click();
  });
}

function main () {
  Page.offers = new OfferList($('offer-list'), { onDelete: askDelete, onChanged: render });
  Api.onUnauthorized = () => {
    if (Page.server && Page.server.auth)
      showLogin();
  };

  $('upload-button').addEventListener('click', () => $('file-input').click());
  $('file-input').addEventListener('change', (event) => {
    Uploads.add(fileSources(event.target.files));
    event.target.value = '';
  });
  $('folder-input').addEventListener('change', (event) => {
    try {
      Uploads.add(pickedFolder(event.target.files));
    } catch (e) {
      toast(e.message);
    }
    event.target.value = '';
  });
  $('search').addEventListener('input', (event) => Page.offers.setQuery(event.target.value));
  $('search').addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.target.value = '';
      Page.offers.setQuery('');
    }
  });
  $('sort').addEventListener('change', (event) => Page.offers.setSort(event.target.value));
  $('login-form').addEventListener('submit', logIn);
  setUpMenu();
  setUpDragAndDrop();

  /* Ages move on; so does the countdown of a reconnect. */
  setInterval(() => {
    Page.offers.paintAges();
    if (Page.state === 'disconnected')
      render();
  }, 1000 * 15);
  setInterval(() => {
    if (Page.state === 'disconnected' && !Page.synced)
      render();
  }, 1000);

  connect();
}

document.addEventListener('DOMContentLoaded', main);
