// Deterministic, varied test text for the tokenizer tests and benchmark: many scripts and languages, emoji
// sequences, code, JSON, Markdown, URLs, numbers, whitespace runs and random Unicode (never a lone surrogate).

/** Small fast PRNG (mulberry32) so every run sees the same strings. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROSE: readonly string[] = [
  // Latin scripts with diacritics
  'Le cœur a ses raisons que la raison ne connaît point. Où est la bibliothèque ? Ça dépend, déjà vu, naïveté.',
  'Größere Übungen für Bäckerinnen: Straße, Fußgänger, schön, Mädchen, Äpfel und Öl.',
  '¿Dónde está el niño? ¡Qué año más extraño! El pingüino comió piñas en Logroño.',
  'Não há coração que não se engane; ação, informação, pão e maçã são palavras comuns.',
  'Zażółć gęślą jaźń. Pchnąć w tę łódź jeża lub ośm skrzyń fig. Źdźbło, żółw, łąka.',
  'Příliš žluťoučký kůň úpěl ďábelské ódy. Čeština má háčky: ř, š, č, ž, ů.',
  'Tiếng Việt có nhiều dấu: người, những, được, thưởng thức, phở bò, Hà Nội.',
  'Pijamalı hasta yağız şoföre çabucak güvendi. İstanbul, ılık, öğle, çiçek.',
  'Kæmi ný öxi hér ykist þjófum nú bæði víl og ádrepa. Þórður, Ægir, Ísland.',
  'Ångström, fjärran, smörgåsbord, Tromsø, Ærø, Jyväskylä, Hämeenlinna.',
  'Dziś rano Zoë, Chloë and Noël visited the café — naïve résumés, coöperate, façade.',
  'Șapte mări și țări; în România, ștergătoarele sunt așezate cu grijă.',
  // Cyrillic, Greek
  'Съешь же ещё этих мягких французских булок, да выпей чаю. Москва — столица России.',
  'Чуєш їх, доцю, га? Кумедна ж ти, прощайся без ґольфів! Київ, Львів, Харків.',
  'Гладно јеж грчевито цвили; Ђорђе, Љубиша, Његош — ћирилица у Србији.',
  'Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.',
  'Τάχιστη αλώπηξ βαφής ψημένη γη, δρασκελίζει υπέρ νωθρού κυνός. Ω, ψ, ϐ, ϑ.',
  // Arabic, Hebrew, Persian, Urdu
  'نص حكيم له سر قاطع وذو شأن عظيم مكتوب على ثوب أخضر ومغلف بجلد أزرق.',
  'مرحبا بالعالم! كيف حالك اليوم؟ الساعة الآن ١٢:٣٠ والتاريخ ٢٠٢٤/٠٥/١٧.',
  'דג סקרן שט בים מאוכזב ולפתע מצא חברה. שלום עולם, מה שלומך היום?',
  'به نام خداوند جان و خرد، کزین برتر اندیشه برنگذرد. فارسی زیباست.',
  'اردو ایک خوبصورت زبان ہے جو پاکستان اور ہندوستان میں بولی جاتی ہے۔',
  // Indic, Southeast Asian
  'ऋषियों को सताने वाले दुष्ट राक्षसों के राजा रावण का सर्वनाश करने वाले विष्णु अवतार भगवान श्रीराम।',
  'হাজার বছর ধরে আমি পথ হাঁটিতেছি পৃথিবীর পথে। বাংলা ভাষা সুন্দর।',
  'யாமறிந்த மொழிகளிலே தமிழ்மொழி போல் இனிதாவது எங்கும் காணோம்.',
  'తెలుగు భాష చాలా మధురమైనది. హైదరాబాద్ నగరం ప్రసిద్ధి చెందింది.',
  'ਪੰਜਾਬੀ ਭਾਸ਼ਾ ਗੁਰਮੁਖੀ ਲਿਪੀ ਵਿੱਚ ਲਿਖੀ ਜਾਂਦੀ ਹੈ।',
  'เป็นมนุษย์สุดประเสริฐเลิศคุณค่า กว่าบรรดาฝูงสัตว์เดรัจฉาน ภาษาไทยไม่มีช่องว่างระหว่างคำ',
  'ພາສາລາວ ແມ່ນພາສາທາງການຂອງລາວ. ខ្ញុំស្រឡាញ់ភាសាខ្មែរ។',
  'မြန်မာဘာသာစကား ကို မြန်မာနိုင်ငံတွင် ပြောဆိုကြသည်။',
  // CJK, Korean
  '我能吞下玻璃而不伤身体。今天天气很好，我们去公园散步吧！',
  '繁體中文與簡體中文並存：臺灣、香港、澳門使用繁體字。',
  'いろはにほへと ちりぬるを わかよたれそ つねならむ。東京は日本の首都です。',
  'カタカナとひらがなと漢字を混ぜて書きます：コンピューター、ありがとう、勉強。',
  '키스의 고유조건은 입술끼리 만나야 하고 특별한 기술은 필요치 않다. 안녕하세요!',
  '한국어 문장: 서울특별시, 대한민국, 훈민정음 해례본은 1446년에 반포되었다.',
  // Other scripts
  'ქართული ენა ერთ-ერთი უძველესი ენაა. Հայերենը գեղեցիկ լեզու է։',
  'ሰማይ አይታረስ ንጉሥ አይከሰስ። Ελληνικά και ᚠᚢᚦᚨᚱᚲ runes, ꦧꦱꦗꦮ Javanese.',
  'Ⓐⓑⓒ ①②③ ℃ ℉ № ™ ® © ½ ¼ ¾ ∞ ≠ ≤ ≥ ∑ ∏ √ ∫ ∂ ∇ ∈ ∉ ∀ ∃ ⊂ ⊃ ∧ ∨ ¬ ⇒ ⇔',
  'Ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ　ａｎｄ　ｈａｌｆｗｉｄｔｈ ｶﾀｶﾅ; ligatures ﬁ ﬂ ﬀ; Å vs Å (NFC vs NFD: é vs é).',
  // English
  'The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs!',
  "It's a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.",
  'Hello, how are you? I\'m fine — thanks for asking… "Quotes", \'single\', «guillemets», „German“ and 「Japanese」.',
];

const EMOJI: readonly string[] = [
  '😀😃😄😁😆😅😂🤣🥲☺️😊😇',
  '👍🏻👍🏼👍🏽👍🏾👍🏿 👋🏽 🙏🏿 💪🏼',
  '👨‍👩‍👧‍👦 👩‍❤️‍👨 👨‍💻 👩🏽‍🚀 🧑🏿‍🤝‍🧑🏻 🏳️‍🌈 🏴‍☠️',
  '🇯🇵🇺🇸🇫🇷🇩🇪🇧🇷🇮🇳🇨🇳🇰🇷 🏴󠁧󠁢󠁳󠁣󠁴󠁿 🏴󠁧󠁢󠁷󠁬󠁳󠁿',
  '1️⃣ 2️⃣ #️⃣ *️⃣ ©️ ®️ ‼️ ⁉️ ❤️ ♥ ☃️ ⚠️',
  'I love 🍕 and 🍣! 🎉🎊 Party time 🥳 at 10:30 🕥 → 🚀🌕',
  '🦄🐉🦖🦕🐙🦑🦀🐡🐠🐟🐬🐳🐋🦈 🫠🫡🫢🫣🫤🥹',
];

const CODE: readonly string[] = [
  'function add(a, b) {\n  return a + b;\n}\n\nconsole.log(add(1, 2)); // 3\n',
  'const xs = [1, 2, 3].map((x) => x * 2).filter(Boolean);\nexport default { xs };\n',
  'def fib(n: int) -> int:\n    """Return the n-th Fibonacci number."""\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n',
  'class Greeter:\n\tdef __init__(self, name):\n\t\tself.name = name\n\n\tdef greet(self):\n\t\tprint(f"Hello, {self.name}!")\n',
  'fn main() {\n    let v: Vec<u32> = (0..10).collect();\n    println!("{:?}", v.iter().sum::<u32>());\n}\n',
  'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("héllo, 世界")\n}\n',
  '#include <stdio.h>\nint main(void) {\n    printf("%d\\n", 42);\n    return 0;\n}\n',
  'SELECT u.id, u.name, COUNT(o.id) AS orders\nFROM users u\nLEFT JOIN orders o ON o.user_id = u.id\nWHERE u.created_at >= \'2024-01-01\'\nGROUP BY u.id, u.name;\n',
  '#!/usr/bin/env bash\nset -euo pipefail\nfor f in *.txt; do\n  echo "$f" | tr \'a-z\' \'A-Z\' >> out.log\ndone\n',
  '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Test</title></head>\n<body><div class="a"><p>Hi <b>there</b> <i>you</i></p></div></body>\n</html>\n',
  '.btn:hover { color: #ff00aa; margin: 0 auto; transition: all .3s ease-in-out; }\n@media (max-width: 600px) { .btn { display: none; } }\n',
  'public static <T extends Comparable<T>> T max(List<T> xs) {\n        return xs.stream().max(T::compareTo).orElseThrow();\n    }\n',
  'val x = listOf(1, 2, 3)\r\nprintln(x.sumOf { it * it })\r\n',
  '(defun square (x) (* x x))\n(mapcar #\'square \'(1 2 3))\n',
  'x <- c(1.5, 2.25, NA)\nmean(x, na.rm = TRUE)\n',
  'if ($a === null && $b !== 0) { echo "ok"; } else { throw new \\Exception("bad"); }\n',
];

const JSON_SNIPPETS: readonly string[] = [
  '{"name": "Alice", "age": 30, "tags": ["a", "b"], "nested": {"x": null, "y": true, "z": 1.5e-7}}',
  '[{"id":1,"v":"ä"},{"id":2,"v":"日本"},{"id":3,"v":"\\u00e9\\n\\t"}]',
  '{\n  "model": "gemma-4",\n  "messages": [\n    {"role": "user", "content": "Hi!"}\n  ],\n  "stream": true\n}',
  '{"emoji":"😀","empty":{},"arr":[],"num":-0.000123,"big":123456789012345678901234567890}',
];

const MARKDOWN: readonly string[] = [
  '# Title\n\n## Subtitle\n\n- item one\n- item **two**\n  - nested _three_\n\n1. first\n2. second\n',
  '> A quote\n> over two lines\n\n```python\nprint("code block")\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n',
  'Some `inline code`, a [link](https://example.com/path?q=1&r=2#frag), ~~strike~~ and ***bold italic***.',
  '---\ntitle: "Front matter"\ndate: 2024-05-17\n---\n\n![alt text](./img.png "Title")\n\n- [ ] todo\n- [x] done\n',
  '<table><tr><td>cell</td></tr></table> and <b>bold</b>, <i>it</i>, <code>x</code>, <span>s</span>, <h1>h</h1>',
];

const URLS: readonly string[] = [
  'https://www.example.com/',
  'http://localhost:8080/api/v1/users?id=42&sort=desc#top',
  'https://ja.wikipedia.org/wiki/日本語',
  'https://xn--80ak6aa92e.com/%D0%BF%D1%83%D1%82%D1%8C?q=%E2%9C%93',
  'ftp://user:pa$$w0rd@files.example.org:2121/pub/file-v1.2.3.tar.gz',
  'mailto:someone@example.co.uk?subject=Hello%20World',
  'git@github.com:owner/repo.git',
  'data:text/plain;base64,SGVsbG8sIFdvcmxkIQ==',
];

const NUMBERS: readonly string[] = [
  '0', '7', '42', '3.14159', '-273.15', '1e10', '6.022e23', '0xDEADBEEF', '0b101010', '1,234,567.89', '1.234.567,89',
  '12345678901234567890', '3141592653589793238462643383279502884197169399375105820974944592307816406286',
  '2024-05-17T12:34:56.789Z', '+1 (555) 123-4567', '192.168.0.1', '::1', '99.9%', '$1,000', '€12,50', '¥10000', '½', '٣٤٥', '१२३',
];

/** Characters the vocabulary lacks as pieces, so they need `<0xXX>` byte fallback (checked by the tests). */
const RARE: readonly string[] = [
  '\u{10FFFD}', '\u{F0000}', '\u{E000}', '\u{F8FF}', '\u{13000}\u{13001}\u{13002}', '\u{10000}\u{10001}', '\u{12000}\u{12001}', '\u{1D11E}\u{1D122}',
  '\u{20000}\u{2A6D6}\u{2F800}', '\u{1F9FF}\u{1FAF8}', '\u{E0041}', '\u0001\u0002\u001F\u007F', '\u0085\u00AD\u200B\u200C\u200D\u2060\uFEFF',
  '\uFFFC\uFFFD', '\u{16A0}\u{2C00}\u{A500}\u{1E900}', '\u{10400}\u{10450}', '\u{1F000}\u{1F0A1}', '\u{31350}\u{323AF}',
];

