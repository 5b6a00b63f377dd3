#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for tabletls (see fuzz/README.md).
# It runs in the base-builder-go image, which provides $SRC, $OUT and
# compile_native_go_fuzzer, and builds every Fuzz* target of package fuzz
# (and, when they build, of package tls) as a libFuzzer binary named after
# the target: FuzzClientHello -> $OUT/fuzz_client_hello. The targets are
# listed at build time, so new ones need no change here.
#
# compile_native_go_fuzzer finds a target by grepping for "func NAME" on a
# line with "testing.F", and gives up when it finds more than one: so
# FuzzClientHello, a prefix of FuzzClientHelloExtensions, could not be
# built. Each target is therefore built through a wrapper whose name is
# the target's plus "_" (func FuzzClientHello_(f *testing.F) {
# FuzzClientHello(f) }), written into the package for the build only.

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
module=$(go list -m)

# The replacement of package testing that go-118-fuzz-build links in.
go install github.com/AdamKorcz/go-118-fuzz-build@latest
go get github.com/AdamKorcz/go-118-fuzz-build/testing

# The seed corpus (fuzz/testdata/fuzz), checked and turned into libFuzzer
# inputs by TestSeedCorpus; zipped below as $OUT/<fuzzer>_seed_corpus.zip.
seeds=$(mktemp -d)
go test ./fuzz -run '^TestSeedCorpus$' -args -libfuzzer-seeds "$seeds"

# snake FuzzTLSPlaintext -> fuzz_tls_plaintext
snake() {
	echo "$1" | sed -E 's/([A-Z]+)([A-Z][a-z])/\1_\2/g; s/([a-z0-9])([A-Z])/\1_\2/g' | tr 'A-Z' 'a-z'
}

# build PKG REQUIRED: build every target of ./PKG. If REQUIRED is "no", a
# target that does not build is reported and skipped.
build() {
	local pkg=$1 required=$2 name wrappers targets
	# -tags libfuzzer: the files only `go test` needs (the seed corpus
	# builder) are left out, as in the real build.
	targets=$(go test -tags libfuzzer -list '^Fuzz' "./$pkg" | grep -E '^Fuzz[A-Za-z0-9]*$' || true)
	name=$(go list -f '{{.Name}}' "./$pkg")
	wrappers="$pkg/zz_ossfuzz_wrappers_test.go"
	{
		echo "package $name"
		echo
		echo 'import "testing"'
		for t in $targets; do
			echo
			echo "func ${t}_(f *testing.F) { ${t}(f) }"
		done
	} >"$wrappers"
	for t in $targets; do
		if ! compile_native_go_fuzzer "$module/$pkg" "${t}_" "$(snake "$t")"; then
			if [[ $required == yes ]]; then
				rm -f "$wrappers"
				exit 1
			fi
			echo "warning: $pkg.$t does not build for libFuzzer; skipped" >&2
			continue
		fi
		if [[ -d $seeds/$t ]]; then
			(cd "$seeds/$t" && zip -q -r "$OUT/$(snake "$t")_seed_corpus.zip" .)
		fi
	done
	rm -f "$wrappers"
}

build fuzz yes
# Package tls mixes its fuzz targets with its other tests, which
# go-118-fuzz-build rewrites too; build what it can.
build tls no
