import type { ErrorFamily } from '../http/errors.js';
import { html } from './html.js';
import { page } from './layout.js';

const TITLES: Record<number, string> = {
  400: 'That request was not understood',
  401: 'Please sign in',
  403: 'Not allowed',
  404: 'Page not found',
  413: 'Too much data',
  503: 'Temporarily unavailable',
};

/** Failures under /console are pages a person reads, with a way back; never JSON, never a stack trace. */
export const consoleErrorFamily: ErrorFamily = {
  prefix: '/console',
  render: (failure) => ({
    statusCode: failure.status,
    headers: { ...(failure.headers ?? {}), 'cache-control': 'no-store' },
    contentType: 'text/html; charset=utf-8',
    body: () =>
      page({
        title: TITLES[failure.status] ?? (failure.status >= 500 ? 'Something went wrong' : 'Request refused'),
        session: null,
        body: html`<p>${failure.detail}</p><p><a href="/console">Back to the console</a></p>`,
      }).text,
  }),
};
