#!/usr/bin/env bash
# Cross-checks our tokens against Agora's official token builders, both ways:
#   - PyPI agoraiotools (AccessToken2 007 + legacy AccessToken 006 builders, 007 parser)
#   - npm agora-token   (same, plus AccessToken2.verifySignature and RTM2 permissions)
# Their tokens must inspect and verify with `agora-rtm token inspect`; ours must
# decode with their parsers (and verify, where they can) and equal, string for
# string, what their builders produce from the same issue time and salt.
#
# Usage: AGORA_RTM_BIN=/path/to/agora-rtm tests/interop/run.sh
#   INTEROP_N=50      random inputs per language (default 50)
#   INTEROP_SEED=123  reproduce a run (printed at the start of every run)
# Needs python3 (with venv), node + npm, and access to PyPI and the npm registry.
# Everything it installs goes under tests/interop/.work/ (gitignored).
set -euo pipefail

AGORAIOTOOLS_VERSION="0.3.4"
AGORA_TOKEN_VERSION="2.0.6"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$here/.work"

if [[ -z "${AGORA_RTM_BIN:-}" ]]; then
  for candidate in "$repo/target/x86_64-unknown-linux-gnu/debug/agora-rtm" "$repo/target/debug/agora-rtm"; do
    if [[ -x "$candidate" ]]; then AGORA_RTM_BIN="$candidate"; break; fi
  done
fi
if [[ -z "${AGORA_RTM_BIN:-}" || ! -x "$AGORA_RTM_BIN" ]]; then
  echo "interop: set AGORA_RTM_BIN to the agora-rtm binary (cargo build -p agora-rtm-rest-cli)" >&2
  exit 2
fi
export AGORA_RTM_BIN

export INTEROP_N="${INTEROP_N:-50}"
export INTEROP_SEED="${INTEROP_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
echo "interop: seed=$INTEROP_SEED n=$INTEROP_N bin=$AGORA_RTM_BIN (reproduce with INTEROP_SEED=$INTEROP_SEED INTEROP_N=$INTEROP_N)"

mkdir -p "$work"

# --- Python: agoraiotools pinned, in a venv
if [[ ! -x "$work/venv/bin/python" ]]; then
  python3 -m venv "$work/venv"
fi
if ! "$work/venv/bin/python" -c "import agoraiotools, sys; sys.exit(agoraiotools.__version__ != '$AGORAIOTOOLS_VERSION')" 2>/dev/null; then
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check "agoraiotools==$AGORAIOTOOLS_VERSION"
fi

# --- Node: agora-token pinned, in its own npm project
mkdir -p "$work/npm"
if [[ ! -f "$work/npm/package.json" ]]; then
  printf '{\n  "name": "agora-rtm-rest-interop",\n  "private": true\n}\n' >"$work/npm/package.json"
fi
installed="$(node -e "try{console.log(require('$work/npm/node_modules/agora-token/package.json').version)}catch(e){}" 2>/dev/null || true)"
if [[ "$installed" != "$AGORA_TOKEN_VERSION" ]]; then
  npm install --prefix "$work/npm" --no-audit --no-fund --silent --save-exact "agora-token@$AGORA_TOKEN_VERSION"
fi
export INTEROP_NPM_DIR="$work/npm"

total_passed=0
total_failed=0
run_one() {
  local name="$1"; shift
  local log="$work/$name.log" rc=0
  "$@" 2>&1 | tee "$log" || rc=$?
  local summary
  summary="$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed$" "$log" | tail -n 1 || true)"
  if [[ -z "$summary" ]]; then
    echo "interop: $name did not finish (exit $rc)" >&2
    total_failed=$((total_failed + 1))
    return
  fi
  local p f
  p="$(sed -E 's/^.*: ([0-9]+) passed, ([0-9]+) failed$/\1/' <<<"$summary")"
  f="$(sed -E 's/^.*: ([0-9]+) passed, ([0-9]+) failed$/\2/' <<<"$summary")"
  if [[ "$rc" -ne 0 && "$f" -eq 0 ]]; then f=1; fi
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
}

run_one python "$work/venv/bin/python" "$here/interop.py"
run_one node node "$here/interop.mjs"

echo "interop: $total_passed passed, $total_failed failed"
[[ "$total_failed" -eq 0 ]]
