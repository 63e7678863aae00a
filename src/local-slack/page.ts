import type { LocalSlackConfig } from './schema.js';
import type { State } from './state.js';
import type { Message } from './types.js';
import type { Views } from './views.js';

/**
 * The JSON the dev page polls at `/_state`: channels, DMs, threads, and one user's ephemerals
 * and open modal (their newest, the one Slack shows).
 */
export function snapshot(cfg: LocalSlackConfig, state: State, views: Views, user: string | null) {
  const names = new Map([...state.users.values()].map((u) => [u.id, u.name]));
  const wire = (m: Message) => ({
    ts: m.ts,
    user: m.user,
    userName: names.get(m.user) ?? m.user,
    text: m.text,
    blocks: m.blocks ?? null,
    edited: m.history.length > 0,
  });
  const channels = [...state.channels.values()].map((c) => ({
    id: c.id,
    name: c.isIm ? (names.get(c.user ?? '') ?? c.name) : c.name,
    isIm: c.isIm,
    messages: state.history(c.id).map((m) => ({
      ...wire(m),
      replies: state.thread(c.id, m.ts).slice(1).map(wire),
    })),
  }));
  return {
    team: { id: cfg.teamId, domain: cfg.teamDomain },
    bot: { id: cfg.botUserId, name: cfg.botName },
    users: [...state.users.values()]
      .filter((u) => !u.isBot)
      .map((u) => ({ id: u.id, name: u.name })),
    channels,
    modal: user ? modalOf(views, user) : null,
    ephemerals: user
      ? state.ephemerals(user).map((e) => ({
          channel: e.channel,
          ts: e.ts,
          threadTs: e.threadTs ?? null,
          text: e.text,
          blocks: e.blocks ?? null,
        }))
      : [],
  };
}

function modalOf(views: Views, user: string) {
  const open = views.of(user).at(-1);
  if (!open) return null;
  const text = (v: unknown) => ((v as { text?: unknown } | undefined)?.text as string) ?? null;
  return {
    id: open.id,
    title: text(open.sent.title) ?? '',
    submit: text(open.sent.submit),
    close: text(open.sent.close),
    blocks: open.sent.blocks ?? [],
    errors: open.errors,
  };
}

