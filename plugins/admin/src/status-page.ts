import crypto from 'node:crypto';

/*
 * The status page: one static HTML string, no build step. It holds no data: the browser asks
 * for the admin token once (kept in localStorage), then calls the API with
 * `Authorization: Bearer`. The live request log is read with fetch() and a ReadableStream
 * reader from /api/v1/requests/stream, because EventSource cannot send headers and a token
 * in a URL ends up in logs and history. Everything from the API is written with textContent
 * (never innerHTML): hosts and paths in the log come from visitors.
 */

const STYLE = `
:root { font-family: system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
body { margin: 0; }
header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; background: #1d2330; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; flex: 1; }
header input { padding: .3rem .5rem; min-width: 16rem; }
header button { padding: .3rem .6rem; }
main { padding: 0 1rem 2rem; }
section { margin-top: 1.2rem; }
h2 { font-size: 1rem; margin: 0 0 .4rem; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: .85rem; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #e3e6eb; white-space: nowrap; }
td.wrap { white-space: normal; word-break: break-all; }
th { background: #eceff3; }
.empty td { color: #778; font-style: italic; }
.bad { color: #b00020; }
.ok { color: #0a7a32; }
#login-form { max-width: 26rem; margin: 3rem auto; background: #fff; padding: 1.5rem; border: 1px solid #e3e6eb; }
#login-form input { width: 100%; box-sizing: border-box; padding: .4rem; margin: .5rem 0; }
#state { font-size: .8rem; }
[hidden] { display: none !important; }
`;

const SCRIPT = `
'use strict';
const KEY = 'tfgw-admin-token';
const $ = (id) => document.getElementById(id);
let token = localStorage.getItem(KEY) || '';
let lastSeq = 0;
let streamAbort = null;
let pollTimer = null;
const MAX_ROWS = 500;

function setState(text, bad) {
  const s = $('state');
  s.textContent = text;
  s.className = bad ? 'bad' : 'ok';
}

function showLogin(message) {
  if (streamAbort) streamAbort.abort();
  clearInterval(pollTimer);
  $('app').hidden = true;
  $('login-form').hidden = false;
  $('login-error').textContent = message || '';
  $('token').focus();
}

async function api(path) {
  const res = await fetch(path, { headers: { Authorization: 'Bearer ' + token } });
  if (res.status === 401) {
    localStorage.removeItem(KEY);
    token = '';
    showLogin('The admin token was not accepted.');
    throw new Error('unauthorized');
  }
  if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
  return res.json();
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text === undefined || text === null ? '' : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function matches(tr) {
  const q = $('search').value.trim().toLowerCase();
  return !q || tr.textContent.toLowerCase().includes(q);
}

function applyFilter() {
  for (const id of ['sessions', 'routes', 'requests']) {
    for (const tr of $(id).querySelectorAll('tr:not(.empty)')) tr.hidden = !matches(tr);
  }
}

function fill(id, rows, columns, emptyText) {
  const body = $(id);
  body.replaceChildren();
  if (!rows.length) {
    const tr = document.createElement('tr');
    tr.className = 'empty';
    const td = cell(tr, emptyText);
    td.colSpan = columns;
    body.appendChild(tr);
  }
  for (const r of rows) body.appendChild(r);
  applyFilter();
}

const bytes = (n) => n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB';
const since = (ms) => new Date(ms).toLocaleTimeString();

async function refresh() {
  try {
    const [s, r] = await Promise.all([api('/api/v1/sessions'), api('/api/v1/routes')]);
    fill('sessions', s.sessions.map((x) => {
      const tr = document.createElement('tr');
      tr.dataset.id = x.id;
      cell(tr, x.agent || '(client)');
      cell(tr, x.role);
      cell(tr, x.transport);
      cell(tr, x.remoteAddress);
      cell(tr, x.rttMs === null ? '' : x.rttMs.toFixed(2) + ' ms');
      cell(tr, x.streams);
      cell(tr, bytes(x.bytesIn));
      cell(tr, bytes(x.bytesOut));
      cell(tr, since(x.since));
      return tr;
    }), 9, 'No sessions');
    fill('routes', r.routes.map((x) => {
      const tr = document.createElement('tr');
      tr.dataset.id = x.id;
      cell(tr, x.url || x.hostname, 'wrap');
      cell(tr, x.protocol);
      cell(tr, x.agent);
      cell(tr, x.online ? 'online' : 'offline', x.online ? 'ok' : 'bad');
      cell(tr, x.enabled ? 'yes' : 'disabled', x.enabled ? '' : 'bad');
      cell(tr, x.visitors);
      cell(tr, bytes(x.bytesIn));
      cell(tr, bytes(x.bytesOut));
      return tr;
    }), 8, 'No routes');
    setState('live');
  } catch (e) {
    if (token) setState(String(e.message || e), true);
  }
}

function addRequest(e) {
  if (e.seq <= lastSeq) return;
  lastSeq = e.seq;
  const body = $('requests');
  const empty = body.querySelector('tr.empty');
  if (empty) empty.remove();
  const tr = document.createElement('tr');
  tr.dataset.seq = e.seq;
  cell(tr, new Date(e.time).toLocaleTimeString());
  cell(tr, e.method);
  cell(tr, e.host, 'wrap');
  cell(tr, e.path, 'wrap');
  cell(tr, e.status, e.status >= 500 ? 'bad' : '');
  cell(tr, e.durationMs + ' ms');
  cell(tr, bytes(e.bytes));
  tr.hidden = !matches(tr);
  body.insertBefore(tr, body.firstChild);
  while (body.children.length > MAX_ROWS) body.lastChild.remove();
}

async function stream() {
  while (token) {
    streamAbort = new AbortController();
    try {
      const res = await fetch('/api/v1/requests/stream?after=' + lastSeq, { headers: { Authorization: 'Bearer ' + token, Accept: 'text/event-stream' }, signal: streamAbort.signal });
      if (res.status === 401) { localStorage.removeItem(KEY); token = ''; showLogin('The admin token was not accepted.'); return; }
      if (!res.ok || !res.body) throw new Error('stream: HTTP ' + res.status);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\\n\\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let ev = 'message';
          let data = '';
          for (const line of block.split('\\n')) {
            if (line.startsWith('event:')) ev = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trim();
          }
          if (ev === 'request' && data) addRequest(JSON.parse(data));
        }
      }
    } catch (e) {
      if (streamAbort.signal.aborted) return;
      setState('log stream lost, retrying', true);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function startApp() {
  $('login-form').hidden = true;
  $('app').hidden = false;
  refresh();
  clearInterval(pollTimer);
  pollTimer = setInterval(refresh, 3000);
  stream();
}

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  token = $('token').value.trim();
  if (!token) return;
  localStorage.setItem(KEY, token);
  $('token').value = '';
  startApp();
});
$('logout').addEventListener('click', () => { localStorage.removeItem(KEY); token = ''; showLogin(''); });
$('search').addEventListener('input', applyFilter);
if (token) startApp(); else showLogin('');
`;

