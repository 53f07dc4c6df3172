"""Deterministic cleaning of raw source texts into the text that is annotated.

Cleaning is a list of *edits* on the raw text (``start``, ``end``, ``replacement``, ``rule``),
computed by independent rules and applied in one pass.  The edit list is the change report: applying
it to the raw text reproduces the cleaned text exactly, so a reviewer can see that nothing else was
altered (:func:`apply_edits` is used both to clean and to verify).

Rules (each edit names one):

``clutter-line``      a whole line of web-page clutter (share/subscribe/comment prompts, ad-blocker
                      notices, breadcrumbs, "You may also like") and the blank lines after it.
``clutter-sentence`` a comment or share prompt inside a line ("Share your thoughts in the comments").
``dateline-prefix``   a leading ``date YYYY-MM-DD`` stamp (moved to the metadata, not annotated).
``pdf-footnote-move`` a footnote block that a PDF page break left in the middle of a sentence is
                      cut out there and appended, in order, after the body (footnotes are kept).
``pdf-reflow``        hard line wraps of PDF-extracted text are rejoined; blank-line separators
                      that mark real paragraphs become one empty line.
``hard-wrap``         line breaks inside paragraphs of text hard-wrapped at a fixed width (a text
                      extracted from PDF with single newlines): a wrapped line is joined to the next.
``markdown-heading``  the ``#`` markers of a markdown heading (the heading's words stay).
``markdown-emphasis`` the ``*``/``**``/``__`` markers around emphasised words (the words stay).
``markdown-link``     a markdown link keeps its words and loses its brackets and address
                      (``[LiNK](https://...)`` -> ``LiNK``); an image link is removed whole.
``html-markup``       HTML tags of a text stored as an HTML fragment (block tags become a paragraph
                      break, inline tags disappear) and its character entities (``&amp;`` -> ``&``).
``caption-reflow``    a transcript stored one subtitle line at a time is joined into sentences.
``wiki-image``        image file names left in an exported wiki article (``School_(69).jpg]]``).
``glued-sentence``    a missing space after sentence punctuation (``await.China``).
``glued-comma``       a missing space after a comma between words or after a year (``2024,108``).
``glued-word``        a function word glued to the next word (``fromChina``, ``theprotection``).
``glued-source-tag``  a closing parenthesis glued to a source-link label (``return)hrw.org``).
``edge-whitespace``   whitespace at the very start or end of the text, and trailing spaces of lines.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass


@dataclass(frozen=True, order=True)
class Edit:
    start: int
    end: int
    replacement: str
    rule: str

    def original(self, raw: str) -> str:
        return raw[self.start:self.end]


@dataclass
class CleanResult:
    raw: str
    text: str
    edits: list[Edit]
    metadata: dict

    def report(self) -> list[dict]:
        """The change report: every edit with the raw text it replaced."""
        rows = []
        for e in self.edits:
            row = asdict(e)
            row["before"] = self.raw[e.start:e.end]
            row["after"] = e.replacement
            del row["replacement"]
            rows.append(row)
        return rows

    def report_markdown(self, doc_id: str) -> str:
        lines = [f"# Cleaning report for {doc_id}", "",
                 f"{len(self.edits)} edits; raw {len(self.raw)} chars -> clean {len(self.text)} chars.",
                 "Applying these edits to the raw text reproduces the cleaned text exactly.", "",
                 "| # | rule | raw offsets | before | after |", "|---|---|---|---|---|"]
        for i, row in enumerate(self.report(), 1):
            lines.append(f"| {i} | {row['rule']} | {row['start']}-{row['end']} | "
                         f"{_md(row['before'])} | {_md(row['after'])} |")
        return "\n".join(lines) + "\n"


def _md(s: str) -> str:
    s = s if len(s) <= 120 else s[:55] + f" …[{len(s) - 110} chars]… " + s[-55:]
    return "`" + s.replace("\n", "\\n").replace("|", "\\|").replace("`", "'") + "`"


# ---------------------------------------------------------------------------------------------
# rules

CLUTTER_LINE_PATTERNS = [
    r"Share this:",
    r"Subscribe to .{1,80} to receive updates",
    r"Leave a Comment",
    r"Your email address will not be published\. Required fields are marked \*",
    r"error: Content is protected !!",
    r"Home » .*",
    r"You may also like",
    r"This site uses Akismet to reduce spam\. Learn how your comment data is processed\.",
    r"Adblock Detected",
    r"Please support us by disabling your AdBlocker extension from your browsers for our website\.",
]
_CLUTTER_RE = re.compile(r"^[ \t]*(?:" + "|".join(CLUTTER_LINE_PATTERNS) + r")[ \t]*(?:\n|$)(?:[ \t]*\n)*",
                         re.MULTILINE)


def rule_clutter_lines(raw: str) -> list[Edit]:
    return [Edit(m.start(), m.end(), "", "clutter-line") for m in _CLUTTER_RE.finditer(raw)]


#: Comment and share prompts inside a line of text (removed with the space before them)
CLUTTER_SENTENCE_PATTERNS = [
    r" ?Share your thoughts in the comments below\.",
    r"Don[’']t forget to share this article[^.\n]*\.",
]
_CLUTTER_SENTENCE_RE = re.compile("|".join(CLUTTER_SENTENCE_PATTERNS))


def rule_clutter_sentences(raw: str) -> list[Edit]:
    return [Edit(m.start(), m.end(), "", "clutter-sentence") for m in _CLUTTER_SENTENCE_RE.finditer(raw)]


_DATELINE_RE = re.compile(r"\A\s*date (\d{4}-\d{2}-\d{2})\s+")


def rule_dateline(raw: str) -> tuple[list[Edit], dict]:
    m = _DATELINE_RE.match(raw)
    if not m:
        return [], {}
    return [Edit(m.start(), m.end(), "", "dateline-prefix")], {"date": m.group(1)}


def is_pdf_layout(raw: str) -> bool:
    """PDF-extracted text: most lines end with a space and are followed by an empty line."""
    wrapped = len(re.findall(r" \n\n(?=\S)", raw))
    return wrapped >= 20 and wrapped > raw.count("\n") / 4


_TERMINAL = ".!?;:,”’\")]"


def _pdf_lines(raw: str) -> list[tuple[int, int]]:
    """(start, end) of every line, end excluding the newline."""
    out, pos = [], 0
    for line in raw.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def rule_pdf(raw: str) -> list[Edit]:
    """Footnote moves and reflow for PDF-extracted text (see module docstring)."""
    if not is_pdf_layout(raw):
        return []
    lines = _pdf_lines(raw)
    text = lambda i: raw[lines[i][0]:lines[i][1]]  # noqa: E731
    n = len(lines)
    # 1. find page breaks: a continuation line starts with a space and directly follows a non-empty line
    in_footnote = [False] * n
    breaks = []  # (index of last body line before the break, index of continuation line)
    for i in range(1, n):
        cur, prev = text(i), text(i - 1)
        if cur.startswith(" ") and cur.strip() and prev.strip():
            # walk back to the body: the footnote block starts after the last whitespace-only line
            j = i - 1
            while j > 0 and text(j) != " ":
                j -= 1
            first = j + 1
            while first < i and not text(first).strip():
                first += 1
            if j > 0 and first < i and re.match(r"^(\d{1,2} |\* )", text(first)):
                # footnote block: lines j+1 .. i-1
                for k in range(j + 1, i):
                    in_footnote[k] = True
                body_end = j - 1
            else:  # page break without footnotes
                body_end = i - 1
            while body_end > 0 and not text(body_end).strip():
                body_end -= 1
            breaks.append((body_end, i))
    edits: list[Edit] = []
    footnotes: list[str] = []
    for body_end, cont in breaks:
        start = lines[body_end][1]
        end = lines[cont][0] + (len(text(cont)) - len(text(cont).lstrip()))
        joiner = _joiner(text(body_end).rstrip(), text(cont).strip())
        start = lines[body_end][0] + len(text(body_end).rstrip())
        edits.append(Edit(start, end, joiner, "pdf-footnote-move"))
        block = [text(k) for k in range(n) if in_footnote[k] and body_end < k < cont]
        footnotes.extend(_reflow_footnotes(block))
    # 2. reflow the body; a page break's edit already joins its two sides
    break_at = {body_end: cont for body_end, cont in breaks}
    i = 0
    para_break = False  # whether the separator before line i marked a paragraph (a " " line)
    while i < n:
        if in_footnote[i] or not text(i).strip():
            i += 1
            continue
        if i in break_at:
            i, para_break = break_at[i], False
            continue
        j = i + 1
        saw_blank_ws = False
        while j < n and (not text(j).strip() or in_footnote[j]):
            if text(j) == " ":
                saw_blank_ws = True
            j += 1
        cur = text(i).rstrip()
        start = lines[i][0] + len(cur)
        if j >= n:  # end of the body: drop trailing whitespace and blank lines
            if start < len(raw):
                edits.append(Edit(start, len(raw), "", "pdf-reflow"))
            break
        nxt = text(j).strip()
        heading = para_break and _looks_like_heading(cur)
        is_break = saw_blank_ws or heading or nxt.startswith("•")
        end = lines[j][0] + (len(text(j)) - len(text(j).lstrip()))
        replacement = "\n\n" if is_break else _joiner(cur, nxt)
        if raw[start:end] != replacement:
            edits.append(Edit(start, end, replacement, "pdf-reflow"))
        para_break = saw_blank_ws
        i = j
    if footnotes:
        edits.append(Edit(len(raw), len(raw), "\n\n" + "\n\n".join(footnotes) + "\n", "pdf-footnote-move"))
    return edits


def _looks_like_heading(line: str) -> bool:
    s = line.strip()
    return 0 < len(s) < 80 and not s.startswith("•") and s[-1] not in ".,;:”’\"" and s[0].isupper()


def _joiner(left: str, right: str) -> str:
    """What joins a hard-wrapped line to the next: nothing after a dash or inside a URL, else a space."""
    if left.endswith(("–", "-")) and not left.endswith((" –", " -")):
        return ""
    if right.startswith(("http://", "https://")):
        return " "
    if re.search(r"https?://\S*$", left) and not re.match(r"[A-Z][a-z]+ ", right):
        return ""
    if left.endswith("/"):
        return ""
    return " "


def _reflow_footnotes(block: list[str]) -> list[str]:
    """Group footnote lines into notes: a note starts with its number or '*'; URLs stay on their note."""
    notes: list[str] = []
    for line in block:
        s = line.strip()
        if not s:
            continue
        if re.match(r"^(\d{1,2} |\* )", s) or not notes:
            notes.append(s)
        else:
            notes[-1] = notes[-1] + _joiner(notes[-1], s) + s
    return notes


def _wrap_width(lines: list[str]) -> int | None:
    """The width a text is hard-wrapped at, or None when it is not hard-wrapped: at least 20
    non-empty lines, no longer than 110 characters, and half of them within 25% of the widest."""
    lengths = sorted(len(ln.rstrip()) for ln in lines if ln.strip())
    if len(lengths) < 20:
        return None
    width = lengths[int(0.9 * (len(lengths) - 1))]
    if width > 110 or lengths[-1] > 1.3 * width:
        return None
    near = sum(1 for n in lengths if n >= 0.75 * width)
    return width if near >= len(lengths) / 2 else None


def rule_hard_wrap(raw: str) -> list[Edit]:
    """Join the lines of hard-wrapped paragraphs: a line at least 60% of the wrap width is joined
    to a following non-empty line unless it ends a sentence and the next line starts a new one
    (capital, digit, bullet or quote) -- such a break is kept, so headings and paragraphs stay apart.
    """
    if is_pdf_layout(raw):
        return []
    lines = raw.split("\n")
    width = _wrap_width(lines)
    if width is None:
        return []
    edits, pos = [], 0
    for i, line in enumerate(lines[:-1]):
        end = pos + len(line)
        cur, nxt = line.rstrip(), lines[i + 1]
        if len(cur) >= 0.6 * width and nxt.strip() and not nxt[0].isspace():
            ends_sentence = cur.endswith((".", "!", "?", ":", ";", ".”", ".\"", ".)"))
            starts_sentence = not nxt[0].islower()
            if not (ends_sentence and starts_sentence):
                edits.append(Edit(pos + len(cur), end + 1, _joiner(cur, nxt), "hard-wrap"))
        pos = end + 1
    return edits


_MD_HEADING_RE = re.compile(r"^[ \t]*#{1,6}[ \t]*(?=\S)", re.MULTILINE)
_MD_EMPHASIS_RE = re.compile(r"(?<![\w*])(\*\*|\*|__)(?=[^\s*])([^\n]*?[^\s*])\1(?![\w*])")


_MD_IMAGE_RE = re.compile(r"!\[[^\]\n]*\]\([^)\s]*\)")
_MD_LINK_RE = re.compile(r"(?<!!)\[([^\]\n]+)\]\([^)\s]+\)")


def rule_markdown(raw: str) -> list[Edit]:
    """Markdown markup kept in a stored copy of a text: heading, emphasis and link markup."""
    edits = [Edit(m.start(), m.end(), "", "markdown-heading") for m in _MD_HEADING_RE.finditer(raw)]
    edits += [Edit(m.start(), m.end(), "", "markdown-link") for m in _MD_IMAGE_RE.finditer(raw)]
    for m in _MD_LINK_RE.finditer(raw):
        edits.append(Edit(m.start(), m.start() + 1, "", "markdown-link"))
        edits.append(Edit(m.end(1), m.end(), "", "markdown-link"))
    for m in _MD_EMPHASIS_RE.finditer(raw):
        marker = m.group(1)
        edits.append(Edit(m.start(), m.start() + len(marker), "", "markdown-emphasis"))
        edits.append(Edit(m.end() - len(marker), m.end(), "", "markdown-emphasis"))
    return edits


_HTML_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>")
_HTML_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
                    "blockquote", "section", "article"}
_HTML_ENTITY_RE = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def rule_html(raw: str) -> list[Edit]:
    """Tags and entities of a text stored as an HTML fragment (at least five tags).

    A run of tags with only whitespace between them is one edit: a paragraph break when it holds a
    block tag and stands between text, else nothing (inline tags)."""
    import html

    tags = list(_HTML_TAG_RE.finditer(raw))
    entities = [m for m in _HTML_ENTITY_RE.finditer(raw) if html.unescape(m.group(0)) != m.group(0)]
    if len(tags) < 5:
        tags = []
        if len(entities) < 3:  # an odd "&amp;" in plain text is left as written
            return []
    runs: list[list[re.Match]] = []
    for m in tags:
        if runs and not raw[runs[-1][-1].end():m.start()].strip():
            runs[-1].append(m)
        else:
            runs.append([m])
    edits: list[Edit] = []
    for run in runs:
        start, end = run[0].start(), run[-1].end()
        block = any(m.group(2).lower() in _HTML_BLOCK_TAGS for m in run)
        if block:  # take the whitespace around the run too, so the break is exactly one blank line
            while start > 0 and raw[start - 1] in " \t\n":
                start -= 1
            while end < len(raw) and raw[end] in " \t\n":
                end += 1
        at_edge = start == 0 or end == len(raw)
        edits.append(Edit(start, end, "\n\n" if block and not at_edge else "", "html-markup"))
    edits += [Edit(m.start(), m.end(), html.unescape(m.group(0)), "html-markup") for m in entities]
    return edits


def rule_captions(raw: str) -> list[Edit]:
    """A transcript stored as subtitle lines (at least 50 lines, a median line under 45 characters,
    hardly any blank line): lines are joined into sentences; a line that ends a sentence keeps its
    break, so each sentence stays on its own line."""
    lines = raw.split("\n")
    filled = [ln for ln in lines if ln.strip()]
    if len(filled) < 50 or len(filled) < 0.9 * len(lines) - 1:
        return []
    lengths = sorted(len(ln) for ln in filled)
    if lengths[len(lengths) // 2] >= 45:
        return []
    edits, pos = [], 0
    for i, line in enumerate(lines[:-1]):
        end = pos + len(line)
        if line.strip() and lines[i + 1].strip() and not re.search(r"[.!?][\"”’')\]]*\s*$|&quot;\s*$", line):
            edits.append(Edit(pos + len(line.rstrip()), end + 1, " ", "caption-reflow"))
        pos = end + 1
    return edits


_WIKI_IMAGE_RE = re.compile(r"(?:(?<=\s)|^)[^\s\[\]]+\.(?:jpg|jpeg|png|svg|gif|JPG|PNG)(?:\]\])?[ \t]*", re.MULTILINE)


def rule_wiki_image(raw: str) -> list[Edit]:
    return [Edit(m.start(), m.end(), "", "wiki-image") for m in _WIKI_IMAGE_RE.finditer(raw)]


_GLUE_RULES = [
    # sentence punctuation (optionally followed by a closing quote) glued to a capitalised word
    (re.compile(r"(?<=[a-z][.!?])(?=[A-Z][a-z])|(?<=[a-z][.!?][”\"])(?=[A-Z][a-z])"), "glued-sentence"),
    # comma glued between two words, or after a four-digit year
    (re.compile(r"(?<=[a-z],)(?=[a-z])|(?<=(?<![\d,])\d{4},)(?=\d)"), "glued-comma"),
    # a closing parenthesis glued to a source-link label ("...on return)hrw.orghrw.org.")
    (re.compile(r"(?<=[a-z]\))(?=[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|org|edu|net|gov|int|uk)\b)"),
     "glued-source-tag"),
]
_GLUED_WORD_RE = re.compile(r"\b(the|from|of|and)([A-Z][a-z]+|[a-z]{5,})\b")


def rule_glue(raw: str) -> list[Edit]:
    edits = []
    for regex, rule in _GLUE_RULES:
        for m in regex.finditer(raw):
            if not _inside_url(raw, m.start()):
                edits.append(Edit(m.start(), m.start(), " ", rule))
    words = set(re.findall(r"\b\w+\b", raw))
    lower_words = {w.lower() for w in words}
    for m in _GLUED_WORD_RE.finditer(raw):
        rest = m.group(2)
        glued = m.group(0)
        # split only when the remainder is a word of its own elsewhere in the text and the glued
        # form occurs exactly once (a real word such as "another" or "official" is never split)
        if rest.lower() in lower_words and raw.count(glued) == 1 and not _inside_url(raw, m.start()):
            edits.append(Edit(m.start(2), m.start(2), " ", "glued-word"))
    return edits


def _inside_url(raw: str, pos: int) -> bool:
    if raw[pos - 1:pos] == ")":  # a source-link label after a parenthesis is not inside a URL
        return False
    start = raw.rfind(" ", 0, pos) + 1
    token = raw[start:pos + 1]
    return "http" in token or "www." in token or ".com" in token or ".org" in token


def rule_edges(raw: str, taken: list[Edit]) -> list[Edit]:
    edits = []
    lead = len(raw) - len(raw.lstrip())
    if lead and not any(e.start == 0 for e in taken):
        edits.append(Edit(0, lead, "", "edge-whitespace"))
    if not any(e.end == len(raw) and e.replacement.endswith("\n") for e in taken):
        # end the text with exactly one newline: find where the kept text ends, looking through
        # trailing whitespace and the deletions (e.g. clutter lines) that reach the end
        end = len(raw)
        deletions = [e for e in taken if e.replacement == "" and e.start < e.end]
        moved = True
        while moved:
            moved = False
            stripped = len(raw[:end].rstrip())
            if stripped != end:
                end, moved = stripped, True
            for e in deletions:
                if e.start < end <= e.end:
                    end, moved = e.start, True
        ws_end = min([e.start for e in deletions if e.start >= end] + [len(raw)])
        edits.append(Edit(end, ws_end, "\n", "edge-whitespace"))
    for m in re.finditer(r"[ \t]+(?=\n)", raw):
        edits.append(Edit(m.start(), m.end(), "", "edge-whitespace"))
    return edits


# ---------------------------------------------------------------------------------------------


def apply_edits(raw: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits (sorted by position) to ``raw``."""
    out, pos = [], 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if e.start < pos:
            raise ValueError(f"overlapping edit {e} (previous edit ended at {pos})")
        out.append(raw[pos:e.start])
        out.append(e.replacement)
        pos = e.end
    out.append(raw[pos:])
    return "".join(out)


