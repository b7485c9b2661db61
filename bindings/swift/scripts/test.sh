#!/usr/bin/env bash
# Swift checks. usage: test.sh UNIFFI_BINDGEN LIBRARY SWIFT_DIR
# 1. The committed generated sources must equal a fresh generation.
# 2. With `swift` on the PATH: `swift test` (XCTest against the emulator).
#    Without it: a partial check (tree-sitter parse + expected API), said so plainly.
set -euo pipefail
bindgen=$1 lib=$2 pkg=$3
here=$(cd "$(dirname "$0")" && pwd)
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
bash "$here/generate.sh" "$bindgen" "$lib" "$pkg" "$fresh"
for f in Sources/AgoraRtmRest/AgoraRtmRest.swift Sources/AgoraRtmRestFFI/include/AgoraRtmRestFFI.h Sources/AgoraRtmRestFFI/include/module.modulemap; do
    if ! cmp -s "$fresh/$f" "$pkg/$f"; then
        echo "test-swift: $pkg/$f differs from a fresh generation: run 'make swift-generate'" >&2
        exit 1
    fi
done
echo "test-swift: generated Swift sources match a fresh generation"

if command -v swift >/dev/null 2>&1; then
    (cd "$pkg" && swift test)
    exit 0
fi

venv=${SWIFT_CHECK_VENV:-${TMPDIR:-/tmp}/agora-rtm-swift-check-venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import tree_sitter, tree_sitter_swift' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "tree-sitter==0.26.1" "tree-sitter-swift==0.7.4"
fi
"$venv/bin/python" "$here/check_swift.py" "$pkg"
echo "swift test: NOT RUN (no Swift toolchain on this machine); only the partial check above ran"
