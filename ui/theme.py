"""The web app's look (theme, CSS) and its one script (citation markers that jump to their source)."""

from __future__ import annotations

import gradio as gr

# System fonts only: the app must not fetch anything from the internet, fonts included.
_FONT = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
_MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def theme() -> gr.themes.Base:
    return gr.themes.Soft(primary_hue="indigo", neutral_hue="slate", font=_FONT, font_mono=_MONO).set(
        body_text_size="15px",
    )


CSS = """
.gradio-container { max-width: 1480px !important; }
#pq-header { align-items: flex-end; border-bottom: 1px solid var(--border-color-primary); padding-bottom: 8px; }
#pq-brand h1 { margin: 0 0 2px; font-size: 1.5rem; letter-spacing: -0.01em; }
#pq-brand p { margin: 0; color: var(--body-text-color-subdued); }
#pq-stats { text-align: right; }
#pq-stats p { margin: 0; color: var(--body-text-color-subdued); font-size: 0.9rem; }
#pq-chat .message-content a.pq-cite, #pq-chat a.pq-cite {
  display: inline-block; margin: 0 1px; padding: 0 4px; border-radius: 5px; font-size: 0.8em; font-weight: 600;
  line-height: 1.5; vertical-align: 0.15em; text-decoration: none; color: var(--color-accent);
  background: var(--color-accent-soft); cursor: pointer;
}
#pq-chat a.pq-cite:hover { text-decoration: underline; }
#pq-controls { align-items: center; }
#pq-send, #pq-stop { min-width: 110px; max-width: 150px; align-self: stretch; }
#pq-summarize-row { align-items: flex-end; }
#pq-summarize { align-self: flex-end; margin-bottom: 2px; }
#pq-chat-actions { justify-content: flex-start; gap: 8px; }
#pq-sources-panel { max-height: 640px; overflow-y: auto; padding-right: 4px; }
.pq-sources { font-size: 14px; line-height: 1.5; }
.pq-empty { color: var(--body-text-color-subdued); margin: 6px 2px; }
.pq-turn-head { font-weight: 600; margin: 2px 0 8px; }
.pq-turn-head q { font-weight: 400; }
.pq-searched { font-size: 0.85rem; color: var(--body-text-color-subdued); margin: -4px 0 8px; }
.pq-reader { font-size: 0.85rem; color: var(--body-text-color-subdued); }
.pq-key { font-weight: 600; }
.pq-card {
  border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px 12px; margin: 0 0 10px;
  background: var(--block-background-fill); scroll-margin-top: 12px;
}
.pq-card header { font-weight: 600; margin-bottom: 2px; }
.pq-timeline { position: relative; height: 86px; margin: 4px 48px 14px; }
.pq-tl-line { position: absolute; left: 0; right: 0; top: 42px; border-top: 2px solid var(--color-accent-soft); }
.pq-tl-mark {
  position: absolute; transform: translateX(-50%); white-space: nowrap; font-size: 0.78rem;
  color: var(--color-accent); text-decoration: none;
}
.pq-tl-up { top: 8px; }
.pq-tl-down { top: 50px; }
.pq-tl-dot {
  position: absolute; left: 50%; width: 9px; height: 9px; margin-left: -4.5px; border-radius: 50%;
  background: var(--color-accent);
}
.pq-tl-up .pq-tl-dot { top: 29px; }
.pq-tl-down .pq-tl-dot { top: -13px; }
.pq-chart { margin: 2px 0 12px; }
.pq-chart svg { display: block; width: 100%; height: auto; overflow: visible; }
.pq-chart-bar { fill: var(--color-accent); }
.pq-chart-bar:hover { fill: var(--color-accent-soft); stroke: var(--color-accent); }
.pq-chart-axis { stroke: var(--border-color-primary); }
.pq-chart-label { font-size: 14px; fill: var(--body-text-color-subdued); }
.pq-chart-count { font-size: 14px; fill: var(--body-text-color); }
.pq-n { color: var(--color-accent); margin-right: 2px; }
.pq-meta { font-size: 0.82rem; color: var(--body-text-color-subdued); margin-bottom: 6px; }
.pq-meta code { font-size: 0.8rem; }
.pq-passage, .pq-release {
  white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; padding: 6px 10px;
  border-left: 3px solid var(--color-accent-soft); color: var(--body-text-color); font-size: 0.9rem;
}
.pq-sources mark { background: #fde68a; color: #1f2937; padding: 0 1px; border-radius: 2px; }
.pq-in-passage { background: rgba(99, 102, 241, 0.10); }
.pq-full { margin-top: 6px; }
.pq-full summary, .pq-earlier summary { cursor: pointer; color: var(--color-accent); font-size: 0.88rem; }
.pq-release { max-height: 360px; overflow-y: auto; margin-top: 6px; }
.pq-origin { font-size: 0.82rem; }
.pq-earlier { margin-top: 14px; border-top: 1px dashed var(--border-color-primary); padding-top: 8px; }
.pq-earlier .pq-turn { margin-top: 10px; }
.pq-read { margin: 4px 0 0 18px; color: var(--body-text-color-subdued); }
@keyframes pq-flash { from { box-shadow: 0 0 0 3px var(--color-accent); } to { box-shadow: 0 0 0 0 transparent; } }
.pq-flash { animation: pq-flash 1.6s ease-out; }
#pq-upload-result ul { margin-top: 4px; }
footer { opacity: 0.8; }
"""

# Capture phase, so the click is handled before the chat's own handlers (which would open "#src-…" as a
# page link). Cards in a hidden tab or a closed <details> are revealed first.
HEAD = """
<script>
(() => {
  function visible(el) { return el && el.offsetParent !== null; }
  function reveal(id) {
    const el = document.getElementById(id);
    if (!el) return false;
    for (let d = el.parentElement; d; d = d.parentElement) { if (d.tagName === 'DETAILS') d.open = true; }
    if (!visible(el)) return false;
    el.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    el.classList.remove('pq-flash'); void el.offsetWidth; el.classList.add('pq-flash');
    return true;
  }
  function openSource(id) {
    if (reveal(id)) return;
    const tab = [...document.querySelectorAll('button[role="tab"]')]
      .find((b) => b.textContent.trim().startsWith('Sources'));
    if (tab) { tab.click(); setTimeout(() => reveal(id), 200); }
  }
  document.addEventListener('click', (ev) => {
    const a = ev.target instanceof Element ? ev.target.closest('a.pq-cite') : null;
    const href = a ? a.getAttribute('href') || '' : '';
    if (!href.startsWith('#src-')) return;
    ev.preventDefault();
    ev.stopPropagation();
    openSource(href.slice(1));
  }, true);
})();
</script>
"""
