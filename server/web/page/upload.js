/* upload.js: resumable uploads (docs/HTTP.md §5): POST /api/uploads, PUT ranges, then finish with
 * the SHA-256 hashed as the bytes go. A dropped connection is retried with backoff from the
 * offset the server holds; the token is kept in localStorage, so a reload resumes too.
 * Folders are sent as one folder stream (docs/PROTOCOL.md §5, Folders), built here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
'use strict';

const UPLOAD_CHUNK = 8 * 1024 * 1024;
const UPLOAD_RETRIES = 12;
const FOLDER_MAX_ENTRIES = 100000;

/* One PUT of @bytes at @start, reporting the bytes sent so far to @progress. Resolves to
 * {status, body}; rejects only when the connection failed. */
function putRange (token, start, bytes, size, progress, xhrOut) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhrOut.xhr = xhr;
    xhr.open('PUT', '/api/uploads/' + encodeURIComponent(token));
    const headers = Api.headers({
      'Content-Type': 'application/octet-stream',
      'Content-Range': 'bytes ' + start + '-' + (start + bytes.byteLength - 1) + '/' + size,
    });
    for (const [key, value] of Object.entries(headers))
      xhr.setRequestHeader(key, value);
    xhr.upload.onprogress = (event) => progress(event.loaded);
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (e) {
        /* not JSON */
      }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = () => reject(new ApiError('The connection was lost.', 0, 'NETWORK'));
    xhr.onabort = () => reject(new ApiError('Cancelled.', 0, 'CANCELLED'));
    xhr.send(bytes);
  });
}

