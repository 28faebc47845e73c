"""The repository carries itself: every link and path its documents name exists in it, and no
tracked file points outside it.

A newcomer who clones only this repository must be able to follow every link of the README, the
docs/ pages, CONTRIBUTING.md and the two READMEs beside the code (cdk/, bench/). Checked here:
markdown links (``[text](target)``, images too) and backticked repository paths (`` `brain_core/config.py` ``)
outside fenced code blocks; web links, anchors, placeholders (``agents/<name>/``) and generated
paths (those .gitignore names: ``.brain/``, ``web/dist/``, ``bench/results/``) are not checked.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
README_MAX_LINES = 200

#: Text that points outside the clone: the design and the first version's review once lived one
#: directory up, in a folder a clone does not have.
OUTSIDE_MARKERS = ("../shared", "shared/DESIGN.md", "shared/seed/", "/work/")

MARKDOWN_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
FENCED_BLOCK = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.S | re.M)
#: A repository path as written in prose: segments of word characters, dots and dashes, with a slash.
PATH_LIKE = re.compile(r"^\.{0,2}/?[\w.-]+(?:/[\w.-]+)*/?$")
PLACEHOLDER = re.compile(r"[<>{}*…]|\.\.\.")


@cache
def tracked_files() -> tuple[str, ...]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    return tuple(name for name in listed.stdout.decode().split("\0") if name)


@cache
def tracked_paths() -> frozenset[str]:
    """Every tracked file and every folder holding one, relative to the root."""
    paths: set[str] = set()
    for name in tracked_files():
        parts = name.split("/")
        paths.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return frozenset(paths)


@cache
def top_level_names() -> frozenset[str]:
    return frozenset(name.split("/")[0] for name in tracked_files())


def documents() -> list[Path]:
    names = [name for name in tracked_files() if name.endswith(".md")]
    wanted = {"README.md", "CONTRIBUTING.md", "cdk/README.md", "bench/README.md"}
    chosen = [name for name in names if name in wanted or (name.startswith("docs/") and name.count("/") == 1)]
    return [ROOT / name for name in sorted(chosen)]


def is_ignored(relative: str) -> bool:
    """Generated paths (.gitignore's) may be named without being tracked."""
    for name in (relative.rstrip("/"), relative.rstrip("/") + "/"):  # a folder pattern needs the slash
        if subprocess.run(["git", "check-ignore", "-q", "--no-index", name], cwd=ROOT).returncode == 0:
            return True
    return False


def inside_repository(target: Path) -> str | None:
    """The path relative to the root, or None when it leaves the repository."""
    try:
        return target.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return None


def prose(text: str) -> str:
    """The document without its fenced code blocks (commands, sample output)."""
    return FENCED_BLOCK.sub("", text)


def link_problems(document: Path) -> list[str]:
    problems = []
    for target in MARKDOWN_LINK.findall(prose(document.read_text())):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # https:, mailto:, an anchor in the same page
        path = target.split("#")[0]
        relative = inside_repository(document.parent / path)
        if relative is None:
            problems.append(f"{target}: leaves the repository")
        elif relative not in tracked_paths() and not is_ignored(relative):
            problems.append(f"{target}: no such tracked file or folder")
    return problems


def backticked_path_problems(document: Path) -> list[str]:
    """Backticked paths: relative to the root (how the docs write them) or to the document."""
    problems = []
    for code in INLINE_CODE.findall(prose(document.read_text())):
        candidate = re.sub(r":\d+$", "", code.strip())  # path:line
        if "/" not in candidate or PLACEHOLDER.search(candidate) or not PATH_LIKE.match(candidate):
            continue
        if candidate.startswith("/"):
            continue  # a URL path or channel (/brain/health), not a file
        first = candidate.lstrip("./").split("/")[0]
        if not candidate.startswith("..") and first not in top_level_names():
            relative_to_document = inside_repository(document.parent / candidate)
            if relative_to_document is None or relative_to_document not in tracked_paths():
                continue  # not a repository path (a model id, a MIME type, a/b prose)
        for base in (ROOT, document.parent):
            relative = inside_repository(base / candidate)
            if relative is not None and (relative in tracked_paths() or is_ignored(relative)):
                break
        else:
            leaves = inside_repository(document.parent / candidate) is None
            problems.append(f"`{code}`: {'leaves the repository' if leaves else 'no such tracked file or folder'}")
    return problems


@pytest.mark.parametrize("document", documents(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_markdown_link_leads_to_a_file_of_the_repository(document):
    assert link_problems(document) == []


@pytest.mark.parametrize("document", documents(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_backticked_path_exists_in_the_repository(document):
    assert backticked_path_problems(document) == []


def files_pointing_outside(names, root: Path = ROOT) -> list[str]:
    found: list[str] = []
    for name in names:
        path = root / name
        if not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue  # images and other binaries
        found.extend(f"{name}: {marker}" for marker in OUTSIDE_MARKERS if marker in text)
    return found


def test_no_document_points_outside_the_repository():
    assert files_pointing_outside(path.relative_to(ROOT).as_posix() for path in documents()) == []


def test_no_tracked_file_points_outside_the_repository():
    this_file = Path(__file__).resolve().relative_to(ROOT).as_posix()  # it names the markers
    assert files_pointing_outside(name for name in tracked_files() if name != this_file) == []


#: The old way the code cited the design: "DESIGN §3", meaning a DESIGN.md outside the clone.
OLD_DESIGN_CITATION = re.compile(r"\bDESIGN(?:\.md)?\s*§")


def files_citing_the_old_design(names) -> list[str]:
    found: list[str] = []
    for name in names:
        path = ROOT / name
        try:
            text = path.read_text() if path.is_file() else ""
        except UnicodeDecodeError:
            continue
        found.extend(f"{name}:{text.count(chr(10), 0, m.start()) + 1}" for m in OLD_DESIGN_CITATION.finditer(text))
    return found


def test_the_code_cites_the_design_in_the_repository():
    """A docstring that says "DESIGN §3" sends the reader to a file the clone does not have; the
    design is docs/design.md, with the same section numbers."""
    this_file = Path(__file__).resolve().relative_to(ROOT).as_posix()
    assert files_citing_the_old_design(name for name in tracked_files() if name != this_file) == []


def test_the_checks_catch_what_they_are_for(tmp_path):
    """A check that cannot fail proves nothing: a broken link, a path that does not exist, one
    that leaves the clone, and a code file naming ../shared are all reported."""
    probe = ROOT / "_probe_not_tracked.md"  # at the root, so ../shared leaves the clone
    probe.write_text(
        "See [the design](../shared/DESIGN.md), [gone](docs/nowhere.md), `brain_core/nowhere.py`,\n"
        "`brain_core/config.py`, [ok](https://example.com), [here](#top) and `/brain/health`.\n"
        "```bash\ncat `brain_core/not_checked_in_a_block.py`\n```\n"
    )
    try:
        links = link_problems(probe)
        paths = backticked_path_problems(probe)
    finally:
        probe.unlink()
    assert links == [
        "../shared/DESIGN.md: leaves the repository",
        "docs/nowhere.md: no such tracked file or folder",
    ]
    assert paths == ["`brain_core/nowhere.py`: no such tracked file or folder"]
    (tmp_path / "module.py").write_text('"""See ../shared/DESIGN.md §3."""\n')
    assert files_pointing_outside(["module.py"], root=tmp_path) == [
        "module.py: ../shared",
        "module.py: shared/DESIGN.md",
    ]
    assert OLD_DESIGN_CITATION.search("the budgets (DESIGN §6)")
    assert not OLD_DESIGN_CITATION.search("the budgets (docs/design.md §6)")


def test_the_readme_is_a_front_page_that_links_every_docs_page():
    text = README.read_text()
    assert len(text.splitlines()) <= README_MAX_LINES, f"README.md has {len(text.splitlines())} lines"
    linked = {target.split("#")[0] for target in MARKDOWN_LINK.findall(prose(text))}
    pages = {name for name in tracked_files() if name.startswith("docs/") and name.endswith(".md")}
    assert pages, "docs/ holds no pages"
    assert sorted(pages - linked) == []
    assert "CONTRIBUTING.md" in linked
