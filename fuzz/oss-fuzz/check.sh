#!/usr/bin/env bash
# Checks that every fuzz target builds in the OSS-Fuzz layout, without the
# OSS-Fuzz image: runs .clusterfuzzlite/build.sh (which runs build.sh), with
# FUZZ_STRICT=1, on a copy of the working tree, with stand-ins for what
# base-builder-go provides:
#
#   compile_native_go_fuzzer PKG FUNC NAME
#       as OSS-Fuzz's: finds the one file with "func FUNC" and "testing.F",
#       then go-118-fuzz-build -tags gofuzz -o NAME.a -func FUNC DIR (the
#       tool OSS-Fuzz runs, from the Go module proxy, at the version
#       build.sh installs). Only the libFuzzer link ($CXX ... -o $OUT/NAME)
#       is left out: it needs clang's libFuzzer, and a Go target that
#       compiles to the archive links. The archive goes to $OUT/NAME.
#   $OUT, $SRC; zip (Debian's), for the seed corpora.
#
# go-118-fuzz-build builds with -buildmode=c-archive, so it needs a C
# compiler (gcc). build.sh changes go.mod and the test files while it
# runs, which is why it runs on a copy.
#
#   fuzz/oss-fuzz/check.sh          (make fuzz-build-check)
#   FUZZ_MATCH=regexp fuzz/oss-fuzz/check.sh   only the targets it matches
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/src/tabletls" "$work/out" "$work/bin"
tar --exclude=.git -cf - . | tar -xf - -C "$work/src/tabletls"

cat >"$work/bin/compile_native_go_fuzzer" <<'SH'
#!/bin/bash -eu
path=$1 function=$2 fuzzer=$3
abs_file_dir=$(go list -tags gofuzz -f '{{.Dir}}' "$path")
fuzzer_filename=$(grep -r -l --include='*.go' -s "$function" "$abs_file_dir")
if [ "$(grep -r "func $function" $fuzzer_filename | grep -c "testing.F")" -ne 1 ]; then
	echo "Could not find the function: func ${function}(f *testing.F)"
	exit 0
fi
go-118-fuzz-build -tags gofuzz -o "$fuzzer.a" -func "$function" "$abs_file_dir"
mv "$fuzzer.a" "$OUT/$fuzzer"
SH
chmod +x "$work/bin/compile_native_go_fuzzer"

export SRC=$work/src OUT=$work/out FUZZ_STRICT=1
export PATH=$work/bin:$(go env GOPATH)/bin:$PATH
# The ClusterFuzzLite entry point, from the Dockerfile's WORKDIR.
(cd "$SRC/tabletls" && bash .clusterfuzzlite/build.sh)
n=$(find "$OUT" -maxdepth 1 -name 'fuzz_*' ! -name '*.zip' | wc -l)
want=$(cd "$SRC/tabletls" && for p in ./fuzz ./tls ./internal/wire ./internal/tlsserver; do go test -list '^Fuzz' "$p"; done |
	grep -E '^Fuzz[A-Za-z0-9]*$' | grep -cE "${FUZZ_MATCH:-.}")
echo "fuzz-build-check: $n of $want targets build in the OSS-Fuzz layout"
[[ $n -eq $want ]]
