import t from 'tap';
import { html, raw } from '../../src/console/html.js';

t.test('interpolated values are escaped by default', async (t) => {
  const name = `<script>alert("x")</script>&'`;
  t.equal(html`<p title="${name}">${name}</p>`.text, '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>');
});

t.test('nested fragments and arrays are inserted without escaping twice', async (t) => {
  const items = ['a<b', 'c'].map((x) => html`<li>${x}</li>`);
  t.equal(html`<ul>${items}</ul>`.text, '<ul><li>a&lt;b</li><li>c</li></ul>');
});

t.test('null, undefined and false render nothing; numbers render as text', async (t) => {
  t.equal(html`${null}${undefined}${false}${0}${12n}`.text, '012');
});

t.test('raw() is the only way to insert markup unescaped', async (t) => {
  t.equal(html`${raw('<b>ok</b>')}`.text, '<b>ok</b>');
});
