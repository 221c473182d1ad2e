#!/usr/bin/env bash
# Install the package with its test extras and run the whole test suite (the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e ".[test]"
# Two pytest workers on a 2-core machine: one BLAS thread each, or OpenBLAS oversubscribes the
# cores and small matmuls become ~100x slower.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
python3 -m pytest -n 2 "$@"