// The page's script: plain ES2017, no dependencies, no backticks (it lives in String.raw).
const SCRIPT = String.raw`
// ?user=U…&channel=C… opens the page as that person in that channel (links, screenshots).
var Q = new URLSearchParams(typeof location === 'undefined' ? '' : location.search);
var S = { data: null, channel: Q.get('channel'), user: Q.get('user'), last: '', drafts: {}, modal: '' };
function esc(s) { return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'); }
function name(id) {
  var d = S.data; if (!d) return id;
  if (id === d.bot.id) return d.bot.name;
  for (var i = 0; i < d.users.length; i++) if (d.users[i].id === id) return d.users[i].name;
  return id;
}
function channelName(id) {
  var d = S.data; if (!d) return id;
  for (var i = 0; i < d.channels.length; i++) if (d.channels[i].id === id) return d.channels[i].name;
  return id;
}
function mrkdwn(s) {
  var h = esc(s);
  h = h.replace(/\x60\x60\x60([\s\S]*?)\x60\x60\x60/g, '<pre>$1</pre>');
  h = h.replace(/\x60([^\x60\n]+)\x60/g, '<code>$1</code>');
  h = h.replace(/&lt;(https?:[^|&]+)\|([^&]+)&gt;/g, '<a href="$1" target="_blank">$2</a>');
  h = h.replace(/&lt;(https?:[^&]+)&gt;/g, '<a href="$1" target="_blank">$1</a>');
  h = h.replace(/&lt;@([UW][A-Z0-9]+)&gt;/g, function (_, id) { return '<b>@' + esc(name(id)) + '</b>'; });
  h = h.replace(/&lt;#[CG][A-Z0-9]+\|([^&]+)&gt;/g, '<b>#$1</b>');
  // Without a label Slack shows the channel's name, as it does for a person.
  h = h.replace(/&lt;#([CG][A-Z0-9-]+)&gt;/g, function (_, id) { return '<b>#' + esc(channelName(id)) + '</b>'; });
  h = h.replace(/&lt;!date\^[^|&]*\|([^&]*)&gt;/g, '$1');
  h = h.replace(/&lt;!(here|channel|everyone)&gt;/g, '<b>@$1</b>');
  h = h.replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1<b>$2</b>');
  h = h.replace(/(^|[\s(])_([^_\n]+)_/g, '$1<i>$2</i>');
  h = h.replace(/(^|[\s(])~([^~\n]+)~/g, '$1<s>$2</s>');
  // Text arrives Slack-escaped (&amp; &lt; &gt;, api.slack.com/reference/surfaces/formatting):
  // after our own escaping those entities must show as the characters they stand for.
  h = h.replace(/&amp;(amp|lt|gt);/g, '&$1;');
  return h.replace(/\n/g, '<br>');
}
function txt(t) { return !t ? '' : t.type === 'mrkdwn' ? mrkdwn(t.text) : esc(t.text); }
function button(el, ts, blockId) {
  return '<button class="btn ' + (el.style || '') + '" data-ts="' + ts + '" data-action="' +
    esc(el.action_id || '') + '" data-block="' + esc(blockId) + '">' + esc(el.text ? el.text.text : '') + '</button>';
}
function blocks(list, ts) {
  return list.map(function (b, i) {
    var id = b.block_id || ('b' + i);
    if (b.type === 'header') return '<h3>' + txt(b.text) + '</h3>';
    if (b.type === 'divider') return '<hr>';
    if (b.type === 'context') return '<div class="ctx">' + b.elements.map(function (e) { return e.type === 'image' ? '[' + esc(e.alt_text || 'image') + ']' : txt(e); }).join(' · ') + '</div>';
    if (b.type === 'actions') return '<div>' + b.elements.map(function (e) { return e.type === 'button' ? button(e, ts, id) : '[' + esc(e.type) + ']'; }).join(' ') + '</div>';
    if (b.type === 'section') {
      var out = b.text ? '<div>' + txt(b.text) + '</div>' : '';
      if (b.fields) out += '<div class="fields">' + b.fields.map(function (f) { return '<div>' + txt(f) + '</div>'; }).join('') + '</div>';
      if (b.accessory && b.accessory.type === 'button') out += button(b.accessory, ts, id);
      return '<div class="section">' + out + '</div>';
    }
    return '<div class="ctx">[' + esc(b.type) + ' block]</div>';
  }).join('');
}
function message(m, cls) {
  var body = m.blocks ? blocks(m.blocks, m.ts) : '<div>' + mrkdwn(m.text) + '</div>';
  return '<div class="msg ' + (cls || '') + '"><div class="meta"><b>' + esc(m.userName || 'you') + '</b> <span>' +
    new Date(Number(m.ts) * 1000).toLocaleTimeString() + (m.edited ? ' (edited)' : '') + '</span></div>' + body + '</div>';
}
// A modal: its blocks, each input a text field that keeps what was typed across refreshes.
function modal(m) {
  var draft = S.drafts[m.id] || (S.drafts[m.id] = {});
  var body = m.blocks.map(function (b, i) {
    var id = b.block_id || ('b' + i);
    if (b.type !== 'input') return blocks([b], '');
    var el = b.element || {};
    var ph = el.placeholder ? ' placeholder="' + esc(el.placeholder.text) + '"' : '';
    var value = esc(draft[id] || '');
    var field = el.multiline
      ? '<textarea rows="4" data-input="' + esc(id) + '"' + ph + '>' + value + '</textarea>'
      : '<input data-input="' + esc(id) + '" value="' + value + '"' + ph + '>';
    var error = m.errors[id] ? '<div class="err">' + esc(m.errors[id]) + '</div>' : '';
    return '<label class="input"><b>' + esc(b.label ? b.label.text : '') + '</b>' + field + error + '</label>';
  }).join('');
  return '<form id="modal" data-view="' + esc(m.id) + '"><h3>' + esc(m.title) + '</h3>' + body +
    '<div class="buttons"><button type="button" class="btn" data-close="' + esc(m.id) + '">' + esc(m.close || 'Cancel') + '</button>' +
    (m.submit ? '<button class="btn primary">' + esc(m.submit) + '</button>' : '') + '</div></form>';
}
function showModal(m) {
  // Drawn again only when it changed, so typing is not interrupted by the page's polling.
  var json = JSON.stringify(m);
  if (json === S.modal) return;
  S.modal = json;
  var overlay = document.getElementById('overlay');
  overlay.innerHTML = m ? modal(m) : '';
  overlay.className = m ? 'open' : '';
}
function render() {
  var d = S.data; if (!d) return;
  showModal(d.modal);
  if (!S.user && d.users[0]) S.user = d.users[0].id;
  if (!S.channel && d.channels[0]) S.channel = d.channels[0].id;
  document.getElementById('users').innerHTML = d.users.map(function (u) {
    return '<option value="' + u.id + '"' + (u.id === S.user ? ' selected' : '') + '>' + esc(u.name) + '</option>';
  }).join('');
  document.getElementById('channels').innerHTML = d.channels.map(function (c) {
    return '<li class="' + (c.id === S.channel ? 'on' : '') + '" data-channel="' + c.id + '">' + (c.isIm ? '@' : '#') + esc(c.name) + '</li>';
  }).join('');
  var ch = d.channels.filter(function (c) { return c.id === S.channel; })[0];
  var html = '';
  if (ch) {
    ch.messages.forEach(function (m) {
      html += message(m);
      m.replies.forEach(function (r) { html += message(r, 'reply'); });
    });
    d.ephemerals.filter(function (e) { return e.channel === ch.id; }).forEach(function (e) {
      html += message({ ts: e.ts, userName: d.bot.name + ' (only visible to you)', text: e.text, blocks: e.blocks }, 'eph');
    });
  }
  var box = document.getElementById('messages');
  // Follow the newest message, as a chat client does, unless the reader scrolled up to read.
  var following = S.shown !== S.channel || box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  box.innerHTML = html || '<p class="ctx">No messages yet.</p>';
  if (following) box.scrollTop = box.scrollHeight;
  S.shown = S.channel;
}
function post(path, body) {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    .then(function (r) { return r.json(); })
    .then(function (r) { document.getElementById('status').textContent = statusOf(r); poll(); });
}
function statusOf(r) {
  if (r.error) return 'Error: ' + r.error;
  if (r.timedOut) return 'The app did not answer within 3 s';
  // A modal's submission Slack could not use: it shows the person an error in the modal.
  if (r.problem) return 'Slack would show an error in the form: ' + r.problem;
  return r.ms === undefined ? 'Done' : 'Sent (' + Math.round(r.ms) + ' ms)';
}
function poll() {
  fetch('/_state?user=' + encodeURIComponent(S.user || '')).then(function (r) { return r.text(); }).then(function (t) {
    if (t === S.last) return; S.last = t; S.data = JSON.parse(t); render();
  });
}
document.addEventListener('click', function (ev) {
  var t = ev.target;
  if (t.dataset && t.dataset.channel) { S.channel = t.dataset.channel; render(); }
  if (t.dataset && t.dataset.action) post('/_page/click', { user: S.user, channel: S.channel, ts: t.dataset.ts, actionId: t.dataset.action, blockId: t.dataset.block });
  if (t.dataset && t.dataset.close) post('/_page/close', { user: S.user, viewId: t.dataset.close });
});
document.addEventListener('input', function (ev) {
  var t = ev.target;
  if (!t.dataset || !t.dataset.input || !t.form) return;
  var draft = S.drafts[t.form.dataset.view] || (S.drafts[t.form.dataset.view] = {});
  draft[t.dataset.input] = t.value;
});
document.addEventListener('submit', function (ev) {
  if (ev.target.id !== 'modal') return;
  ev.preventDefault();
  var view = ev.target.dataset.view;
  post('/_page/submit', { user: S.user, viewId: view, values: S.drafts[view] || {} });
});
document.getElementById('users').addEventListener('change', function (ev) { S.user = ev.target.value; S.last = ''; poll(); });
document.getElementById('composer').addEventListener('submit', function (ev) {
  ev.preventDefault();
  var input = document.getElementById('text');
  if (input.value.trim()) post('/_page/command', { user: S.user, channel: S.channel, text: input.value.trim() });
  input.value = '';
});
poll(); setInterval(poll, 1000);
`;

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderPage(cfg: LocalSlackConfig): string {
  const team = escapeHtml(cfg.teamDomain);
  const bot = escapeHtml(cfg.botName);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>local Slack · ${team}</title>
<style>
body{margin:0;font:14px system-ui,sans-serif;display:grid;grid-template-columns:220px 1fr;height:100vh}
nav{background:#3f0e40;color:#fff;padding:12px;overflow:auto} nav li{list-style:none;padding:4px 8px;cursor:pointer;border-radius:4px}
nav ul{padding:0} nav li.on{background:#1164a3} main{display:flex;flex-direction:column;min-height:0}
#messages{flex:1;overflow:auto;padding:12px} .msg{padding:6px 0;border-bottom:1px solid #eee}
.reply{margin-left:32px;border-left:3px solid #ddd;padding-left:8px} .eph{background:#f4f8ff}
.meta span,.ctx{color:#666;font-size:12px} .fields{display:grid;grid-template-columns:1fr 1fr;gap:4px}
.btn{margin:4px 4px 0 0;padding:4px 10px;border:1px solid #bbb;border-radius:4px;background:#fff;cursor:pointer}
.btn.primary{background:#007a5a;color:#fff} .btn.danger{background:#e01e5a;color:#fff}
form{display:flex;gap:8px;padding:12px;border-top:1px solid #ddd} #text{flex:1;padding:8px} code,pre{background:#f6f6f6}
#overlay{display:none} #overlay.open{display:flex;position:fixed;inset:0;background:rgba(0,0,0,.4);align-items:center;justify-content:center}
#modal{flex-direction:column;background:#fff;border-radius:8px;width:480px;max-width:90vw;padding:16px 20px;border:0}
#modal .input{display:flex;flex-direction:column;gap:4px;margin:8px 0} #modal textarea,#modal input{padding:8px;font:inherit}
#modal .err{color:#e01e5a;font-size:12px} #modal .buttons{display:flex;justify-content:flex-end;gap:8px}
</style></head>
<body><nav><h2>${team}</h2><label>Acting as <select id="users"></select></label>
<ul id="channels"></ul></nav>
<main><div id="messages"></div>
<form id="composer"><input id="text" placeholder="/deploy web 1.4.2 to staging, or a message that mentions @${bot}" autocomplete="off"><button>Send</button></form>
<div id="status" class="ctx" style="padding:0 12px 8px"></div></main>
<div id="overlay"></div>
<script>${SCRIPT}</script></body></html>`;
}
