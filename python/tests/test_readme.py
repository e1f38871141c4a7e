"""The Python blocks of python/README.md run verbatim, so the documented quickstart cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_a_quickstart() -> None:
    blocks = python_blocks()
    assert blocks, f"no ```python block in {README}"
    assert any("PolicyContext" in b for b in blocks)


def test_readme_blocks_run() -> None:
    for block in python_blocks():
        exec(compile(block, str(README), "exec"), {"__name__": "readme"})


def test_top_level_readme_python_blocks_compile() -> None:
    """The repository README's Python snippets read files of the reader's machine; they must at least compile."""
    top = README.parents[1] / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", top.read_text(), flags=re.S)
    assert blocks, f"no ```python block in {top}"
    for block in blocks:
        compile(block, str(top), "exec")