const BODY = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>tfgw status</title>
<style>${STYLE}</style>
</head>
<body>
<form id="login-form" hidden>
  <h1>tfgw status</h1>
  <p>Enter the admin token (option <code>token</code> of the admin plugin, or TFGW_ADMIN_TOKEN). It is kept in this browser's localStorage.</p>
  <label for="token">Admin token</label>
  <input id="token" type="password" autocomplete="current-password" required>
  <button id="login-submit" type="submit">Open</button>
  <p id="login-error" class="bad"></p>
</form>
<div id="app" hidden>
  <header>
    <h1>tfgw status</h1>
    <span id="state"></span>
    <input id="search" type="search" placeholder="Filter sessions, routes and requests" aria-label="Filter">
    <button id="logout" type="button">Forget token</button>
  </header>
  <main>
    <section>
      <h2>Sessions</h2>
      <table><thead><tr><th>Agent</th><th>Role</th><th>Transport</th><th>Remote</th><th>RTT</th><th>Streams</th><th>In</th><th>Out</th><th>Since</th></tr></thead><tbody id="sessions"></tbody></table>
    </section>
    <section>
      <h2>Routes</h2>
      <table><thead><tr><th>Address</th><th>Protocol</th><th>Agent</th><th>State</th><th>Enabled</th><th>Visitors</th><th>In</th><th>Out</th></tr></thead><tbody id="routes"></tbody></table>
    </section>
    <section>
      <h2>Requests (live)</h2>
      <table><thead><tr><th>Time</th><th>Method</th><th>Host</th><th>Path</th><th>Status</th><th>Duration</th><th>Bytes</th></tr></thead><tbody id="requests"><tr class="empty"><td colspan="7">No requests yet</td></tr></tbody></table>
    </section>
  </main>
</div>
<script>${SCRIPT}</script>
</body>
</html>
`;

const hash = (s: string) => `'sha256-${crypto.createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/** The status page HTML, served as is at `/`. */
export const STATUS_PAGE_HTML: string = BODY;

/**
 * The page's Content-Security-Policy: only its own inline script and style (by hash), API
 * calls to the same origin, nothing else (no frames, no forms elsewhere, no plugins).
 */
export const STATUS_PAGE_CSP: string = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
