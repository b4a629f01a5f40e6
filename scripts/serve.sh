#!/usr/bin/env bash
# Install MEXMA Search into .venv (first run only) and start it in embedded mode.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$repo/scripts/install.sh" "$repo/.venv"
exec "$repo/.venv/bin/mexma-search" serve "$@"