def _drop_overlaps(edits: list[Edit]) -> list[Edit]:
    """Keep the earliest-listed edit where two overlap (rules are listed in priority order)."""
    kept: list[Edit] = []
    for e in edits:
        if any(_overlap(e, k) for k in kept):
            continue
        kept.append(e)
    return sorted(kept, key=lambda e: (e.start, e.end, e.rule))


def _overlap(a: Edit, b: Edit) -> bool:
    if a.start == a.end or b.start == b.end:  # insertions clash only strictly inside a range
        point, rng = (a, b) if a.start == a.end else (b, a)
        if rng.start == rng.end:
            return point.start == rng.start
        return rng.start < point.start < rng.end
    return a.start < b.end and b.start < a.end


def clean_text(raw: str) -> CleanResult:
    """Clean one raw text; see the module docstring for the rules."""
    edits: list[Edit] = []
    dl_edits, meta = rule_dateline(raw)
    edits += dl_edits
    edits += rule_clutter_lines(raw)
    edits += rule_clutter_sentences(raw)
    edits += rule_pdf(raw)
    edits += rule_hard_wrap(raw)
    edits += rule_markdown(raw)
    edits += rule_html(raw)
    edits += rule_captions(raw)
    edits += rule_wiki_image(raw)
    # a glue insertion where removed clutter starts or ends would only leave a stray space
    cut = {e.start for e in edits if e.rule.startswith("clutter")} | {e.end for e in edits if e.rule.startswith("clutter")}
    edits += [e for e in rule_glue(raw) if e.start not in cut]
    edits = _drop_overlaps(edits)
    edits = _drop_overlaps(edits + rule_edges(raw, edits))
    text = apply_edits(raw, edits)
    # collapse runs of blank lines that clutter removal can leave behind is not needed: clutter
    # edits swallow the blank lines after them.
    return CleanResult(raw=raw, text=text, edits=edits, metadata=meta)
