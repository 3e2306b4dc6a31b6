// The element's styles, applied as a constructed stylesheet (adoptedStyleSheets): allowed under a host CSP that
// blocks <style> elements, and scoped to the shadow root. `all: initial` keeps the host's inherited styles out.
export const CHAT_CSS = `
:host { display: block; height: 100%; min-height: 320px; contain: content; }
:host([hidden]) { display: none; }
.root {
  all: initial;
  --bg: #ffffff; --fg: #1d1f23; --muted: #5d636e; --border: #d8dce3; --panel: #f4f6f9;
  --accent: #1a62d6; --accent-fg: #ffffff; --user: #e8f0fe; --danger: #b3261e; --danger-bg: #fdecea;
  --code-bg: #f1f3f6; --focus: #1a62d6;
  display: flex; flex-direction: column; box-sizing: border-box; height: 100%; width: 100%;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg);
  border: 1px solid var(--border); border-radius: 12px; overflow: hidden;
}
.root.dark {
  --bg: #15171b; --fg: #e6e8eb; --muted: #9aa3ae; --border: #30343b; --panel: #1e2127;
  --accent: #7aa7ff; --accent-fg: #0d1117; --user: #1f2c44; --danger: #ffb4ab; --danger-bg: #3b1512;
  --code-bg: #0f1114; --focus: #7aa7ff;
}
* { box-sizing: border-box; }
button, textarea, input, select { font: inherit; color: inherit; }
button {
  border: 1px solid var(--border); background: var(--panel); border-radius: 8px; padding: 6px 12px; cursor: pointer;
}
button:hover { border-color: var(--accent); }
button.primary { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }
button:disabled { opacity: .5; cursor: default; }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
.toolbar { display: flex; align-items: center; gap: 8px; padding: 8px 12px; border-bottom: 1px solid var(--border); background: var(--panel); flex-wrap: wrap; }
.toolbar .title { font-weight: 600; flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.toolbar .status { color: var(--muted); font-size: 13px; }
.toolbar button { padding: 4px 10px; font-size: 13px; }
.banners:empty { display: none; }
.banner { margin: 8px 12px 0; padding: 10px 12px; border-radius: 8px; background: var(--danger-bg); color: var(--danger); display: flex; gap: 8px; align-items: flex-start; }
.banner.info { background: var(--panel); color: var(--fg); }
.banner .text { flex: 1; }
.banner strong { display: block; }
.progress { margin: 8px 12px 0; padding: 8px 12px; border-radius: 8px; background: var(--panel); font-size: 13px; }
.progress[hidden] { display: none; }
.progress .bar { height: 6px; border-radius: 3px; background: var(--border); overflow: hidden; margin-top: 6px; }
.progress .fill { height: 100%; background: var(--accent); width: 0; transition: width .2s; }
.log { flex: 1 1 auto; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 12px; }
.empty { margin: auto; text-align: center; color: var(--muted); max-width: 34ch; }
.empty h2 { color: var(--fg); font-size: 18px; margin: 0 0 6px; }
.msg { max-width: 100%; display: flex; flex-direction: column; gap: 4px; }
.msg.user { align-self: flex-end; max-width: min(85%, 640px); }
.msg.user .body { background: var(--user); border-radius: 12px 12px 2px 12px; padding: 8px 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.assistant .body { overflow-wrap: anywhere; }
.msg .body > :first-child { margin-top: 0; }
.msg .body > :last-child { margin-bottom: 0; }
.msg .meta { display: flex; gap: 6px; align-items: center; color: var(--muted); font-size: 12px; flex-wrap: wrap; }
.msg .meta button { padding: 2px 8px; font-size: 12px; background: transparent; }
.msg.user .meta { justify-content: flex-end; }
.msg .error { color: var(--danger); font-size: 13px; }
details.thoughts { border-left: 3px solid var(--border); padding: 2px 10px; color: var(--muted); font-size: 13px; }
details.thoughts summary { cursor: pointer; }
details.thoughts .thought-text { white-space: pre-wrap; }
.tool { border: 1px solid var(--border); border-radius: 8px; background: var(--panel); padding: 8px 10px; font-size: 13px; }
.tool .tool-head { display: flex; gap: 8px; align-items: baseline; }
.tool .tool-name { font-weight: 600; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.tool .tool-state { color: var(--muted); }
.tool .tool-state.failed { color: var(--danger); }
.tool pre { margin: 4px 0 0; }
pre { background: var(--code-bg); border: 1px solid var(--border); border-radius: 8px; padding: 8px 10px; overflow-x: auto; font-size: 13px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .92em; }
.codeblock { position: relative; }
.codeblock button.copy { position: absolute; top: 4px; right: 4px; padding: 2px 8px; font-size: 12px; }
a { color: var(--accent); }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--border); padding: 4px 8px; }
blockquote { margin: 0; padding-left: 12px; border-left: 3px solid var(--border); color: var(--muted); }
.composer { border-top: 1px solid var(--border); padding: 8px 12px 12px; display: flex; flex-direction: column; gap: 6px; background: var(--bg); }
.composer .row { display: flex; gap: 8px; align-items: flex-end; }
.composer textarea { flex: 1; min-height: 44px; max-height: 40vh; resize: vertical; border: 1px solid var(--border); border-radius: 10px; padding: 10px 12px; background: var(--bg); }
.composer .opts { display: flex; gap: 12px; align-items: center; color: var(--muted); font-size: 13px; flex-wrap: wrap; }
.composer label.toggle { display: inline-flex; gap: 4px; align-items: center; cursor: pointer; }
.edit textarea { width: 100%; min-height: 60px; border: 1px solid var(--border); border-radius: 8px; padding: 8px; background: var(--bg); }
.edit .row { display: flex; gap: 6px; justify-content: flex-end; margin-top: 4px; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
@media (max-width: 480px) {
  .root { border-radius: 0; border-left: 0; border-right: 0; font-size: 15px; }
  .msg.user { max-width: 92%; }
  .toolbar { padding: 6px 8px; }
  .log { padding: 10px 8px; }
  .composer { padding: 8px; }
  .composer .keys { display: none; }
}
`;

let sheet: CSSStyleSheet | undefined;
export function chatStyleSheet(): CSSStyleSheet {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CHAT_CSS);
  }
  return sheet;
}
