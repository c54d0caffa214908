"""The docs point at things that exist: every relative link, every heading anchor, every path.

README.md and every ``docs/**/*.md`` are read as GitHub renders them: a link or image
``[text](target)`` that is not http(s) or mailto must name a file relative to the
markdown file's folder, and its ``#anchor`` must be the GitHub slug of a heading there.
A path written in backticks that looks like one of the repository's (``domain/rules/job.py``,
``projections/views/``) must exist, so the docs follow the files when they move.
Fenced code blocks are examples, not links, and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPO_FOLDERS = ("api/", "domain/", "projections/", "tests/", "bench/", "docs/")
PATH_ENDINGS = (".py", ".md", "/")
EXTERNAL = ("http://", "https://", "mailto:")

_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_LINK_TEXT = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_NOT_IN_SLUG = re.compile(r"[^\w\- ]")


def markdown_files(root: Path = ROOT) -> list[Path]:
    """README.md and every markdown page under docs/."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces → hyphens.

    Letters of any script (Japanese included), digits, ``_`` and ``-`` are kept; link
    markup keeps its text; each space becomes one hyphen (so " / " gives "--").
    """
    text = _LINK_TEXT.sub(r"\1", heading).lower()
    return _NOT_IN_SLUG.sub("", text).replace(" ", "-")


def anchors(markdown: Path) -> set[str]:
    """Every heading anchor of a file; a repeated heading gets ``-1``, ``-2``, … as on GitHub."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for _, line in prose_lines(markdown.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if match is None:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def link_targets(text: str) -> Iterator[tuple[int, str]]:
    """(line number, target) of every link and image in prose, code spans left out."""
    for number, line in prose_lines(text):
        for match in _LINK.finditer(_CODE_SPAN.sub("", line)):
            yield number, match.group(1)


def code_paths(text: str) -> Iterator[tuple[int, str]]:
    """(line number, path) of every code span in prose that looks like a repository path."""
    for number, line in prose_lines(text):
        for match in _CODE_SPAN.finditer(line):
            span = match.group(2).strip()
            if span.startswith(REPO_FOLDERS) and span.endswith(PATH_ENDINGS) and " " not in span:
                yield number, span


def broken_links(markdown: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with the file's relative links, one line per problem."""
    problems = []
    name = _shown(markdown, root)
    for number, target in link_targets(markdown.read_text(encoding="utf-8")):
        if not target or target.startswith(EXTERNAL):
            continue
        path_part, _, anchor = target.partition("#")
        path_part, anchor = unquote(path_part), unquote(anchor)
        if path_part.startswith("/"):
            found = root / path_part.lstrip("/")
        else:
            found = markdown.parent / path_part if path_part else markdown
        if not found.exists():
            problems.append(f"{name}:{number}: {target} — no such file")
        elif anchor and found.suffix == ".md" and anchor not in anchors(found):
            problems.append(f"{name}:{number}: {target} — no heading with anchor #{anchor}")
    return problems


def missing_paths(markdown: Path, root: Path = ROOT) -> list[str]:
    """Repository paths written in backticks that do not exist, one line each."""
    problems = []
    name = _shown(markdown, root)
    for number, path in code_paths(markdown.read_text(encoding="utf-8")):
        exists = any(root.glob(path.rstrip("/"))) if "*" in path else (root / path).exists()
        if not exists:
            problems.append(f"{name}:{number}: `{path}` does not exist")
    return problems


def _shown(markdown: Path, root: Path) -> str:
    return str(markdown.relative_to(root)) if markdown.is_relative_to(root) else str(markdown)


# -- the repository's own docs ------------------------------------------------------------


def test_the_docs_checked_are_the_readme_and_every_page_under_docs() -> None:
    names = {str(p.relative_to(ROOT)) for p in markdown_files()}
    assert {"README.md", "docs/README.md", "docs/architecture.md"} <= names
    assert any(name.startswith("docs/decisions/") for name in names)


@pytest.mark.parametrize("markdown", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_to_a_file_and_heading(markdown: Path) -> None:
    assert broken_links(markdown) == []


@pytest.mark.parametrize("markdown", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_repository_path_written_in_backticks_exists(markdown: Path) -> None:
    assert missing_paths(markdown) == []


# -- the checker itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("個人情報の消去 / Erasure", "個人情報の消去--erasure"),
        ("バックアップと復元 / Backup and restore", "バックアップと復元--backup-and-restore"),
        (
            "一度だけ畳む / How a case is read and written (fold once)",
            "一度だけ畳む--how-a-case-is-read-and-written-fold-once",
        ),
        ("Why the stored schema stays `payload: dict`", "why-the-stored-schema-stays-payload-dict"),
        (
            "「なぜこの日に終わるのか」 / Why does support end on this day?",
            "なぜこの日に終わるのか--why-does-support-end-on-this-day",
        ),
        ("Where is X?", "where-is-x"),
        ("0001. Layout by door, with [links](x.md)", "0001-layout-by-door-with-links"),
    ],
)
def test_heading_anchors_follow_githubs_slug_rules(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_every_anchor_the_docs_link_to_is_a_heading_written_there() -> None:
    readme = anchors(ROOT / "README.md")
    assert {"個人情報の消去--erasure", "バックアップと復元--backup-and-restore"} <= readme
    assert "why-the-stored-schema-stays-payload-dict" in anchors(ROOT / "docs/read-models.md")


def test_a_repeated_heading_gets_a_numbered_anchor(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Notes\n\n## Notes\n\n```\n# Notes\n```\n", encoding="utf-8")
    assert anchors(page) == {"notes", "notes-1"}


def test_a_link_to_a_missing_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "there.md").write_text("# There\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text("[ok](there.md)\n\n[gone](docs/gone.md) ![shot](shots/none.png)\n")
    assert broken_links(page, tmp_path) == [
        "page.md:3: docs/gone.md — no such file",
        "page.md:3: shots/none.png — no such file",
    ]


def test_a_link_to_a_missing_heading_is_reported_and_an_existing_one_is_not(
    tmp_path: Path,
) -> None:
    (tmp_path / "there.md").write_text("# 設定 / Configuration\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md#設定--configuration)\n[bad](there.md#settings)\n[self](#nowhere)\n",
        encoding="utf-8",
    )
    assert broken_links(page, tmp_path) == [
        "page.md:2: there.md#settings — no heading with anchor #settings",
        "page.md:3: #nowhere — no heading with anchor #nowhere",
    ]


def test_external_links_and_links_inside_code_are_not_checked(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<http://x> [site](https://example.org/a.md) [m](mailto:a@b)\n"
        "`[not a link](gone.md)`\n```\n[example](gone.md)\n```\n",
        encoding="utf-8",
    )
    assert broken_links(page, tmp_path) == []


def test_a_backticked_repository_path_that_does_not_exist_is_reported(tmp_path: Path) -> None:
    (tmp_path / "domain" / "rules").mkdir(parents=True)
    (tmp_path / "domain" / "rules" / "job.py").write_text("", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "`domain/rules/job.py`, `domain/rules/`, `domain/rules.py`, `api/web/`, "
        "`var/teichaku.db`, `domain/rules/*.py`\n",
        encoding="utf-8",
    )
    assert missing_paths(page, tmp_path) == [
        "page.md:1: `domain/rules.py` does not exist",
        "page.md:1: `api/web/` does not exist",
    ]
