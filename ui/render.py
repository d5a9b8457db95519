"""Everything the web app shows, as Markdown or HTML strings built from answers and releases.

Release text and model output are untrusted: a release may contain `<script>`, `<img onerror=...>` or
a Markdown link to `javascript:`, and the model may repeat it. So every piece of it is escaped here
before any markup of ours is added around it; the Chatbot's own sanitiser is a second line of defence,
not the first. The only links in the output are the ones made here: citation markers pointing at
source cards (`#src-<turn>-<n>`) and a release's own http(s) address.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime

from embeddings.index import IndexStats
from embeddings.text.markers import ESCAPED_MARKER
from embeddings.types import Release
from qa.types import Answer, Citation, Passage
from ui.turns import Turn

# Markdown constructs that could turn untrusted text into a link or a remote image.
_LINK_OPEN = re.compile(r"\]([(\[])")
_REFERENCE_DEFINITION = re.compile(r"^(\s{0,3})\[", re.MULTILINE)
_AUTOLINK_SCHEMES = re.compile(r"\b(javascript|vbscript|data|file):", re.IGNORECASE)
_SAFE_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)
CURSOR = "▌"
# Cards show a window of the passage around the quote; the whole release is one click away.
CARD_CONTEXT_CHARS = 1000


ReleaseLookup = Callable[[str], Release | None]


# ---------------------------------------------------------------- text in the chat


def escape_markdown(text: str) -> str:
    """Untrusted text made inert for a Markdown renderer: no HTML, no links, no images, no math."""
    text = html.escape(text, quote=False)
    # "](" and "][" start inline and reference links/images; a backslash makes the bracket literal.
    text = _LINK_OPEN.sub(lambda m: "]\\" + m.group(1), text)
    text = _REFERENCE_DEFINITION.sub(lambda m: m.group(1) + "\\[", text)
    # Break scheme names a renderer might auto-link, without changing what the reader sees.
    text = _AUTOLINK_SCHEMES.sub(lambda m: m.group(1) + "&#58;", text)
    return text.replace("$", "&#36;")


def link_citations(markdown: str, turn: int, numbers: Sequence[int]) -> str:
    """Turns [n] markers into links to source cards; markers without a card stay plain text."""
    known = set(numbers)

    def replace(match: re.Match[str]) -> str:
        parts = [int(p) for p in match.group(1).split(",")]
        if not all(n in known for n in parts):
            return match.group(0)
        return "".join(f'<a class="pq-cite" href="#src-{turn}-{n}">[{n}]</a>' for n in parts)

    return ESCAPED_MARKER.sub(replace, markdown)


def user_message(text: str) -> str:
    return escape_markdown(text)


def streaming_message(partial: str, status: str = "") -> str:
    if not partial.strip():
        return f"*{html.escape(status or 'Working…')}*"
    return escape_markdown(partial) + CURSOR


def turn_message(turn: Turn, number: int) -> str:
    """The assistant's final message for a turn."""
    a = turn.answer
    if turn.kind == "error":
        return f"⚠ {escape_markdown(a.text)}"
    body = link_citations(escape_markdown(a.text), number, [c.n for c in a.citations])
    if turn.kind == "release" and a.facts:
        body = fact_sheet_markdown(a, number)
    if turn.kind == "ask" and (key := key_line(a)):
        body = f'<span class="pq-key">{escape_markdown(key)}</span>\n\n{body}'
    if turn.kind == "ask" and (note := reader_note(a)):
        body += f'\n\n<span class="pq-reader">{html.escape(note)}</span>'
    if turn.kind in ("release", "topic") and not turn.stopped and not a.facts and looks_cut(a.text):
        body += " *[…cut at the length limit]*"
    if turn.kind == "release" and a.citations and not a.facts:
        c = a.citations[0]
        body += f'\n\n<a class="pq-cite" href="#src-{number}-{c.n}">[{c.n}]</a> {escape_markdown(_label(c.passage))}'
    if turn.stopped:
        body += "\n\n*Stopped.*"
    return body


