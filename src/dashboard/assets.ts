import type { Route } from '../http/router.js';

/**
 * The dashboard's one stylesheet and one script, served from this process (no build step, no
 * download at run time, nothing from another origin: the pages' policy allows only 'self').
 */

const CSS = `:root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--panel:#f6f8fa;--line:#d0d7de;--link:#0550ae;
--ok:#116329;--ok-bg:#dafbe1;--bad:#a40e26;--bad-bg:#ffebe9;--warn:#7d4e00;--warn-bg:#fff8c5;
--info:#0550ae;--info-bg:#ddf4ff;--focus:#0969da}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.5rem;z-index:9}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--panel)}
header.top .brand{font-weight:700;color:var(--fg);text-decoration:none}
nav.sections ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
nav.sections a{text-decoration:none;padding:.2rem .1rem}nav.sections a[aria-current="page"]{font-weight:700;border-bottom:3px solid var(--focus)}
.who{margin-left:auto;display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;color:var(--muted)}
.who form{margin:0}
main{padding:1rem;max-width:80rem;margin:0 auto}
h1{font-size:1.4rem;margin:.25rem 0 1rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.muted{color:var(--muted)}.small{font-size:.85rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid var(--line)}
thead th{background:var(--panel);font-weight:600}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:.8rem;font-weight:600;white-space:nowrap;border:1px solid transparent}
.badge.ok{background:var(--ok-bg);color:var(--ok)}.badge.bad{background:var(--bad-bg);color:var(--bad)}
.badge.warn{background:var(--warn-bg);color:var(--warn)}.badge.info{background:var(--info-bg);color:var(--info)}
.badge.idle{background:var(--panel);color:var(--muted);border-color:var(--line)}
.notice{padding:.6rem .8rem;border-radius:.4rem;margin:0 0 1rem;border:1px solid var(--line)}
.notice.ok{background:var(--ok-bg);color:var(--ok)}.notice.bad{background:var(--bad-bg);color:var(--bad)}.notice.warn{background:var(--warn-bg);color:var(--warn)}
button,.button{font:inherit;padding:.35rem .8rem;border:1px solid var(--line);border-radius:.35rem;background:#fff;color:var(--fg);cursor:pointer;text-decoration:none;display:inline-block}
button.primary{background:#1f883d;border-color:#1a7f37;color:#fff}button.danger{background:#cf222e;border-color:#a40e26;color:#fff}
form.inline{display:inline}
.actions{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}
input,select{font:inherit;padding:.3rem .4rem;border:1px solid var(--line);border-radius:.3rem;max-width:100%}
label{font-weight:600}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin-bottom:1rem}
.filters div{display:flex;flex-direction:column}
pre.output{background:#0d1117;color:#e6edf3;padding:.75rem;max-height:28rem;overflow:auto;white-space:pre-wrap;word-break:break-word;font-size:.85rem}
ol.timeline{list-style:none;padding:0;margin:0;border-left:3px solid var(--line)}
ol.timeline li{padding:.2rem 0 .6rem 1rem;position:relative}
ol.timeline li::before{content:"";position:absolute;left:-.5rem;top:.55rem;width:.7rem;height:.7rem;border-radius:50%;background:var(--line)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.matrix td{min-width:10rem}.cell-version{font-weight:700;font-size:1.05rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1rem}
.card{border:1px solid var(--line);border-radius:.5rem;padding:.8rem}
.card h2,.card h3,.card h4{font-size:.95rem;margin:0 0 .4rem}.card p{margin:.2rem 0}.card p:first-of-type strong{font-size:1.6rem;line-height:1.2}
svg.chart{max-width:100%;height:auto}svg.chart text{font:11px system-ui,sans-serif;fill:var(--muted)}
ul.summary{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;list-style:none;padding:0;margin:0 0 1rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:40rem){main{padding:.6rem}
 table.stack thead{position:absolute;left:-999px}
 table.stack tr{display:block;border:1px solid var(--line);border-radius:.4rem;margin-bottom:.6rem}
 table.stack td,table.stack th{display:block;border:0;padding:.25rem .6rem}
 table.stack [data-label]::before{content:attr(data-label);display:block;font-size:.75rem;color:var(--muted);font-weight:600}
 .who{margin-left:0}}
@media (prefers-reduced-motion:reduce){*{scroll-behavior:auto}}
.field-error{color:var(--bad);max-width:18rem}[aria-invalid="true"]{border-color:var(--bad)}`;