function sleep (ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class Upload {
  /* @source: {name, blob, lastModified, folder: null or {files, bytes}} */
  constructor (uploads, source) {
    this.uploads = uploads;
    this.source = source;
    this.size = source.blob.size;
    this.key = 'ferry-upload:' + JSON.stringify([source.name, this.size, source.lastModified,
                                                 source.folder ? 'folder' : 'file']);
    this.token = null;
    this.offset = 0;
    this.hash = new Sha256();
    this.hashed = 0;
    this.cancelled = false;
    this.current = {};
    this.samples = [];
    this.lastPaint = 0;
    this.row = this.buildRow();
  }

  buildRow () {
    const row = document.createElement('li');
    row.className = 'row upload-row';
    const icon = document.createElement('span');
    icon.className = 'icon type-icon ' + (this.source.folder ? 'icon-folder' : 'icon-upload');
    icon.setAttribute('aria-hidden', 'true');
    const labels = document.createElement('div');
    labels.className = 'labels';
    this.nameLabel = document.createElement('span');
    this.nameLabel.className = 'name';
    this.nameLabel.textContent = this.source.name;
    this.bar = document.createElement('progress');
    this.bar.max = 1;
    this.bar.value = 0;
    this.bar.setAttribute('aria-label', 'Uploading ' + this.source.name);
    this.meta = document.createElement('span');
    this.meta.className = 'meta';
    this.meta.textContent = 'Waiting…';
    labels.append(this.nameLabel, this.bar, this.meta);
    this.button = document.createElement('button');
    this.button.type = 'button';
    this.button.className = 'flat icon-button';
    this.button.setAttribute('aria-label', 'Cancel upload of ' + this.source.name);
    const cancelIcon = document.createElement('span');
    cancelIcon.className = 'icon icon-cancel';
    cancelIcon.setAttribute('aria-hidden', 'true');
    this.button.append(cancelIcon);
    this.button.addEventListener('click', () => this.cancel());
    row.append(icon, labels, this.button);
    return row;
  }

  paint (done, force) {
    const now = performance.now();
    this.samples.push([now, done]);
    while (this.samples.length > 2 && now - this.samples[0][0] > 5000)
      this.samples.shift();
    if (!force && now - this.lastPaint < 250)
      return;
    this.lastPaint = now;
    this.bar.value = this.size ? done / this.size : 1;
    const [t0, d0] = this.samples[0];
    const rate = now > t0 ? (done - d0) * 1000 / (now - t0) : 0;
    let text = Format.size(done) + ' of ' + Format.size(this.size);
    if (rate > 0) {
      text += ' · ' + Format.rate(rate) + ' · ' + Format.duration((this.size - done) / rate) +
        ' left';
    }
    this.meta.textContent = text;
  }

  async bytesAt (start, end) {
    return new Uint8Array(await this.source.blob.slice(start, end).arrayBuffer());
  }

  /* Makes the hash cover exactly the first @offset bytes, reading them again if need be. */
  async hashTo (offset) {
    if (offset < this.hashed) {
      this.hash = new Sha256();
      this.hashed = 0;
    }
    while (this.hashed < offset && !this.cancelled) {
      const end = Math.min(offset, this.hashed + UPLOAD_CHUNK);
      this.hash.update(await this.bytesAt(this.hashed, end));
      this.hashed = end;
      this.meta.textContent = 'Checking ' + Format.size(this.hashed) + ' already sent…';
    }
  }

  /* The token and offset to go on from: the saved token if the server still holds it. */
  async start () {
    const saved = localStorage.getItem(this.key);
    if (saved) {
      try {
        const state = await Api.request('GET', '/api/uploads/' + encodeURIComponent(saved));
        this.token = saved;
        return state.offset;
      } catch (e) {
        if (e.status === 0)
          throw e;
        localStorage.removeItem(this.key);  /* expired, or not ours: start over */
      }
    }
    const request = { name: this.source.name, size: this.size };
    if (this.source.folder)
      request.folder = this.source.folder;
    const created = await Api.request('POST', '/api/uploads', request);
    this.token = created.token;
    localStorage.setItem(this.key, this.token);
    return created.offset || 0;
  }

  /* Sends the range at this.offset; returns the server's offset afterwards. */
  async sendChunk () {
    const end = Math.min(this.size, this.offset + UPLOAD_CHUNK);
    const bytes = await this.bytesAt(this.offset, end);
    const base = this.offset;
    const answer = await putRange(this.token, base, bytes, this.size,
                                  (sent) => this.paint(base + sent), this.current);
    if (answer.status === 200 || answer.status === 409) {
      const offset = answer.body && Number.isSafeInteger(answer.body.offset)
        ? answer.body.offset : null;
      /* A 409 without an offset: the server still serves the request a cut ended. Later. */
      if (offset === null)
        throw new ApiError('The upload is busy on the server.', 0, 'BUSY');
      if (offset === end && this.hashed === base) {
        this.hash.update(bytes);
        this.hashed = end;
      }
      return offset;
    }
    const error = answer.body && answer.body.error
      ? answer.body.error : 'The server answered ' + answer.status + '.';
    if (answer.status === 401 && Api.onUnauthorized)
      Api.onUnauthorized();
    throw new ApiError(error, answer.status, answer.body && answer.body.code);
  }

  async run () {
    this.meta.textContent = 'Starting…';
    let failures = 0;
    while (!this.cancelled) {
      try {
        if (!this.token)
          this.offset = await this.start();
        await this.hashTo(this.offset);
        while (this.offset < this.size && !this.cancelled) {
          this.offset = await this.sendChunk();
          await this.hashTo(this.offset);
          failures = 0;
        }
        if (this.cancelled) {
          this.abandon();       /* cancelled while its token was being made */
          return;
        }
        this.paint(this.size, true);
        this.meta.textContent = 'Checking…';
        const offer = await Api.request('POST', '/api/uploads/' +
                                        encodeURIComponent(this.token) + '/finish',
                                        { sha256: this.hash.hex() });
        localStorage.removeItem(this.key);
        this.finished(offer);
        return;
      } catch (e) {
        if (this.cancelled)
          return;
        /* The connection, or a server that is restarting: ask where it stands, and go on. */
        const transient = e.status === 0 || e.status >= 500;
        if (!transient || ++failures > UPLOAD_RETRIES) {
          if (e.code === 'CHECKSUM' || e.code === 'SIZE_MISMATCH' || e.status === 404)
            localStorage.removeItem(this.key);
          this.failed(e.message);
          return;
        }
        const delay = Math.min(30000, 500 * 2 ** failures) * (0.5 + Math.random());
        this.meta.textContent = 'Connection lost; trying again in ' +
          Format.duration(delay / 1000) + '…';
        await sleep(delay);
        if (this.token) {
          try {
            const state = await Api.request('GET', '/api/uploads/' + encodeURIComponent(this.token));
            this.offset = state.offset;
          } catch (again) {
            if (again.status === 404) {
              localStorage.removeItem(this.key);
              this.token = null;        /* the server forgot it: start over */
            }
          }
        }
      }
    }
  }

  finished (offer) {
    this.bar.value = 1;
    this.meta.textContent = 'Shared';
    this.button.hidden = true;
    this.row.classList.add('done');
    this.uploads.announce('“' + offer.name + '” is uploaded.');
    setTimeout(() => this.uploads.remove(this), 4000);
  }

  failed (sentence) {
    this.row.classList.add('failed');
    this.meta.textContent = sentence;
    this.uploads.toast('Could not upload “' + this.source.name + '”: ' + sentence);
    this.button.setAttribute('aria-label', 'Remove ' + this.source.name);
    this.button.onclick = () => this.uploads.remove(this);
  }

  /* Tells the server to drop what it holds, and forgets the token. */
  abandon () {
    if (!this.token)
      return;
    Api.request('DELETE', '/api/uploads/' + encodeURIComponent(this.token)).catch(() => {});
    localStorage.removeItem(this.key);
    this.token = null;
  }

  cancel () {
    this.cancelled = true;
    if (this.current.xhr)
      this.current.xhr.abort();
    this.abandon();
    this.uploads.remove(this);
  }
}

/* Uploads a reload cut short, whose tokens the server still holds: their names. Tokens it
 * forgot are dropped. */
async function unfinishedUploads () {
  const names = [];
  for (const key of Object.keys(localStorage)) {
    if (!key.startsWith('ferry-upload:'))
      continue;
    try {
      const [name] = JSON.parse(key.slice('ferry-upload:'.length));
      await Api.request('GET', '/api/uploads/' + encodeURIComponent(localStorage.getItem(key)));
      names.push(name);
    } catch (e) {
      if (e.status !== 0)
        localStorage.removeItem(key);
    }
  }
  return names;
}

/* Compares two byte strings as the server sorts folder paths. */
function compareBytes (a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i])
      return a[i] - b[i];
  }
  return a.length - b.length;
}

