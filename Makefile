# tabletls — see README.md. `make test` is what CI runs.
GO          ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
BENCHTIME   ?= 1s

.PHONY: all gen test fuzz fuzz-smoke fuzz-build-check bench lint check-generated demo docs firmware firmware-size

all: gen docs test

# Compile spec/ into internal/wire/zz_generated_*.go (codecs, registries),
# tls/zz_generated_statemachine.go, fuzz/zz_generated_codec_fuzz_test.go
# and docs/client-statemachine.dot.
gen:
	$(GO) generate ./...

# The state diagram, when Graphviz is installed.
docs: docs/client-statemachine.svg
docs/client-statemachine.svg: docs/client-statemachine.dot
	@if command -v dot >/dev/null; then dot -Tsvg $< -o $@; else echo "dot not installed: $@ not rebuilt"; fi

# The README's test command: every test, including the interop tests
# against openssl s_server and the firmware tests under QEMU and node (which
# need TinyGo, QEMU and node: .ci/install-tinygo installs them; without
# them the firmware tests say FIRMWARE TESTS NOT RUN and skip, unless
# TABLETLS_REQUIRE_FIRMWARE=1, as in CI).
test:
	$(GO) test -race -timeout 15m ./...

# Run every fuzz target for FUZZTIME each.
fuzz:
	./fuzz/run.sh $(FUZZTIME)

# A few seconds per fuzz target (CI).
fuzz-smoke:
	./fuzz/run.sh 3s

# Every fuzz target builds as OSS-Fuzz and ClusterFuzzLite build it, with
# go-118-fuzz-build from the Go module proxy (needs gcc and zip).
fuzz-build-check:
	./fuzz/oss-fuzz/check.sh

# The firmware example, built with TinyGo for QEMU's Cortex-M4 and Cortex-M3
# boards and for wasip1, into firmware/bin, with TinyGo's size report.
firmware:
	$(GO) run ./firmware/cmd/build -o firmware/bin

# Every benchmark, then the tabletls-against-crypto/tls ones again in the
# other order (see alternate in tls/bench_test.go).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./tls/...
	TABLETLS_BENCH_REVERSE=1 $(GO) test -run '^$$' -bench 'Handshake|Write16K|Read' -benchmem -benchtime $(BENCHTIME) ./tls

lint:
	@test -z "$$(gofmt -l .)" || (echo "gofmt needed:"; gofmt -l .; exit 1)
	$(GO) vet ./...
	$(STATICCHECK) ./...

# Fails if `go generate` changes anything: generated code is never edited by hand.
check-generated: gen
	@git diff --exit-code -- internal/wire/ tls/ docs/ fuzz/ || (echo "go generate ./... left a diff: commit the regenerated files"; exit 1)

# The README's main job: a demo handshake against an embedded server.
demo:
	$(GO) run ./cmd/tlsclient

# Flash and RAM of the firmware footprint programs (TinyGo, Cortex-M4 under
# QEMU) beside the primitives-only program, and gc allocations per
# handshake. TINYGO=path/to/tinygo, else .ci/install-tinygo finds or builds it.
firmware-size:
	./firmware/size/report.sh