def fact_sheet_markdown(answer: Answer, turn: int) -> str:
    """A fact sheet as a heading a part and a line a fact, the fact itself in bold, each line linked to
    the card of the sentence that states it."""
    from qa.fact_sheet import PARTS

    numbers = {(c.quote_start, c.quote_end): c.n for c in answer.citations}
    blocks = []
    for part, label in PARTS:
        facts = [f for f in answer.facts if f.part == part]
        if not facts:
            continue
        lines = []
        for f in facts:
            text = f"{escape_markdown(f.before)}**{escape_markdown(f.key)}**{escape_markdown(f.after)}"
            n = numbers.get((f.start, f.end))
            lines.append(f"- {text}" + (f' <a class="pq-cite" href="#src-{turn}-{n}">[{n}]</a>' if n else ""))
        blocks.append(f"**{label}**\n\n" + "\n".join(lines))
    return "\n\n".join(blocks)


# A key line is worth its room only above an answer that is a sentence or more, not one that is the span.
KEY_LINE_MIN_EXTRA_WORDS = 6


def key_line(answer: Answer) -> str:
    """The answer in a few words, above an answer of a typed question whose key span the check found in
    the passages: the figure, date or name to scan for. Free-text answers keep only their sentence (their
    key words are a guess, for JSON and the evaluation)."""
    if not answer.found or answer.answer_type in ("", "text") or answer.check != "passed" or not answer.key:
        return ""
    if len(answer.text.split()) < len(answer.key.split()) + KEY_LINE_MIN_EXTRA_WORDS:
        return ""
    return f"In brief: {answer.key}"


def reader_note(answer: Answer) -> str:
    """How the answer was read, when not simply the model's own checked words: it was chosen among the
    candidates the passages hold, because the model's answer did not match them."""
    if answer.method not in ("chosen", "best supported") or not answer.candidates:
        return ""
    why = (
        "the model's own answer was not in the passages"
        if answer.check == "not in the passages"
        else ("the model did not answer" if answer.check == "refused" else "the model's own answer did not state one")
    )
    how = "chosen by the model" if answer.method == "chosen" else "the best supported"
    count = len(answer.candidates)
    return f"Answer {how} among {count} candidate{'s' * (count != 1)} found in the passages: {why}."


def looks_cut(text: str) -> bool:
    """Whether a summary stopped mid-sentence (the model ran into its token limit).

    Only for summaries: they run to several sentences, so one left without an end is cut, while a
    one-line answer or a bullet often ends without a full stop.
    """
    last = ESCAPED_MARKER.sub("", text).rstrip().rsplit("\n", 1)[-1].lstrip()
    if not last or re.match(r"([-*•]|\d+[.)])\s", last):
        return False
    return last[-1] not in ".!?:;)\"'”’*"


def chat_messages(turns: Sequence[Turn], pending: tuple[str, str] | None = None) -> list[dict[str, str]]:
    """The Chatbot's value: every finished turn, then the one being written (prompt, its message)."""
    messages: list[dict[str, str]] = []
    for number, turn in enumerate(turns, 1):
        messages.append({"role": "user", "content": user_message(turn.prompt)})
        messages.append({"role": "assistant", "content": turn_message(turn, number)})
    if pending is not None:
        messages.append({"role": "user", "content": user_message(pending[0])})
        messages.append({"role": "assistant", "content": pending[1]})
    return messages


# ---------------------------------------------------------------- the sources panel


def _label(p: Passage) -> str:
    bits = [p.title]
    if p.date:
        bits.append(p.date.isoformat())
    return ", ".join(bits)


