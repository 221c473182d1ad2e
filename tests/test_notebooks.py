"""Execute every notebook in ``notebooks/`` top to bottom; a cell that raises fails the test.

Each notebook runs in a fresh ``python3`` kernel (jupyter_client falls back to the current
interpreter's ipykernel when no kernelspec is installed) with the repository root on
``PYTHONPATH``, so the notebooks also run from an uninstalled checkout. The executed copy is
discarded: the committed outputs are refreshed with ``python3 notebooks/build.py``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
TIMEOUT_PER_CELL = 120  # seconds; each notebook is meant to finish in well under a minute
TIMEOUT_PER_NOTEBOOK = 180
BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 7, f"expected the seven tutorial notebooks in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    nb = nbformat.read(path, as_version=4)
    pythonpath = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + (os.pathsep + pythonpath if pythonpath else ""))
    for var in BLAS_THREAD_VARS:  # one BLAS thread per kernel: pytest -n 2 already fills the cores,
        monkeypatch.setenv(var, os.environ.get(var, "1"))  # and BLAS threads without a core spin
    monkeypatch.setenv("HYPOTHESIS_PROFILE", os.environ.get("HYPOTHESIS_PROFILE", "ci"))
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=TIMEOUT_PER_CELL,
        resources={"metadata": {"path": str(tmp_path)}},  # files a notebook writes land here
    )
    start = time.monotonic()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:  # names the cell and the traceback
        pytest.fail(f"{path.name}: a cell raised\n{err}", pytrace=False)
    elapsed = time.monotonic() - start
    assert elapsed < TIMEOUT_PER_NOTEBOOK, f"{path.name} took {elapsed:.0f} s"
