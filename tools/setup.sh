#!/usr/bin/env bash
# Installs what building, running and testing this project need, and nothing
# more: Debian's bazel-bootstrap (Bazel 4.2.3) and .venv with the pinned
# Python packages of requirements.txt. Safe to run again; when nothing is
# missing it returns in well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v bazel >/dev/null 2>&1; then
  say "installing bazel-bootstrap with apt-get"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq bazel-bootstrap >/dev/null
fi

# The Bazel on PATH must be the one .bazelversion names (4.2.3): newer ones
# (bzlmod on, WORKSPACE off from 8) fail on this workspace. Debian's
# bazel-bootstrap reports "no_version"; its package version says.
bazel_version() {
  local version
  version=$(bazel --version 2>/dev/null | awk '{print $2}')
  if [ "$version" = "no_version" ]; then
    version=$(dpkg-query -W -f='${Version}' bazel-bootstrap 2>/dev/null |
              sed 's/[+~-].*//')
  fi
  echo "${version:-unknown}"
}
need=$(cat .bazelversion)
found=$(bazel_version)
if [ "$found" != "$need" ]; then
  say "found Bazel $found ($(command -v bazel)); this project needs Bazel $need: install Debian's bazel-bootstrap (apt-get install bazel-bootstrap) or use Bazelisk, which reads .bazelversion"
  exit 1
fi

# .venv is (re)built when missing or when requirements.txt changed since it
# was last installed; the stamp records which requirements it holds.
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python3 ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python=${PYTHON:-python3}
  if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    say "requirements.txt is pinned for Python 3.11; $python is $("$python" --version 2>&1)."
    say "Set PYTHON=/path/to/python3.11 and run again."
    exit 1
  fi
  say "creating .venv and installing requirements.txt (a few minutes, once)"
  "$python" -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
fi
