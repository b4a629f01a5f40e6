#!/usr/bin/env bash
# Create (or reuse) a virtual environment and install MEXMA Search into it.
#   scripts/install.sh VENV_DIR [--fresh] [--dev]
# --fresh deletes VENV_DIR first; --dev adds the test and lint tools.
# torch is pinned by constraints.txt (a CPU build here); for a GPU, see README "GPU".
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:?usage: scripts/install.sh VENV_DIR [--fresh] [--dev]}"
shift
fresh=0
extras=""
for arg in "$@"; do
  case "$arg" in
    --fresh) fresh=1 ;;
    --dev) extras="[dev]" ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "MEXMA Search needs Python 3.11 or newer; $python is $("$python" --version 2>&1)" >&2
  exit 1
fi

if [[ $fresh == 1 ]]; then
  rm -rf "$venv"
fi
stamp="$venv/.mexma-installed$extras"
if [[ -f "$stamp" && "$stamp" -nt "$repo/pyproject.toml" && "$stamp" -nt "$repo/constraints.txt" ]]; then
  exit 0
fi
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -c "$repo/constraints.txt" -e "$repo$extras"
touch "$stamp"
