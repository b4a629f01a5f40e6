#!/usr/bin/env bash
# Build a fresh virtual environment from the repo's own files, then lint, type-check and run
# every test.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv-test"
"$repo/scripts/install.sh" "$venv" --fresh --dev
# The browser test drives Debian's Chromium (Playwright never downloads a browser here); the
# OCR tests run Tesseract with the English and Spanish packs.
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  missing=()
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  [[ -d /usr/share/tesseract-ocr ]] && compgen -G "/usr/share/tesseract-ocr/*/tessdata/spa.traineddata" >/dev/null ||
    missing+=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-spa)
  if (( ${#missing[@]} )); then
    (apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null) ||
      echo "could not install ${missing[*]}: the tests that need them will fail" >&2
  fi
fi
cd "$repo"
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
"$venv/bin/ruff" format --check .
"$venv/bin/ruff" check .
"$venv/bin/mypy"
"$venv/bin/pytest" "$@"
