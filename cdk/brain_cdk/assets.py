"""Each function's deployment package, staged locally at synth time (no Docker).

Lambda imports the handler as ``agents.<agent>.handler.main`` (``Settings.handler``), so an
asset keeps the repository's relative paths at its root::

    agents/__init__.py
    agents/<agent>/...
    brain_core/...
    <packages from FUNCTION_PACKAGES[agent]>/...   (copied from the installed distribution)

boto3 comes with the Lambda runtime and Powertools (with aws-xray-sdk) with the AWS-managed
layer, so neither is bundled: each package stays far below the 1 MiB budget of docs/design.md §6.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import re
import shutil
import tempfile
from pathlib import Path

from brain_core.config import FUNCTION_PACKAGES

REPO_ROOT = Path(__file__).resolve().parents[2]

#: What the Lambda Python runtime and the Powertools layer already provide: a package listed in
#: FUNCTION_PACKAGES may depend on these without bundling them.
PROVIDED_AT_RUN_TIME = frozenset(
    {
        "boto3",
        "botocore",
        "s3transfer",
        "jmespath",
        "urllib3",
        "python-dateutil",
        "six",
        "aws-lambda-powertools",
        "aws-xray-sdk",
        "wrapt",
        "typing-extensions",
    }
)

#: Never shipped: byte code is rebuilt for the runtime's Python; native code built for this
#: machine would not load on Lambda, so it is refused.
_IGNORED_DIRS = {"__pycache__"}
_IGNORED_SUFFIXES = (".pyc", ".pyo", ".pyi")  # .pyi: type stubs, never imported
_NATIVE_SUFFIXES = (".so", ".pyd", ".dylib")

#: Staging directories live until the process ends: CDK copies them into the cloud assembly.
_STAGING_ROOT: Path | None = None


class AssetError(RuntimeError):
    """A function's package cannot be built as configured."""


def _staging_root() -> Path:
    global _STAGING_ROOT
    if _STAGING_ROOT is None:
        _STAGING_ROOT = Path(tempfile.mkdtemp(prefix="brain-cdk-assets-"))
        atexit.register(shutil.rmtree, _STAGING_ROOT, True)
    return _STAGING_ROOT


def _ignore(_directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n in _IGNORED_DIRS or n.endswith(_IGNORED_SUFFIXES)}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _copy_distribution(name: str, dest: Path, bundled: set[str]) -> None:
    """Copy an installed distribution's importable files (and its licence metadata) into dest."""
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError as exc:
        raise AssetError(f"{name} is listed in FUNCTION_PACKAGES but is not installed here") from exc

    for requirement in dist.requires or ():
        if "extra ==" in requirement:
            continue  # optional extras are not installed by default either
        required = _normalise(re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0])
        if required not in bundled and required not in PROVIDED_AT_RUN_TIME:
            raise AssetError(f"{name} needs {required}: add it to FUNCTION_PACKAGES too")

    copied = 0
    for file in dist.files or ():
        parts = Path(file).parts
        if parts[0] == ".." or any(p in _IGNORED_DIRS for p in parts) or file.name.endswith(_IGNORED_SUFFIXES):
            continue  # scripts outside site-packages, byte code
        if file.name.endswith(_NATIVE_SUFFIXES):
            raise AssetError(f"{name} ships native code ({file}); only pure-Python packages can be copied")
        if parts[0].endswith(".dist-info") and file.name not in ("METADATA", "LICENSE", "LICENSE.txt", "top_level.txt"):
            continue  # keep the licence and metadata, drop installer bookkeeping
        source = Path(str(dist.locate_file(file)))
        if not source.is_file():
            continue
        target = dest / file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        copied += 1
    if copied == 0:
        raise AssetError(f"{name}: no files found in the installed distribution")


def stage_function_package(agent: str, dest: Path | None = None) -> Path:
    """Build the deployment package of ``agent`` as a directory and return its path."""
    source = REPO_ROOT / "agents" / agent
    if not (source / "handler.py").is_file():
        raise AssetError(f"agents/{agent}/handler.py not found")
    dest = dest or _staging_root() / agent
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "agents").mkdir(parents=True)
    shutil.copyfile(REPO_ROOT / "agents" / "__init__.py", dest / "agents" / "__init__.py")
    shutil.copytree(source, dest / "agents" / agent, ignore=_ignore)
    shutil.copytree(REPO_ROOT / "brain_core", dest / "brain_core", ignore=_ignore)
    packages = FUNCTION_PACKAGES.get(agent, ())
    bundled = {_normalise(p) for p in packages}
    for package in packages:
        _copy_distribution(package, dest, bundled)
    return dest


def function_code(agent: str):
    """The Lambda code of ``agent``: a directory asset, hashed by content so unchanged code
    does not redeploy. (aws_cdk is imported here, so the staging above serves `make bench`
    without starting CDK's jsii runtime.)"""
    from aws_cdk import aws_lambda as lambda_

    return lambda_.Code.from_asset(str(stage_function_package(agent)))


def directory_size(path: Path) -> int:
    """Bytes of all files under ``path`` (what the 1 MiB budget counts, before zipping)."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
