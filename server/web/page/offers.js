/* offers.js: the list of shared files, as the WebSocket tells it (docs/HTTP.md §5, Events):
 * one row per offer with its icon, name, size, uploader and age, Download, and Delete on one's
 * own; filtered by the search and ordered by the sort. Names only ever go in as text.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
'use strict';

function iconElement (name) {
  const icon = document.createElement('span');
  icon.className = 'icon ' + name;
  icon.setAttribute('aria-hidden', 'true');
  return icon;
}

/* An offer's download address, only ever one of ours (a path under /f/). */
function downloadPath (offer) {
  return typeof offer.url === 'string' && offer.url.startsWith('/f/') ? offer.url : null;
}

class OfferList {
  constructor (list, callbacks) {
    this.list = list;
    this.callbacks = callbacks;  /* onDelete (offer) */
    this.rows = new Map();       /* id → {offer, row, age} */
    this.query = '';
    this.sort = 'newest';
    this.serverSkew = 0;         /* our clock minus the server's, in seconds */
  }

  get size () {
    return this.rows.size;
  }

  /* Replaces every row with @offers (a snapshot), keeping rows that did not change. */
  replace (offers) {
    const ids = new Set(offers.map((o) => o.id));
    for (const id of Array.from(this.rows.keys())) {
      if (!ids.has(id))
        this.remove(id);
    }
    for (const offer of offers)
      this.add(offer, false);
    this.refresh();
  }

  add (offer, refresh = true) {
    if (!offer || typeof offer.id !== 'string' || typeof offer.name !== 'string')
      return;
    const old = this.rows.get(offer.id);
    const entry = this.build(offer);
    if (old)
      old.row.replaceWith(entry.row);
    this.rows.set(offer.id, entry);
    if (refresh)
      this.refresh();
  }

  remove (id) {
    const entry = this.rows.get(id);
    if (!entry)
      return null;
    const focused = entry.row.contains(document.activeElement);
    const next = entry.row.nextElementSibling || entry.row.previousElementSibling;
    entry.row.remove();
    this.rows.delete(id);
    if (focused && next)
      next.focus();
    return entry.offer;
  }

  build (offer) {
    const row = document.createElement('li');
    row.className = 'row offer-row';
    row.tabIndex = 0;
    row.dataset.id = offer.id;

    const labels = document.createElement('div');
    labels.className = 'labels';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = offer.name;
    const meta = document.createElement('span');
    meta.className = 'meta';
    const size = document.createElement('span');
    size.textContent = offer.folder
      ? Format.folder(offer.folder.files, offer.folder.bytes) : Format.size(offer.size);
    const uploader = document.createElement('span');
    uploader.className = 'uploader';
    uploader.textContent = offer.uploader;
    const age = document.createElement('span');
    age.className = 'age';
    meta.append(size, uploader, age);
    labels.append(name, meta);

    const actions = document.createElement('div');
    actions.className = 'actions';
    const href = downloadPath(offer);
    if (href) {
      const download = document.createElement('a');
      download.className = 'button flat icon-button download';
      download.href = href;
      download.download = offer.folder ? offer.name + '.zip' : offer.name;
      download.setAttribute('aria-label', 'Download ' + offer.name);
      download.title = 'Download';
      download.append(iconElement('icon-download'));
      actions.append(download);
    }
    if (offer.mine) {
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'flat icon-button delete';
      remove.setAttribute('aria-label', 'Delete ' + offer.name);
      remove.title = 'Delete';
      remove.append(iconElement('icon-delete'));
      remove.addEventListener('click', () => this.callbacks.onDelete(offer));
      actions.append(remove);
    }

    row.setAttribute('aria-label', offer.name + ', ' + size.textContent + ', from ' +
                     offer.uploader);
    row.append(iconElement('type-icon ' + Format.iconFor(offer)), labels, actions);
    row.addEventListener('keydown', (event) => {
      if (event.target !== row)
        return;
      if (event.key === 'Enter' && href) {
        event.preventDefault();
        row.querySelector('a.download').click();
      } else if ((event.key === 'Delete' || event.key === 'Backspace') && offer.mine) {
        event.preventDefault();
        this.callbacks.onDelete(offer);
      } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        const next = event.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling;
        if (next)
          next.focus();
      }
    });

    const entry = { offer, row, age };
    this.paintAge(entry);
    return entry;
  }

  paintAge (entry) {
    const now = Date.now() / 1000 - this.serverSkew;
    entry.age.textContent = Format.age(entry.offer.created, now);
  }

  paintAges () {
    for (const entry of this.rows.values())
      this.paintAge(entry);
  }

  matches (offer) {
    if (!this.query)
      return true;
    return offer.name.toLocaleLowerCase().includes(this.query) ||
      offer.uploader.toLocaleLowerCase().includes(this.query);
  }

  compare (a, b) {
    switch (this.sort) {
    case 'name':
      return a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' });
    case 'size':
      return b.size - a.size || a.name.localeCompare(b.name);
    default:
      return b.created - a.created || (a.id < b.id ? 1 : -1);
    }
  }

  setQuery (text) {
    this.query = text.trim().toLocaleLowerCase();
    this.refresh();
  }

  setSort (sort) {
    this.sort = sort;
    this.refresh();
  }

  /* Puts the rows that match in order; returns how many are shown. */
  refresh () {
    const entries = Array.from(this.rows.values()).filter((e) => this.matches(e.offer));
    entries.sort((a, b) => this.compare(a.offer, b.offer));
    const shown = new Set(entries.map((e) => e.row));
    for (const row of Array.from(this.list.children)) {
      if (!shown.has(row))
        row.remove();
    }
    let before = this.list.firstElementChild;
    for (const { row } of entries) {
      if (row !== before)
        this.list.insertBefore(row, before);
      else
        before = before.nextElementSibling;
    }
    this.shown = entries.length;
    if (this.callbacks.onChanged)
      this.callbacks.onChanged();
    return entries.length;
  }
}

window.OfferList = OfferList;
