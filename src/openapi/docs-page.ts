import { createHash } from 'node:crypto';
import { resolvePathItem, type OpenApiDocument } from './document.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h2{margin-top:2rem;border-bottom:1px solid #ccc}h3{font-family:ui-monospace,monospace;font-size:1rem;margin:1.2rem 0 .2rem}
.m{display:inline-block;min-width:4.5rem;font-weight:700}.r{font-family:ui-monospace,monospace;color:#444}
pre{white-space:pre-wrap}a{color:#0645ad}`;

/** A hash-based CSP allows exactly this stylesheet and nothing else: no scripts, no remote assets. */
export const docsPageCsp = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/**
 * The OpenAPI document as one static page (operations, summaries, response codes), rendered once at start.
 * Swagger UI would need a script bundle and a looser CSP; the raw document is one link away at /openapi.json.
 */
export function renderDocsPage(doc: OpenApiDocument): string {
  const info = (doc['info'] ?? {}) as Record<string, unknown>;
  const groups = new Map<string, string[]>();
  for (const path of Object.keys(doc.paths)) {
    const item = resolvePathItem(doc, path)?.item ?? {};
    for (const method of METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op) continue;
      const tag = (Array.isArray(op['tags']) ? str(op['tags'][0]) : '') || 'other';
      const responses = Object.entries((op['responses'] ?? {}) as Record<string, { description?: string }>)
        .map(([code, r]) => `<li><span class="r">${escape(code)}</span> ${escape(str(r.description))}</li>`)
        .join('');
      const html = `<h3><span class="m">${method.toUpperCase()}</span>${escape(path)}</h3>
<p>${escape(str(op['summary']))}</p>${op['description'] ? `<pre>${escape(str(op['description']))}</pre>` : ''}<ul>${responses}</ul>`;
      groups.set(tag, [...(groups.get(tag) ?? []), html]);
    }
  }
  const sections = [...groups].map(([tag, ops]) => `<h2>${escape(tag)}</h2>${ops.join('\n')}`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escape(str(info['title']))} API</title><style>${STYLE}</style></head><body>
<h1>${escape(str(info['title']))} API ${escape(str(info['version']))}</h1>
<p>${escape(str(info['summary']))} The machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escape(doc.openapi)}).</p>
${sections}
</body></html>`;
}