const WHITESPACE: readonly string[] = [
  ' ', '  ', '   ', '    ', '        ', '\t', '\t\t', '\t \t', '\n', '\n\n', '\n\n\n', '\n\n\n\n\n\n\n', '\r\n', '\r\n\r\n', '\r', ' \n ',
  '\n  \n', '\t\n\t', ' \r\n\t ', '\u00A0', '\u3000', '\u2003', '\n'.repeat(33), ' '.repeat(35), '\t'.repeat(34),
];

const POOLS: readonly (readonly string[])[] = [PROSE, PROSE, PROSE, EMOJI, CODE, CODE, JSON_SNIPPETS, MARKDOWN, URLS, NUMBERS, RARE, WHITESPACE];

/** Code point ranges for random text: all assigned-ish planes, minus surrogates; U+2581 is excluded (it reads as a space). */
const RANDOM_RANGES: readonly [number, number][] = [
  [0x20, 0x7e], [0xa0, 0x24f], [0x370, 0x52f], [0x590, 0x6ff], [0x900, 0xdff], [0xe00, 0xeff], [0x1100, 0x11ff], [0x1e00, 0x1fff],
  [0x2000, 0x257f], [0x2590, 0x2bff], [0x3000, 0x30ff], [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0xe000, 0xf8ff], [0xf900, 0xfffd],
  [0x10000, 0x1ffff], [0x20000, 0x2ffff], [0xe0000, 0xe01ef], [0xf0000, 0x10fffd], [0x0, 0x1f],
];

