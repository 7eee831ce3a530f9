#!/usr/bin/env bash
# Install gpusetup on a fresh machine: into the active virtual environment if there is
# one, else into ./.venv (created here). Safe to run again.
#
#   ./install.sh         gpusetup and its runtime dependencies
#   ./install.sh --dev   plus what the tests need (pytest, tensorflow-cpu, selenium, ruff)
#                        and, where apt exists, Chromium and its driver for the demo's
#                        browser test and glibc's message translations; a C compiler
#                        must exist
set -euo pipefail

usage() { sed -n '2,10s/^# \{0,1\}//p' "$0"; }

dev=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")"
python=${PYTHON:-python3}

if ! command -v "$python" >/dev/null 2>&1; then
  echo "install.sh: $python not found. Install Python 3.10 or newer first" \
       "(Debian/Ubuntu: sudo apt install python3 python3-venv)." >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "install.sh: gpusetup needs Python 3.10 or newer; $python is" \
       "$("$python" -c 'import platform; print(platform.python_version())')." >&2
  exit 1
fi

if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
  py="$VIRTUAL_ENV/bin/python"
  echo "install.sh: installing into the active environment $VIRTUAL_ENV"
else
  if [ ! -x .venv/bin/python ]; then
    if ! "$python" -m venv .venv; then
      rm -rf .venv
      echo "install.sh: could not create a virtual environment. On Debian/Ubuntu install" \
           "the venv module: sudo apt install python3-venv" >&2
      exit 1
    fi
  fi
  py=.venv/bin/python
fi

spec="."
if [ "$dev" = 1 ]; then
  spec=".[dev]"
  if ! command -v cc >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
    echo "install.sh: warning: no C compiler (cc/gcc); the tests build a simulated driver" \
         "with it (Debian/Ubuntu: sudo apt install gcc)." >&2
  fi
fi

# the demo's browser test drives Debian's Chromium; without it that one test is skipped
install_browser() {
  if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 &&
     [ -e /usr/share/locale/de/LC_MESSAGES/libc.mo ]; then
    return
  fi
  # and a font with Chinese characters, for the page's Chinese labels; and glibc's message
  # translations, which the triage test of the loader's translated messages reads
  local command="apt-get install -y chromium chromium-driver fonts-wqy-microhei libc-l10n"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install.sh: no apt here: install Chromium and chromedriver for the demo's browser" \
         "test (it is skipped without them)." >&2
  elif [ "$(id -u)" != 0 ]; then
    echo "install.sh: the demo's browser test needs Chromium (and a triage test glibc's" \
         "translations); as root run: apt-get update && $command (those tests are" \
         "skipped without them)." >&2
  else
    echo "install.sh: installing Chromium, chromedriver and a Chinese font (apt) for the" \
         "demo's browser test"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive $command -qq >/dev/null; }; then
      echo "install.sh: warning: apt could not install the browser packages; the" \
           "browser test will be skipped." >&2
    fi
  fi
}
if [ "$dev" = 1 ]; then
  install_browser
fi

"$py" -m pip install --disable-pip-version-check -q -e "$spec"
# precompiled now, so that no run (the doctor on every node) pays for compiling gpusetup
"$py" -m compileall -q gpusetup
echo "install.sh: done. Run: $(dirname "$py")/gpusetup doctor"
