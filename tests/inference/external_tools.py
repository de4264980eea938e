"""External programs the format tests check our files with (xournalpp, rsvg-convert)."""

import os
import shutil

import pytest


def need_tool(name: str, package: str) -> str:
    """The tool's path; skip when missing on a developer machine, fail in CI (no silent skips there)."""
    path = shutil.which(name)
    if path:
        return path
    msg = f"{name} not installed (apt-get install {package})"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(msg + " - CI must install it (.ci/run)")
    pytest.skip(msg)