function pick<T>(rng: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)];
}

/** A random string of `length` code points from RANDOM_RANGES (valid UTF-16, no U+2581). */
export function randomUnicode(rng: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    const [lo, hi] = pick(rng, RANDOM_RANGES);
    let cp = lo + Math.floor(rng() * (hi - lo + 1));
    if (cp === 0x2581) cp = 0x2582;
    s += String.fromCodePoint(cp);
  }
  return s;
}

/** A random fragment: a slice of one pool entry, sometimes the whole entry. */
function fragment(rng: () => number): string {
  const entry = pick(rng, pick(rng, POOLS));
  if (rng() < 0.5) return entry;
  const cps = Array.from(entry);
  const a = Math.floor(rng() * cps.length);
  const b = a + 1 + Math.floor(rng() * (cps.length - a));
  return cps.slice(a, b).join('');
}

const JOINERS: readonly string[] = [' ', ' ', ' ', '', '\n', '\n\n', '\t', '  ', '\r\n', ', ', '. '];

/** `count` varied strings (deterministic for a seed): every pool entry as is, then random mixes and random Unicode. */
export function tokenizerTestStrings(count: number, seed = 20260917): string[] {
  const rng = createRng(seed);
  const out: string[] = [];
  for (const pool of [PROSE, EMOJI, CODE, JSON_SNIPPETS, MARKDOWN, URLS, NUMBERS, RARE, WHITESPACE]) out.push(...pool);
  while (out.length < count) {
    const r = rng();
    if (r < 0.15) {
      out.push(randomUnicode(rng, 1 + Math.floor(rng() * 40)));
    } else if (r < 0.2) {
      // Whitespace-heavy: runs of spaces, tabs, newlines and CRLF around short words.
      let s = '';
      const n = 2 + Math.floor(rng() * 8);
      for (let i = 0; i < n; i++) s += pick(rng, WHITESPACE) + (rng() < 0.6 ? pick(rng, ['a', 'word', 'x1', 'é', '中', '😀', '{', '}', '#']) : '');
      out.push(s);
    } else {
      const n = 1 + Math.floor(rng() * 4);
      let s = fragment(rng);
      for (let i = 1; i < n; i++) s += pick(rng, JOINERS) + fragment(rng);
      if (rng() < 0.1) s = pick(rng, WHITESPACE) + s;
      if (rng() < 0.1) s += pick(rng, WHITESPACE);
      out.push(s);
    }
  }
  return out.slice(0, count);
}

/** A large mixed text of about `chars` UTF-16 units, for benchmarks. */
export function mixedText(chars: number, seed = 7): string {
  const rng = createRng(seed);
  const parts: string[] = [];
  let n = 0;
  while (n < chars) {
    const s = rng() < 0.05 ? randomUnicode(rng, 20) : fragment(rng);
    parts.push(s, pick(rng, JOINERS));
    n += s.length + 1;
  }
  let text = parts.join('').slice(0, chars);
  const last = text.charCodeAt(text.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) text = text.slice(0, -1); // never end on half a surrogate pair
  return text;
}