def highlight(text: str, start: int, end: int, mark_class: str = "") -> str:
    """`text` escaped, with text[start:end] inside a <mark>."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    if end <= start:
        return html.escape(text)
    cls = f' class="{mark_class}"' if mark_class else ""
    return (
        html.escape(text[:start]) + f"<mark{cls}>" + html.escape(text[start:end]) + "</mark>" + html.escape(text[end:])
    )


def _window(text: str, start: int, end: int, context: int = CARD_CONTEXT_CHARS) -> tuple[int, int]:
    """Bounds of at most ~`context` characters of `text` around [start, end), cut at spaces."""
    if len(text) <= context:
        return 0, len(text)
    spare = max(0, context - (end - start)) // 2
    lo, hi = max(0, start - spare), min(len(text), end + spare)
    if lo > 0:
        lo = text.find(" ", lo) + 1 or lo
    if hi < len(text):
        hi = text.rfind(" ", lo, hi) if text.rfind(" ", lo, hi) > lo else hi
    return lo, hi


def passage_html(c: Citation) -> str:
    """The cited passage with its best supporting sentence marked; a long passage is shown in part."""
    p = c.passage
    q_start, q_end = c.quote_start - p.start, c.quote_end - p.start
    if q_start <= 0 and q_end >= len(p.text):
        q_start = q_end = 0  # the whole passage is the source (a summary): nothing to pick out
    lo, hi = _window(p.text, q_start, q_end if q_end > q_start else 0)
    shown = highlight(p.text[lo:hi], q_start - lo, q_end - lo)
    return ("… " if lo > 0 else "") + shown + (" …" if hi < len(p.text) else "")


def release_html(release: Release, c: Citation) -> str:
    """The whole release, the cited passage shaded and its supporting sentence marked."""
    text, p = release.text, c.passage
    if text[p.start : p.end] != p.text:  # the release changed since the answer: mark nothing
        return html.escape(text)
    q_start, q_end = c.quote_start - p.start, c.quote_end - p.start
    if q_start <= 0 and q_end >= len(p.text):
        q_start = q_end = 0  # the quote is the whole passage (a summary's source): nothing to pick out
    inner = highlight(p.text, q_start, q_end)
    if p.start == 0 and p.end == len(text):  # a short release is one passage: shading it all says nothing
        return inner
    return html.escape(text[: p.start]) + f'<span class="pq-in-passage">{inner}</span>' + html.escape(text[p.end :])


def _meta_html(p: Passage) -> str:
    bits = [html.escape(p.date.isoformat()) if p.date else "undated"]
    if p.organisation:
        bits.append(html.escape(p.organisation))
    if p.chunk_id >= 0:  # retrieved passages have a score; whole-release sources do not
        score = f"score {p.score:.4f}"
        if p.dense_score is not None:
            score += f" · similarity {p.dense_score:.2f}"
        bits.append(score)
    bits.append(f"id <code>{html.escape(p.release_id)}</code>")
    if p.also_published_as:
        others = ", ".join(f"<code>{html.escape(r)}</code>" for r in p.also_published_as)
        bits.append(f'<span class="pq-also">also published as {others}</span>')
    return " · ".join(bits)


def _origin_html(origin: str) -> str:
    if _SAFE_URL.match(origin):
        url = html.escape(origin, quote=True)
        return f'<a class="pq-origin" href="{url}" target="_blank" rel="noopener noreferrer">original page</a>'
    return ""


def source_card(c: Citation, turn: int, release: Release | None) -> str:
    p = c.passage
    full = ""
    if release is not None:
        full = (
            '<details class="pq-full"><summary>Open the whole release</summary>'
            f'<div class="pq-release">{release_html(release, c)}</div>{_origin_html(release.origin)}</details>'
        )
    return (
        f'<article class="pq-card" id="src-{turn}-{c.n}" data-n="{c.n}">'
        f'<header><span class="pq-n">[{c.n}]</span> <span class="pq-title">{html.escape(p.title)}</span></header>'
        f'<div class="pq-meta">{_meta_html(p)}</div>'
        f'<blockquote class="pq-passage">{passage_html(c)}</blockquote>{full}</article>'
    )


def _turn_sources(turn: Turn, number: int, lookup: ReleaseLookup) -> str:
    heading = _KIND_HEADINGS.get(turn.kind, "Sources")
    # The words typed, without the label the chat puts before them ("Quotes: Elena Voss" under "Quotes for").
    label = _PROMPT_LABELS.get(turn.kind)
    shown = turn.prompt.removeprefix(f"{label}: ") if label else turn.prompt
    head = f'<div class="pq-turn-head">{html.escape(heading)}: <q>{html.escape(_shorten(shown, 160))}</q></div>'
    if turn.searched and turn.searched.strip() != turn.prompt.strip():
        head += f'<div class="pq-searched">Searched as: <q>{html.escape(turn.searched)}</q></div>'
    if turn.answer.citations:
        cards = "".join(source_card(c, number, lookup(c.passage.release_id)) for c in turn.answer.citations)
        if turn.kind == "timeline":
            cards = timeline_axis_html(turn.answer.citations, number) + cards
        if turn.answer.counts:
            cards = count_chart_html(turn.answer.counts, turn.prompt) + cards
    elif turn.answer.method == "count" and not turn.stopped:
        cards = '<p class="pq-empty">No indexed release holds the words counted.</p>'
    else:
        cards = _unsupported_html(turn)
    return f'<section class="pq-turn" id="turn-{number}">{head}{cards}</section>'


def timeline_axis_html(citations: Sequence[Citation], turn: int) -> str:
    """A timeline's events as markers on a date axis, each placed by its release's date and opening its card
    when clicked; markers alternate above and below the line so that close dates stay readable."""
    dated = [(c, c.passage.date) for c in citations if c.passage.date is not None]
    if not dated:
        return ""
    first, last = min(d for _, d in dated), max(d for _, d in dated)
    span = (last - first).days
    marks = []
    for i, (c, day) in enumerate(dated):
        at = 50.0 if span == 0 else 100.0 * (day - first).days / span
        title = html.escape(f"{day.isoformat()}: {c.passage.title}", quote=True)
        side = "pq-tl-up" if i % 2 == 0 else "pq-tl-down"
        marks.append(
            f'<a class="pq-cite pq-tl-mark {side}" href="#src-{turn}-{c.n}" style="left: {at:.2f}%" '
            f'title="{title}"><span class="pq-tl-dot"></span>[{c.n}] {day.isoformat()}</a>'
        )
    return (
        f'<div class="pq-timeline" role="list" aria-label="Events from {first} to {last}">'
        f'<div class="pq-tl-line"></div>{"".join(marks)}</div>'
    )


# The count chart's drawing box, in SVG units; it is scaled to the panel's width.
CHART_WIDTH, CHART_HEIGHT = 600, 150
_CHART_LEFT, _CHART_TOP, _CHART_BOTTOM = 40, 18, 24  # room for the largest count, and for the periods below
# Periods named under the bars at most: beyond this many bars, only every k-th (or each January) is named.
CHART_LABELS = 12
_MONTH_ABBR = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def count_chart_html(counts: Sequence[tuple[str, int]], question: str) -> str:
    """A count's series (Answer.counts: "YYYY" or "YYYY-MM" and releases) as an inline SVG bar chart, a bar a
    period, each bar's count in its <title> (a tooltip, and what a screen reader reads), the whole described
    in the chart's aria-label."""
    if not counts:
        return ""
    top = max(n for _, n in counts) or 1
    plot_w = CHART_WIDTH - _CHART_LEFT
    plot_h = CHART_HEIGHT - _CHART_TOP - _CHART_BOTTOM
    step = plot_w / len(counts)
    bars, labels = [], []
    every = max(1, -(-len(counts) // CHART_LABELS))
    monthly = len(counts[0][0]) == 7
    for i, (key, n) in enumerate(counts):
        h = plot_h * n / top
        x = _CHART_LEFT + i * step
        tip = html.escape(f"{_chart_period(key)}: {n:,} release{'s' * (n != 1)}")
        bars.append(
            f'<rect class="pq-chart-bar" data-period="{html.escape(key)}" data-count="{n}" x="{x + step * 0.1:.1f}" '
            f'y="{_CHART_TOP + plot_h - h:.1f}" width="{step * 0.8:.1f}" height="{h:.1f}"><title>{tip}</title></rect>'
        )
        if n and len(counts) <= CHART_LABELS * 2:  # counts over the bars while there is room for them
            bars.append(
                f'<text class="pq-chart-count" x="{x + step / 2:.1f}" y="{_CHART_TOP + plot_h - h - 3:.1f}" '
                f'text-anchor="middle" aria-hidden="true">{n:,}</text>'
            )
        named = (key.endswith("-01") or len(counts) <= CHART_LABELS) if monthly else i % every == 0
        if named:
            text = key[:4] if monthly and len(counts) > CHART_LABELS else _chart_short(key)
            labels.append(
                f'<text class="pq-chart-label" x="{x + step / 2:.1f}" y="{CHART_HEIGHT - 5}" '
                f'text-anchor="middle">{html.escape(text)}</text>'
            )
    axis = (
        f'<text class="pq-chart-label" x="{_CHART_LEFT - 6}" y="{_CHART_TOP + 10}" text-anchor="end">{top:,}</text>'
        f'<text class="pq-chart-label" x="{_CHART_LEFT - 6}" y="{_CHART_TOP + plot_h}" text-anchor="end">0</text>'
        f'<line class="pq-chart-axis" x1="{_CHART_LEFT}" x2="{CHART_WIDTH}" y1="{_CHART_TOP + plot_h}" '
        f'y2="{_CHART_TOP + plot_h}"></line>'
    )
    label = html.escape(_chart_description(counts, question), quote=True)
    return (
        f'<figure class="pq-chart"><svg role="img" aria-label="{label}" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg">{axis}{"".join(bars)}{"".join(labels)}</svg>'
        "</figure>"
    )


def _chart_period(key: str) -> str:
    return f"{_MONTH_ABBR[int(key[5:7]) - 1]} {key[:4]}" if len(key) == 7 else key


def _chart_short(key: str) -> str:
    return _MONTH_ABBR[int(key[5:7]) - 1] if len(key) == 7 else key


def _chart_description(counts: Sequence[tuple[str, int]], question: str) -> str:
    unit = "month" if len(counts[0][0]) == 7 else "year"
    total = sum(n for _, n in counts)
    top = max(n for _, n in counts)
    peaks = ", ".join(_chart_period(k) for k, n in counts if n == top)
    head = (
        f"Releases by {unit} for: {_shorten(question, 120)}. {total:,} from {_chart_period(counts[0][0])} to "
        f"{_chart_period(counts[-1][0])}; the most in {peaks} ({top:,})."
    )
    if len(counts) > CHART_LABELS * 2:
        return head
    return head + " " + "; ".join(f"{_chart_period(k)}: {n:,}" for k, n in counts) + "."


# The labels ui.webapp puts before what was typed in a mode's prompt.
_PROMPT_LABELS = {"timeline": "Timeline", "quotes": "Quotes", "mentions": "Releases naming"}
_KIND_HEADINGS = {
    "ask": "Sources for",
    "release": "Summarised release",
    "topic": "Releases summarised for",
    "timeline": "Events of",
    "quotes": "Quotes for",
    "mentions": "Releases naming",
}


def _unsupported_html(turn: Turn) -> str:
    if turn.kind == "error":
        return '<p class="pq-empty">No sources: the request did not complete.</p>'
    if turn.stopped:
        return '<p class="pq-empty">Stopped before the answer was complete, so nothing is cited.</p>'
    passages = turn.answer.passages
    if not passages:
        return '<p class="pq-empty">No indexed passage matched. Try other words, or widen the filters.</p>'
    titles = dict.fromkeys(f"{p.title} ({p.date.isoformat() if p.date else 'undated'})" for p in passages)
    items = "".join(f"<li>{html.escape(t)}</li>" for t in titles)
    return (
        '<p class="pq-empty">No passage supports an answer, so nothing is cited. '
        f'The model read passages from:</p><ul class="pq-read">{items}</ul>'
    )


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sources_html(turns: Sequence[Turn], lookup: ReleaseLookup) -> str:
    """The panel: the last turn's sources first, earlier turns' folded away below them."""
    # Errors have no sources (the chat says what went wrong): the last real answer stays on top.
    numbered = [(n, t) for n, t in enumerate(turns, 1) if t.kind != "error"]
    if not numbered:
        return EMPTY_SOURCES.replace('data-turns="0"', f'data-turns="{len(turns)}"')
    last_n, last = numbered[-1]
    parts = [_turn_sources(last, last_n, lookup)]
    earlier = numbered[:-1]
    if earlier:
        inner = "".join(_turn_sources(t, n, lookup) for n, t in reversed(earlier))
        parts.append(
            f'<details class="pq-earlier"><summary>Earlier answers ({len(earlier)})</summary>{inner}</details>'
        )
    # data-turns says which turn the panel reflects (browser tests wait on it).
    return f'<div class="pq-sources" data-turns="{len(turns)}">{"".join(parts)}</div>'


EMPTY_SOURCES = (
    '<div class="pq-sources" data-turns="0"><p class="pq-empty">Sources for the last answer appear here: '
    "each cited release with its date, organisation and score, and the passage the answer rests on highlighted. "
    "Click a marker like [1] in an answer to jump to its source.</p></div>"
)


# ---------------------------------------------------------------- index statistics, uploads, export


def stats_markdown(stats: IndexStats, reissued: Sequence[Sequence[str]] = ()) -> str:
    """The index in a line; `reissued`: the groups of one release published under several ids."""
    if stats.releases == 0:
        return "**The index is empty.** Add releases in the *Add releases* tab."
    span = "undated"
    if stats.first_date and stats.last_date:
        span = f"{stats.first_date.isoformat()} → {stats.last_date.isoformat()}"
    line = f"**{stats.releases:,}** releases · **{stats.chunks:,}** passages · {span}"
    if reissued:
        listed = html.escape("; ".join(" = ".join(group) for group in reissued), quote=True)
        count = f"<strong>{len(reissued):,}</strong> published more than once ({sum(map(len, reissued)):,} ids)"
        line += f' · <span class="pq-reissued" title="{listed}">{count}</span>'
    return line


def release_choice(title: str, when: date | None, organisation: str | None) -> str:
    bits = [_shorten(title, 90), when.isoformat() if when else "undated"]
    if organisation:
        bits.append(_shorten(organisation, 40))
    return " · ".join(bits)


def export_markdown(turns: Sequence[Turn], now: datetime | None = None) -> str:
    """The conversation as a Markdown document, each answer followed by its citations and quotes."""
    now = now or datetime.now()
    lines = ["# pressqa conversation", "", f"Exported {now:%Y-%m-%d %H:%M}.", ""]
    for number, turn in enumerate(turns, 1):
        lines += [f"## {number}. {_one_line(turn.prompt)}", ""]
        if turn.searched and turn.searched.strip() != turn.prompt.strip():
            lines += [f"*Searched as: {_one_line(turn.searched)}*", ""]
        lines += [("⚠ " if turn.kind == "error" else "") + turn.answer.text.strip(), ""]
        if turn.stopped:
            lines += ["*Stopped before the end.*", ""]
        if turn.answer.citations:
            lines += ["**Sources**", ""]
            for c in turn.answer.citations:
                p = c.passage
                when = p.date.isoformat() if p.date else "undated"
                org = f", {p.organisation}" if p.organisation else ""
                lines.append(f"- [{c.n}] {p.title} ({when}{org}; release `{p.release_id}`)")
                quote = _one_line(c.quote)
                if quote:
                    lines.append(f"  > {_shorten(quote, 600)}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())
