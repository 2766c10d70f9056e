"""Site plugin: the rules and sources as pages of the site, at /rules/<page>.

The marker specification (docs/version-markers.md), the labelling guide and the validation sample's
method (data/validation/), and the seed study summarised and in the original (data/study/) are
rendered from the Markdown files the repository keeps, served as static folders
(scripts/publish/site.py), so a published site carries them. A relative link between those files
becomes a link to the other page, a link to another served file a link to that file, and a link to
a file the site does not serve is dropped (its text kept): no page links to a 404.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import NotFound
from markdown_it import MarkdownIt
from markupsafe import Markup

# slug -> (static mount, file in it, title, what the page is for)
RULES = {
    "version-markers": (
        "docs",
        "version-markers.md",
        "The version-marker specification",
        "The rules the classifier applies to every model id: what a marker is, its forms, and whose "
        "version it is (refers_to, rules 1-8 in order).",
    ),
    "labelling-guide": (
        "validation",
        "LABELLING-GUIDE.md",
        "The labelling guide",
        "What the two annotators read each labelled id by; the hand labels of validation_labels follow it.",
    ),
    "validation": (
        "validation",
        "README.md",
        "The validation sample and method",
        "How the hand-labelled sample was drawn and labelled, and how it measures the classifier "
        "(classifier_accuracy) and corrects the shares (estimate_* tables).",
    ),
    "seed-study": (
        "study",
        "summary.md",
        "The seed study: its claims, summarised",
        "What the study this dataset starts from claims, with its citation, and how each claim is checked.",
    ),
    "seed-report": (
        "study",
        "seed-report.md",
        "The seed study: the original report (in French)",
        "The report as its authors wrote it, vendored byte for byte.",
    ),
}
LINK = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def mounts(datasette) -> dict[str, Path]:
    return {mount: Path(folder) for mount, folder in datasette.static_mounts}


def slug_of(text: str) -> str:
    """GitHub-style heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def link_target(href: str, mount: str, served: dict[str, Path]) -> str | None:
    """Where a link of the file mount/<file> leads on the site, or None when nowhere."""
    if LINK.match(href) or href.startswith(("/", "#")):
        return href
    path, _, anchor = href.partition("#")
    anchor = f"#{anchor}" if anchor else ""
    target = (served[mount] / path).resolve()
    for slug, (m, name, _title, _what) in RULES.items():
        if m in served and target == (served[m] / name).resolve():
            return f"/rules/{slug}{anchor}"
    for m, folder in served.items():
        folder = folder.resolve()
        if target.is_file() and folder in target.parents:
            return f"/{m}/{posixpath.join(*target.relative_to(folder).parts)}"
    return None


def render(text: str, mount: str, served: dict[str, Path]) -> str:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(text)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and i + 1 < len(tokens):
            token.attrSet("id", slug_of(tokens[i + 1].content))
        for child in token.children or []:
            if child.type == "link_open":
                target = link_target(str(child.attrGet("href") or ""), mount, served)
                if target is None:
                    child.type, child.tag = "span_open", "span"
                    child.attrs = {"class": "hub-unlinked"}
                else:
                    child.attrSet("href", target)
        _retag_unlinked_closers(token)
    return md.renderer.render(tokens, md.options, {})


def _retag_unlinked_closers(token) -> None:
    """A dropped link's closing tag closes a span instead."""
    stack = []
    for child in token.children or []:
        if child.type in ("link_open", "span_open"):
            stack.append(child.type)
        elif child.type == "link_close" and stack:
            if stack.pop() == "span_open":
                child.type, child.tag = "span_close", "span"


@hookimpl
def register_routes():
    return [
        (r"^/rules/?$", rules_index),
        (r"^/rules/(?P<slug>[a-z0-9-]+)$", rule_page),
    ]


async def rules_index(datasette, request):
    from datasette.utils.asgi import Response

    pages = [{"slug": s, "title": r[2], "what": r[3]} for s, r in RULES.items()]
    html = await datasette.render_template("hub_rules_index.html", {"pages": pages}, request=request)
    return Response.html(html)


async def rule_page(datasette, request):
    from datasette.utils.asgi import Response

    slug = request.url_vars["slug"]
    if slug not in RULES:
        raise NotFound(f"No page /rules/{slug}: see /rules for the rules and sources")
    mount, name, title, what = RULES[slug]
    served = mounts(datasette)
    path = served[mount] / name
    body = Markup(render(path.read_text(encoding="utf-8"), mount, served))
    context = {"slug": slug, "title": title, "what": what, "body": body, "source": f"/{mount}/{name}"}
    html = await datasette.render_template("hub_rule.html", context, request=request)
    return Response.html(html)
