#!/usr/bin/env bash
# Build a fresh virtual environment from the repo's own files, then lint, type-check and run
# every test.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv-test"
"$repo/scripts/install.sh" "$venv" --fresh --dev
# The browser test drives Debian's Chromium (Playwright never downloads a browser here).
if [[ ! -x /usr/bin/chromium && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) ||
    echo "could not install chromium: the browser test will be skipped" >&2
fi
cd "$repo"
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
"$venv/bin/ruff" format --check .
"$venv/bin/ruff" check .
"$venv/bin/mypy"
"$venv/bin/pytest" "$@"
