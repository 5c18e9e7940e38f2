#!/usr/bin/env bash
# Makes results/.venv, the analysis tool's own Python environment (results/requirements.txt),
# so `make report` works whatever python3 comes first on the PATH. Tries python3 on the PATH,
# then Debian's /usr/bin/python3; where neither can make a venv (Debian without python3-venv)
# it installs python3-venv as root, like scripts/deps.sh. Needs PyPI (pip). Prints the path of
# the environment's python on success.
set -u
cd "$(dirname "$0")"
venv=.venv
req=requirements.txt
try() { # PYTHON: a fresh venv with the requirements, or 1
  rm -rf "$venv"
  "$1" -m venv "$venv" >/dev/null 2>&1 || return 1
  echo "report: installing $(grep -v '^#' "$req" | tr '\n' ' ')into results/$venv (pip, once)" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" >&2 || { rm -rf "$venv"; return 2; }
}
for py in python3 /usr/bin/python3; do
  command -v "$py" >/dev/null || continue
  try "$py"; rc=$?
  [ $rc -eq 0 ] && { touch "$venv/.installed"; echo "$PWD/$venv/bin/python"; exit 0; }
  [ $rc -eq 2 ] && { echo "report: pip could not install $req into results/$venv (is PyPI reachable?)" >&2; exit 1; }
done
if [ -x /usr/bin/python3 ] && command -v apt-get >/dev/null; then
  if [ "$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=sudo
  else echo "report: python3 cannot make a virtual environment; run: sudo apt-get install -y python3-venv" >&2; exit 1; fi
  echo "report: installing python3-venv${sudo:+ with sudo}" >&2
  { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv; } \
      >>/tmp/hrkd-deps.log 2>&1 || { echo "report: apt-get install python3-venv failed (/tmp/hrkd-deps.log)" >&2; exit 1; }
  try /usr/bin/python3 && { touch "$venv/.installed"; echo "$PWD/$venv/bin/python"; exit 0; }
fi
echo "report: no python3 here can make a virtual environment (python3 -m venv)" >&2
exit 1
