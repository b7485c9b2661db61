#!/usr/bin/env bash
# Generates the Swift sources, C header and module map from the built library
# (uniffi library mode) into OUT (default: the package itself).
# usage: generate.sh UNIFFI_BINDGEN LIBRARY SWIFT_DIR [OUT_DIR]
set -euo pipefail
bindgen=$1 lib=$2 pkg=$3 out=${4:-$3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bindgen" generate --library "$lib" --language swift --out-dir "$tmp" --no-format >/dev/null
mkdir -p "$out/Sources/AgoraRtmRest" "$out/Sources/AgoraRtmRestFFI/include"
cp "$tmp/AgoraRtmRest.swift" "$out/Sources/AgoraRtmRest/AgoraRtmRest.swift"
cp "$tmp/AgoraRtmRestFFI.h" "$out/Sources/AgoraRtmRestFFI/include/AgoraRtmRestFFI.h"
# SwiftPM looks for `module.modulemap`; the header sits next to it in include/.
sed 's/"AgoraRtmRestFFI.h"/"AgoraRtmRestFFI.h"/' "$tmp/AgoraRtmRestFFI.modulemap" \
    > "$out/Sources/AgoraRtmRestFFI/include/module.modulemap"
