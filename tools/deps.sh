#!/usr/bin/env bash
# Installs the Debian packages cutover needs to build, test and benchmark,
# only those missing, without questions. Run by `make deps`.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libsqlite3-dev libpq-dev libfyaml-dev libxxhash-dev libzstd-dev
  libutf8proc-dev libmicrohttpd-dev libcmocka-dev
  sqlite3 jq bc time zstd curl
  zsh                           # tests/cli: the zsh completion is tried in a real zsh
  chromium                      # tests/e2e/test_report.sh renders the report headless
  python3                       # tests/e2e/browser.py drives chromium (standard library only)
  postgresql postgresql-client pgloader
  clang                         # make fuzz: the harnesses of tests/fuzz under libFuzzer
  libmariadb-dev mariadb-server  # the MySQL/MariaDB backend; tests/e2e/mysql.sh starts a throwaway server
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    sudo="sudo"
  else
    echo "deps: missing packages (${missing[*]}) and not root; install them and try again" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
