#!/usr/bin/env bash
# Install the package and run the demo (the README's main-job command).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e ".[demo]"
python3 -m demo "$@"
