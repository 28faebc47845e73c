"""The layout the design promises: each function (the agents and the API) a package of its own,
importing no other; the offline stack laid out like moto, one package per emulated service; the
CLI one module per command, its defaults the stack's; and no Python module over 400 lines."""

import ast
import os
from dataclasses import fields
from pathlib import Path

import pytest

from brain_core.config import FUNCTIONS

REPO_ROOT = Path(__file__).resolve().parents[2]
AGENTS_DIR = REPO_ROOT / "agents"
BRAIN_LOCAL = REPO_ROOT / "brain_local"

MAX_MODULE_LINES = 400
#: Not the project's Python: installed packages, build output, caches, the benchmark's results.
NOT_SOURCE = {"node_modules", "cdk.out", "build", "dist", "__pycache__", "results"}

#: One package per emulated AWS service, and the parts that are not services.
SERVICES = {
    "dynamodb",
    "awslambda",
    "stepfunctions",
    "bedrock",
    "pipe",
    "cognito",
    "httpapi",
    "events",
    "frontdoor",
    "iam",
}
OTHER_PACKAGES = {"models", "clients", "stack", "cli", "chaos"}
#: The only modules at brain_local's top: every departure from moto, in one place.
TOP_MODULES = {"__init__.py", "moto_departures.py"}
#: What no emulated service may import: the stack assembles services, not the other way round.
ABOVE_THE_SERVICES = ("brain_local.stack", "brain_local.cli", "brain_local.clients")

CLI_COMMANDS = ("up", "send", "chat", "user", "runs", "chaos", "demo")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def python_modules_outside_tests() -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(REPO_ROOT):
        here = Path(folder)
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".") and d not in NOT_SOURCE and not (here == REPO_ROOT and d == "tests")
        ]
        found.extend(here / f for f in files if f.endswith(".py"))
    return sorted(found)


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


def test_no_python_module_outside_tests_is_over_400_lines():
    modules = python_modules_outside_tests()
    assert REPO_ROOT / "brain_local" / "stack" / "lifecycle.py" in modules  # the walk does reach the code
    too_long = {
        str(path.relative_to(REPO_ROOT)): n
        for path in modules
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}, f"over {MAX_MODULE_LINES} lines (split them by job): {too_long}"


def test_the_offline_stack_is_one_package_per_service():
    packages = {p.name for p in BRAIN_LOCAL.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert packages == SERVICES | OTHER_PACKAGES
    modules = {p.name for p in BRAIN_LOCAL.iterdir() if p.is_file() and p.suffix == ".py"}
    assert modules == TOP_MODULES, "a module at brain_local's top belongs in the package of its service or role"
    for package in packages:
        assert ast.get_docstring(ast.parse((BRAIN_LOCAL / package / "__init__.py").read_text())), package


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_no_emulated_service_imports_the_stack_the_cli_or_the_clients(service):
    for path in (BRAIN_LOCAL / service).glob("*.py"):
        above = {m for m in imported_modules(path) if m.startswith(ABOVE_THE_SERVICES)}
        assert above == set(), f"{path.relative_to(REPO_ROOT)} imports {above}"


def test_the_cli_is_a_package_with_one_module_per_command():
    from brain_local.cli import build_parser

    parser = build_parser()
    [commands] = [a for a in parser._actions if a.dest == "command"]
    assert tuple(commands.choices) == CLI_COMMANDS
    doc = (BRAIN_LOCAL / "cli" / "__init__.py").read_text()
    for command in CLI_COMMANDS:
        assert (BRAIN_LOCAL / "cli" / f"{command}.py").is_file(), command
        assert f"brain {command}" in ast.get_docstring(ast.parse(doc)), f"the CLI's docstring does not list {command}"


def test_the_clis_defaults_are_the_offline_stacks(monkeypatch):
    from brain_local.cli import build_parser
    from brain_local.cli.options import stack_options
    from brain_local.stack.options import OfflineStackOptions

    for name in [n for n in os.environ if n.startswith("BRAIN_")]:
        monkeypatch.delenv(name)
    options = stack_options(build_parser().parse_args(["up"]))
    defaults = OfflineStackOptions()
    for f in fields(OfflineStackOptions):
        assert getattr(options, f.name) == getattr(defaults, f.name), f"brain up's default {f.name} is not the stack's"