/* The folder stream of @files ([{path, file}]) and @dirs ([path]): a Blob whose parts are the
 * header and the files themselves, so nothing is read into memory before it is sent. */
function folderStream (name, files, dirs) {
  if (files.length === 0)
    throw new ApiError('“' + name + '” has no files to share.', 400, 'BAD_REQUEST');
  if (files.length + dirs.length > FOLDER_MAX_ENTRIES) {
    throw new ApiError('“' + name + '” holds more than 100,000 files and folders, more than ' +
                       'one shared folder may hold.', 400, 'BAD_REQUEST');
  }
  const encoder = new TextEncoder();
  const entries = dirs.map((path) => ({ kind: 2, path: encoder.encode(path), file: null }))
    .concat(files.map((f) => ({ kind: 1, path: encoder.encode(f.path), file: f.file })));
  entries.sort((a, b) => compareBytes(a.path, b.path));

  let length = 16;
  for (const entry of entries)
    length += 12 + entry.path.length;
  const header = new Uint8Array(length);
  const view = new DataView(header.buffer);
  header.set(encoder.encode('FERYTREE'), 0);
  view.setUint32(8, 1);
  view.setUint32(12, entries.length);
  let at = 16;
  let bytes = 0;
  let newest = 0;
  for (const entry of entries) {
    const size = entry.file ? entry.file.size : 0;
    view.setUint8(at, entry.kind);
    view.setUint8(at + 1, 0);
    view.setUint16(at + 2, entry.path.length);
    header.set(entry.path, at + 4);
    view.setBigUint64(at + 4 + entry.path.length, BigInt(size));
    at += 12 + entry.path.length;
    bytes += size;
    if (entry.file)
      newest = Math.max(newest, entry.file.lastModified);
  }
  const parts = [header].concat(entries.filter((e) => e.file).map((e) => e.file));
  return {
    name, blob: new Blob(parts), lastModified: newest,
    folder: { files: files.length, bytes },
  };
}

/* Everything under a dropped folder (a FileSystemDirectoryEntry), without following links
 * (a browser never hands us one). */
async function walkFolder (root) {
  const files = [];
  const dirs = [];
  const prefix = root.fullPath.replace(/\/*$/, '/');
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop();
    const reader = dir.createReader();
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0)
        break;
      for (const entry of batch) {
        const path = entry.fullPath.slice(prefix.length);
        if (entry.isDirectory) {
          dirs.push(path);
          pending.push(entry);
        } else if (entry.isFile) {
          const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
          files.push({ path, file });
        }
      }
      if (files.length + dirs.length > FOLDER_MAX_ENTRIES)
        return { files, dirs };
    }
  }
  return { files, dirs };
}

window.Upload = Upload;
window.folderStream = folderStream;
window.walkFolder = walkFolder;
window.unfinishedUploads = unfinishedUploads;
