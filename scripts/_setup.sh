# Shared by scripts/run and scripts/test: a virtual environment with the pinned requirements,
# the system packages Primo needs, and compiled translations. Source it; it sets PY and VENV.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON_BIN="${PYTHON:-$(command -v python3.11 || command -v python3)}"

apt_install() {
  # Install Debian packages that are missing; needs root (or sudo). Quiet unless something fails.
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "Missing system packages: ${missing[*]} (install them as root)" >&2; return 1; fi
  fi
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

make_venv() {
  local requirements="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating the virtual environment in .venv"
    "$PYTHON_BIN" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-$(basename "$requirements")"
  # Reinstall only when a requirements file changed since the last install.
  if [ ! -f "$stamp" ] || [ "$ROOT/requirements.txt" -nt "$stamp" ] || [ "$ROOT/$requirements" -nt "$stamp" ]; then
    echo "Installing $requirements"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/$requirements"
    touch "$stamp"
  fi
  PY="$VENV/bin/python"
}

compile_translations() {
  "$VENV/bin/pybabel" compile -f -d "$ROOT/app/translations" >/dev/null
}
