/* api.js: who this browser is (its owner secret and name) and how the page asks the server
 * (docs/HTTP.md §3–5): every request sends the identity headers, and every error comes back as a
 * sentence for people.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
'use strict';

class ApiError extends Error {
  constructor (message, status, code, body) {
    super(message);
    this.status = status;   /* 0: the server could not be reached */
    this.code = code;
    this.body = body;
  }
}

const Api = {
  csrf: null,
  onUnauthorized: null,     /* called on any 401, so that the page shows its login */

  /* The owner secret, made once: 32 random bytes as 64 hex digits. */
  owner () {
    let owner = localStorage.getItem('ferry-owner');
    if (!owner || !/^[0-9a-f]{64}$/.test(owner)) {
      const bytes = crypto.getRandomValues(new Uint8Array(32));
      owner = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      localStorage.setItem('ferry-owner', owner);
    }
    return owner;
  },

  name () {
    return (localStorage.getItem('ferry-name') || '').trim() || 'web';
  },

  setName (name) {
    const trimmed = name.trim();
    if (trimmed)
      localStorage.setItem('ferry-name', trimmed);
    else
      localStorage.removeItem('ferry-name');
  },

  /* The headers of a request that may create or delete something. */
  headers (extra) {
    const headers = {
      'X-Ferry-Owner': Api.owner(),
      'X-Ferry-Name': encodeURIComponent(Api.name()),
    };
    if (Api.csrf)
      headers['X-Ferry-CSRF'] = Api.csrf;
    return Object.assign(headers, extra || {});
  },

  /* The error an answer carries, as a sentence. */
  async errorOf (response) {
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      /* not JSON: a proxy's page, or nothing */
    }
    const sentence = body && typeof body.error === 'string' && body.error
      ? body.error
      : 'The server answered “' + response.status + ' ' + response.statusText + '”.';
    if (response.status === 401 && Api.onUnauthorized)
      Api.onUnauthorized();
    return new ApiError(sentence, response.status, body && body.code, body);
  },

  /* fetch() with our headers; resolves to the parsed JSON (null for 204), or throws ApiError. */
  async request (method, path, json) {
    const init = { method, headers: Api.headers(), credentials: 'same-origin', cache: 'no-store' };
    if (json !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(json);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      throw new ApiError('Could not reach the server. Check your connection.', 0, 'NETWORK');
    }
    if (!response.ok)
      throw await Api.errorOf(response);
    if (response.status === 204)
      return null;
    return response.json();
  },
};

window.Api = Api;
window.ApiError = ApiError;