/**
 * Live pages without a reload: the server tells (server-sent events, GET /events) that something
 * the page shows changed; the script fetches the page's <main> again and swaps it in, keeping
 * focus, open details and anything being typed. A deployment's output is appended as it comes.
 * Without script every page still works: forms post and links go, as plain HTML.
 */
const JS = `(() => {
  'use strict';
  const main = document.getElementById('main');
  const say = document.getElementById('live-status');
  if (!main || !('EventSource' in window) || !window.fetch) return;
  const topic = main.dataset.live;
  let timer = 0, busy = false, again = false, pending = false;
  const typing = () => {
    const el = document.activeElement;
    return el && main.contains(el) && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) && el.type !== 'submit';
  };
  async function refresh() {
    if (typing()) { pending = true; return; }
    if (busy) { again = true; return; }
    busy = true;
    try {
      const res = await fetch(location.href, { headers: { 'x-slipway-fragment': 'main' }, credentials: 'same-origin', cache: 'no-store' });
      if (res.ok && res.headers.get('x-slipway-fragment') === 'main') {
        const focusId = document.activeElement && document.activeElement.id;
        const open = Array.from(main.querySelectorAll('details[open][id]')).map((d) => d.id);
        const out = document.getElementById('output');
        const scrolled = out ? out.scrollTop : 0;
        main.innerHTML = await res.text();
        for (const id of open) { const d = document.getElementById(id); if (d) d.open = true; }
        const o = document.getElementById('output');
        if (o) o.scrollTop = scrolled || o.scrollHeight;
        if (focusId) { const f = document.getElementById(focusId); if (f) f.focus({ preventScroll: true }); }
        stream();
      }
    } catch (e) { /* the next event or the timer tries again */ }
    finally { busy = false; if (again) { again = false; schedule(); } }
  }
  function schedule() { clearTimeout(timer); timer = setTimeout(refresh, 250); }
  main.addEventListener('focusout', () => { if (pending) { pending = false; setTimeout(() => { if (!typing()) schedule(); else pending = true; }, 0); } });
  if (topic) {
    const events = new EventSource('/events?topic=' + encodeURIComponent(topic));
    events.addEventListener('change', (e) => {
      try { const d = JSON.parse(e.data); if (say && d.say) say.textContent = d.say; } catch (err) { /* ignore */ }
      schedule();
    });
    events.addEventListener('open', () => document.documentElement.dataset.live = 'on');
    events.addEventListener('error', () => document.documentElement.dataset.live = 'off');
    // Work done by another replica reaches this one's events only through the database.
    setInterval(() => { if (document.visibilityState === 'visible') schedule(); }, 30000);
  }
  let output = null, outputFor = null;
  function stream() {
    const pre = document.getElementById('output');
    const url = pre && pre.dataset.stream;
    if (!url) { if (output) { output.close(); output = null; outputFor = null; } return; }
    if (output && outputFor === url) return;
    if (output) output.close();
    outputFor = url;
    output = new EventSource(url);
    output.addEventListener('output', (e) => {
      const el = document.getElementById('output');
      if (!el) return;
      const d = JSON.parse(e.data);
      const have = Number(el.dataset.length || '0');
      if (d.from > have) { schedule(); return; }
      const fresh = d.text.slice(have - d.from);
      if (!fresh) return;
      const atEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
      el.append(document.createTextNode(fresh));
      el.dataset.length = String(have + fresh.length);
      if (atEnd) el.scrollTop = el.scrollHeight;
    });
    output.addEventListener('end', () => { output.close(); output = null; });
  }
  stream();
})();
`;

const ASSET_HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
} as const;

export const STYLESHEET_PATH = '/assets/dashboard.css';
export const SCRIPT_PATH = '/assets/dashboard.js';

export function assetRoutes(): Route[] {
  const serve = (type: string, body: string): Route['handler'] => {
    const bytes = Buffer.from(body);
    return (_req, res) => {
      res.writeHead(200, {
        ...ASSET_HEADERS,
        'content-type': type,
        'content-length': bytes.length,
      });
      res.end(bytes);
    };
  };
  return [
    { method: 'GET', path: STYLESHEET_PATH, handler: serve('text/css; charset=utf-8', CSS) },
    { method: 'GET', path: SCRIPT_PATH, handler: serve('text/javascript; charset=utf-8', JS) },
  ];
}
