"""Build the tutorial notebooks from their sources in ``notebooks/src/`` and store their outputs.

Each ``src/NN_name.py`` is a plain Python file split into cells by ``# %%`` lines (``# %% [markdown]``
starts a prose cell whose lines are ``# ``-commented Markdown). This script turns each one into
``notebooks/NN_name.ipynb``, runs it top to bottom in a fresh kernel (in a temporary folder, so
files the notebook writes are thrown away) and saves it with its outputs, printing the time taken
and the file size.

    python3 notebooks/build.py              # all notebooks
    python3 notebooks/build.py 03 06        # only those whose name starts with 03 or 06

Edit the source, not the ``.ipynb``. ``tests/test_notebooks.py`` runs the ``.ipynb`` files.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CELL = re.compile(r"^# %%( \[markdown\])?\s*$")
MAX_BYTES = 300_000


def parse(source: str) -> list:
    cells, kind, lines = [], None, []

    def flush():
        text = "\n".join(lines).strip("\n")
        if kind == "markdown":
            text = "\n".join(re.sub(r"^# ?", "", ln) for ln in text.splitlines())
            cells.append(nbformat.v4.new_markdown_cell(text))
        elif kind == "code" and text.strip():
            cells.append(nbformat.v4.new_code_cell(text))

    for line in source.splitlines():
        m = CELL.match(line)
        if m:
            flush()
            kind, lines = ("markdown" if m.group(1) else "code"), []
        elif kind is not None:
            lines.append(line)
    flush()
    return cells


def build(src: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = parse(src.read_text())
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # small matrices: threads only add overhead
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        NotebookClient(nb, kernel_name="python3", timeout=300,
                       resources={"metadata": {"path": tmp}}).execute()
    elapsed = time.monotonic() - start
    for cell in nb.cells:  # keep diffs quiet: no per-run timestamps or ids that change
        cell.metadata.pop("execution", None)
    out = HERE / (src.stem + ".ipynb")
    nbformat.write(nb, out)
    size = out.stat().st_size
    flag = "  <-- too big" if size > MAX_BYTES else ""
    print(f"{out.name:45s} {elapsed:6.1f} s {size / 1000:8.1f} KB{flag}")
    return out


def main(argv: list[str]) -> None:
    sources = sorted((HERE / "src").glob("*.py"))
    if argv:
        sources = [s for s in sources if any(s.stem.startswith(a) for a in argv)]
    for src in sources:
        build(src)


if __name__ == "__main__":
    main(sys.argv[1:])
