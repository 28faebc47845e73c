"""The layout the design promises: each function (the agents and the API) a package of its own,
importing no other."""

import ast
from pathlib import Path

from brain_core.config import FUNCTIONS

AGENTS_DIR = Path(__file__).resolve().parents[2] / "agents"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_every_agent_has_a_thin_handler_with_a_main():
    for agent in FUNCTIONS:
        handler = AGENTS_DIR / agent / "handler.py"
        assert handler.exists(), agent
        functions = [n.name for n in ast.parse(handler.read_text()).body if isinstance(n, ast.FunctionDef)]
        assert functions == ["main"], f"{agent}: logic belongs in its own modules, not the handler"


def test_no_agent_imports_another_agent():
    for agent in FUNCTIONS:
        for path in (AGENTS_DIR / agent).glob("*.py"):
            others = {m for m in imported_modules(path) if m.startswith("agents.")}
            assert others == set(), f"{path.relative_to(AGENTS_DIR)} imports {others}"
