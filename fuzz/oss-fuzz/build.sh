#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for tabletls (see fuzz/README.md).
# It runs in the base-builder-go image, which provides $SRC, $OUT and
# compile_native_go_fuzzer, and builds every Fuzz* target of package fuzz
# and of packages tls, internal/wire and internal/tlsserver as a libFuzzer binary named after
# the target: FuzzClientHello -> $OUT/fuzz_client_hello, with
# $OUT/fuzz_client_hello_seed_corpus.zip from fuzz/testdata/fuzz. The
# targets are listed at build time, so new ones need no change here.
# FUZZ_MATCH=regexp builds only the targets it matches.
#
# Two things about compile_native_go_fuzzer shape this script and the
# package:
#   - It builds a target from the one test file that declares it, turned
#     into a non-test file that imports go-118-fuzz-build's replacement of
#     package testing. So a target may call only what is in that file or in
#     non-test files, and nothing outside its file may take a *testing.T:
#     package fuzz keeps its checks in non-test files, taking a tb.
#   - It finds the target by grepping for "func NAME" on a line with
#     "testing.F" and gives up when there is more than one such line, which
#     happens whenever NAME is a prefix of another target's name
#     (FuzzCertificate, FuzzCertificateEntry). So each target is built
#     through a wrapper named NAME_ (func FuzzCertificate_(f *testing.F) {
#     FuzzCertificate(f) }), appended to its file for the build only.

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
module=$(go list -m)

# The replacement of package testing that go-118-fuzz-build links in, and
# the tool itself, at a fixed version (the one check.sh checks with).
go118=github.com/AdamKorcz/go-118-fuzz-build@${GO118FUZZBUILD_VERSION:-v0.0.0-20250520111509-a70c2aa677fa}
go install "$go118"
go get "${go118/@//testing@}"

# The seed corpus, checked and turned into libFuzzer inputs by TestSeedCorpus.
seeds=$(mktemp -d)
go test ./fuzz -run '^TestSeedCorpus$' -args -libfuzzer-seeds "$seeds"

# snake FuzzTLSPlaintext -> fuzz_tls_plaintext
snake() {
	echo "$1" | sed -E 's/([A-Z]+)([A-Z][a-z])/\1_\2/g; s/([a-z0-9])([A-Z])/\1_\2/g' | tr 'A-Z' 'a-z'
}

failed=() built=0

# build PKG: build every target of ./PKG; one that does not build is
# reported and skipped.
build() {
	local pkg=$1 targets t file fuzzer
	targets=$(go test -list '^Fuzz' "./$pkg" | grep -E '^Fuzz[A-Za-z0-9]*$' | grep -E "${FUZZ_MATCH:-.}" || true)
	for t in $targets; do
		fuzzer=$(snake "$t")
		file=$(grep -l -E "^func $t\(f \*testing\.F\)" "$pkg"/*_test.go | head -n 1 || true)
		if [[ -n $file ]]; then
			cp "$file" "$file.orig"
			printf '\n// For OSS-Fuzz only (fuzz/oss-fuzz/build.sh).\nfunc %s_(f *testing.F) { %s(f) }\n' "$t" "$t" >>"$file"
			compile_native_go_fuzzer "$module/$pkg" "${t}_" "$fuzzer" || true
			# A failed build leaves go-118-fuzz-build's copy of the file
			# and its main.*.go behind, and the original removed.
			rm -f "${file}_fuzz.go" "${file}_fuzz_.go" main.*.go
			mv "$file.orig" "$file"
		fi
		if [[ ! -e $OUT/$fuzzer ]]; then
			echo "warning: $pkg.$t does not build for libFuzzer" >&2
			failed+=("$pkg.$t")
			continue
		fi
		built=$((built + 1))
		rm -f "$fuzzer.a"
		if [[ -d $seeds/$t ]]; then
			(cd "$seeds/$t" && zip -q -r "$OUT/${fuzzer}_seed_corpus.zip" .)
		fi
	done
}

build fuzz
build tls
build internal/wire
build internal/tlsserver

# A target that does not build does not stop the others from being fuzzed;
# FUZZ_STRICT=1 makes it fail the build.
echo "built $built fuzzers"
if ((${#failed[@]})); then
	echo "not built: ${failed[*]}" >&2
	if ((built == 0)) || [[ ${FUZZ_STRICT:-} == 1 ]]; then
		exit 1
	fi
fi
