// Model output -> sanitized DOM. Markdown goes through marked, the HTML through DOMPurify with a tight allow-list,
// and the result is returned as a DocumentFragment (never assigned as innerHTML): nothing in it can run.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const marked = new Marked({ gfm: true, breaks: false, async: false });

const ALLOWED_TAGS = [
  'p', 'br', 'hr', 'em', 'strong', 'del', 's', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span', 'sup', 'sub', 'kbd',
];
const ALLOWED_ATTR = ['href', 'title', 'class', 'align', 'start'];
const SAFE_URL = /^(?:https?:|mailto:|#)/i;

let purifier: ReturnType<typeof DOMPurify> | undefined;

function getPurifier(): ReturnType<typeof DOMPurify> {
  if (purifier) return purifier;
  const p = DOMPurify(window);
  p.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName === 'A') {
      const href = node.getAttribute('href') ?? '';
      if (!SAFE_URL.test(href.trim())) node.removeAttribute('href');
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
    // Only the language class marked puts on code blocks survives.
    const cls = node.getAttribute('class');
    if (cls !== null && !/^language-[\w+-]+$/.test(cls)) node.removeAttribute('class');
  });
  purifier = p;
  return p;
}

/** Renders untrusted markdown to a fragment of inert elements. */
export function renderMarkdown(text: string): DocumentFragment {
  const html = marked.parse(text) as string;
  return getPurifier().sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOW_DATA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  });
}
