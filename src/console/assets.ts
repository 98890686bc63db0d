/**
 * The console's only stylesheet and script, served by the plugin itself (no front-end build). Kept as strings so
 * the compiled service needs no extra files; served with a content hash in the URL so they can be cached forever.
 */
import { createHash } from 'node:crypto';

export const STYLESHEET = `
:root { --fg:#1b1f24; --muted:#57606a; --bg:#fff; --panel:#f6f8fa; --line:#d0d7de; --accent:#0b5cad;
  --ok:#1a7f37; --bad:#c62828; --warn:#9a6700; --focus:#ffbf47; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
* { box-sizing: border-box; }
body { margin:0; color:var(--fg); background:var(--bg); font-size:15px; line-height:1.45; }
a { color:var(--accent); }
:focus-visible { outline:3px solid var(--focus); outline-offset:2px; }
.skip { position:absolute; left:-9999px; top:0; background:var(--fg); color:#fff; padding:.5rem 1rem; z-index:10; }
.skip:focus { left:.5rem; top:.5rem; }
header.top { display:flex; flex-wrap:wrap; gap:1rem; align-items:center; justify-content:space-between;
  padding:.6rem 1.25rem; background:#14325c; color:#fff; }
header.top a, header.top .who { color:#fff; }
header.top .brand { font-weight:700; text-decoration:none; font-size:1.05rem; }
header.top form { display:inline; margin:0; }
nav.main { background:var(--panel); border-bottom:1px solid var(--line); padding:0 1.25rem; }
nav.main ul { list-style:none; margin:0; padding:0; display:flex; flex-wrap:wrap; gap:.25rem; }
nav.main a { display:block; padding:.6rem .8rem; text-decoration:none; color:var(--fg); border-bottom:3px solid transparent; }
nav.main a[aria-current="page"] { border-bottom-color:var(--accent); font-weight:600; }
main { padding:1rem 1.25rem 3rem; max-width:1400px; }
h1 { font-size:1.4rem; margin:.4rem 0 1rem; }
h2 { font-size:1.15rem; margin:1.5rem 0 .6rem; }
table { border-collapse:collapse; width:100%; font-size:.92rem; }
th, td { text-align:left; padding:.4rem .55rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:var(--panel); font-weight:600; position:sticky; top:0; }
tbody tr:hover { background:#f3f7fc; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.badge { display:inline-block; padding:0 .45rem; border-radius:1rem; font-size:.8rem; font-weight:600; border:1px solid currentColor; }
.ok { color:var(--ok); } .bad { color:var(--bad); } .warn { color:var(--warn); } .muted { color:var(--muted); }
form.filters { display:flex; flex-wrap:wrap; gap:.6rem 1rem; align-items:flex-end; background:var(--panel);
  border:1px solid var(--line); padding:.75rem; border-radius:6px; margin-bottom:1rem; }
label { display:flex; flex-direction:column; gap:.2rem; font-size:.85rem; font-weight:600; }
label.inline { flex-direction:row; align-items:center; gap:.4rem; font-weight:400; font-size:.95rem; }
input, select, textarea { font:inherit; padding:.35rem .45rem; border:1px solid #8c959f; border-radius:4px; background:#fff; }
textarea { width:100%; min-height:5rem; }
button, .button { font:inherit; padding:.4rem .85rem; border-radius:4px; border:1px solid var(--accent); background:var(--accent);
  color:#fff; cursor:pointer; text-decoration:none; display:inline-block; }
button.secondary, .button.secondary { background:#fff; color:var(--accent); }
button.danger { background:var(--bad); border-color:var(--bad); }
button:disabled { opacity:.5; cursor:not-allowed; }
form.inline { display:inline; margin:0; }
.actions { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; margin:.75rem 0; }
.notice { border-left:4px solid var(--accent); background:#eef5fc; padding:.6rem .9rem; margin:0 0 1rem; }
.notice.bad { border-left-color:var(--bad); background:#fdecea; color:var(--fg); }
.notice.ok { border-left-color:var(--ok); background:#e9f6ec; color:var(--fg); }
.secret { font-family:ui-monospace, SFMono-Regular, Menlo, monospace; background:#fff8c5; border:1px solid #d4a72c;
  padding:.5rem; word-break:break-all; display:block; }
dl.detail { display:grid; grid-template-columns:max-content 1fr; gap:.3rem 1rem; }
dl.detail dt { font-weight:600; color:var(--muted); }
dl.detail dd { margin:0; }
.tabs { display:flex; gap:.25rem; border-bottom:1px solid var(--line); margin-bottom:1rem; }
.tabs a { padding:.45rem .8rem; text-decoration:none; border:1px solid transparent; border-bottom:none; border-radius:4px 4px 0 0; }
.tabs a[aria-current="page"] { border-color:var(--line); background:#fff; font-weight:600; margin-bottom:-1px; }
.steps { display:flex; gap:.5rem; list-style:none; padding:0; margin:0 0 1rem; flex-wrap:wrap; }
.steps li { padding:.3rem .7rem; border-radius:1rem; background:var(--panel); border:1px solid var(--line); }
.steps li[aria-current="step"] { background:var(--accent); color:#fff; border-color:var(--accent); }
.steps li[aria-current="step"] a { color:#fff; font-weight:600; }
.pager { display:flex; gap:1rem; margin:1rem 0; }
.chart { max-width:100%; height:auto; border:1px solid var(--line); border-radius:6px; background:#fff; }
.counts { display:flex; gap:1rem; flex-wrap:wrap; }
.counts div { border:1px solid var(--line); border-radius:6px; padding:.6rem 1rem; min-width:9rem; background:var(--panel); }
.counts strong { display:block; font-size:1.6rem; }
progress { width:20rem; height:1.2rem; }
.card { border:1px solid var(--line); border-radius:6px; padding:1rem; max-width:34rem; }
pre { white-space:pre-wrap; word-break:break-word; background:var(--panel); padding:.6rem; border-radius:4px; }
@media (max-width: 800px) { main { padding:.75rem; } th, td { padding:.3rem; } }
`;

/** Progressive enhancement only: every page works without it. */
export const SCRIPT = `
'use strict';
// Ask before a destructive action (revoke, rotate); the form still works without script.
document.addEventListener('submit', function (event) {
  var form = event.target;
  var message = form && form.getAttribute && form.getAttribute('data-confirm');
  if (message && !window.confirm(message)) event.preventDefault();
});
// Copy a shown-once secret to the clipboard.
document.addEventListener('click', function (event) {
  var button = event.target && event.target.closest ? event.target.closest('[data-copy]') : null;
  if (!button) return;
  var source = document.getElementById(button.getAttribute('data-copy'));
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    button.textContent = 'Copied';
  });
});
// Filter selects submit on change when the form asks for it.
document.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
  select.addEventListener('change', function () { if (select.form) select.form.requestSubmit(); });
});
`;

const hash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12);
export const STYLESHEET_PATH = `/console/assets/console.${hash(STYLESHEET)}.css`;
export const SCRIPT_PATH = `/console/assets/console.${hash(SCRIPT)}.js`;
