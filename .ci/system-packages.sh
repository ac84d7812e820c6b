#!/usr/bin/env bash
# Make sure the system packages the tests need are installed (the list: .ci/system-packages).
# As root with apt-get: installs the missing ones. Otherwise: stops at once, printing the command to run.
set -euo pipefail
list="$(dirname "$0")/system-packages"

missing=()
while read -r package command _; do
  case "$package" in ''|'#'*) continue ;; esac
  command -v "$command" >/dev/null 2>&1 || [ -x "/usr/sbin/$command" ] || missing+=("$package")
done < "$list"
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing the system packages the tests need: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  exit 0
fi

echo "The tests need these system packages, which are not installed: ${missing[*]}" >&2
if command -v apt-get >/dev/null 2>&1; then
  echo "Install them, then run make test again:  sudo apt-get install -y ${missing[*]}" >&2
else
  echo "Install them with your system's package manager (Debian names above; see .ci/system-packages), then run make test again." >&2
fi
exit 1
