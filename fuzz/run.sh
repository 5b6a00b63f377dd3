#!/usr/bin/env bash
# Runs every fuzz target of tabletls for DURATION each, one after the other:
# every Fuzz* function in ./fuzz (the generated codec targets and the
# hand-written ones), in ./tls (FuzzInnerPlaintext and the package's
# own), in ./internal/wire (FuzzCodecClientHello, FuzzCodecServerMessages)
# and in ./internal/tlsserver (FuzzHostileServer). Targets are found with `go test -list`, so new ones are picked up
# without editing this script.
#
#   fuzz/run.sh [DURATION]        DURATION as for go test -fuzztime (30s, 1m, 10000x); default 30s
#
# Environment:
#   FUZZ_PKGS      packages to take targets from (default "./fuzz ./tls ./internal/wire ./internal/tlsserver")
#   FUZZ_MATCH     only targets whose name matches this extended regexp
#   FUZZ_JOBS      targets run at the same time (default 1)
#   FUZZ_PARALLEL  fuzzing processes per target (go test -parallel; default GOMAXPROCS)
#   FUZZ_MINIMIZETIME  time to minimize each new interesting input (default 5s;
#                  Go's 60s can take a short run's whole budget on a large seed)
#
# Exits 1 if any target fails: a crasher is then in
# <package>/testdata/fuzz/<Target>/, where `go test` runs it from then on
# as a regression test. Commit it with the fix.
set -euo pipefail

cd "$(dirname "$0")/.."
duration=${1:-30s}
pkgs=${FUZZ_PKGS:-./fuzz ./tls ./internal/wire ./internal/tlsserver}
jobs=${FUZZ_JOBS:-1}
match=${FUZZ_MATCH:-.}
go=${GO:-go}

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# run PKG TARGET: fuzz one target, log in $logs, one summary line on stdout.
run() {
	local pkg=$1 target=$2 log="$logs/${1//\//_}.$2.log" args=(-fuzzminimizetime "${FUZZ_MINIMIZETIME:-5s}")
	local corpus="${pkg#./}/testdata/fuzz/$target" before after status=ok
	[[ -n ${FUZZ_PARALLEL:-} ]] && args+=(-parallel "$FUZZ_PARALLEL")
	before=$(ls "$corpus" 2>/dev/null || true)
	"$go" test -run '^$' -fuzz "^${target}\$" -fuzztime "$duration" "${args[@]}" "$pkg" >"$log" 2>&1 || status=failed
	after=$(ls "$corpus" 2>/dev/null || true)
	# Go 1.26 can fail a target that found nothing with "context deadline
	# exceeded" when -fuzztime runs out under load (golang/go#75804, fixed
	# in Go 1.27): not a finding if no input was written or failed.
	if [[ $status == failed && $before == "$after" ]] && grep -q '^    context deadline exceeded$' "$log" &&
		! grep -q -E 'Failing input written|panic:|--- FAIL: [^ ]*/|build failed' "$log"; then
		status=ok
		echo "# $target: Go's end-of-fuzztime race (golang/go#75804), no failing input" >>"$log"
	fi
	if [[ $status == ok ]]; then
		# The last progress line: "fuzz: elapsed: 3s, execs: 28201 (0/sec), new interesting: 10 (total: 13)".
		awk -v t="$target" '
			/^fuzz: elapsed:/ { line = $0 }
			END {
				if (match(line, /elapsed: [0-9hms]+/)) {
					e = substr(line, RSTART + 9, RLENGTH - 9)
					while (match(e, /^[0-9]+[hms]/)) {
						v = substr(e, 1, RLENGTH - 1) + 0; u = substr(e, RLENGTH, 1)
						s += u == "h" ? v * 3600 : u == "m" ? v * 60 : v
						e = substr(e, RLENGTH + 1)
					}
				}
				if (match(line, /execs: [0-9]+/)) n = substr(line, RSTART + 7, RLENGTH - 7) + 0
				if (match(line, /new interesting: [0-9]+ \(total: [0-9]+\)/)) ni = substr(line, RSTART, RLENGTH)
				printf "ok    %-42s %10d execs %8d/sec  %s\n", t, n, (s > 0 ? n / s : n), ni
			}' "$log"
		grep '^# ' "$log" || true
	else
		echo "FAIL  $pkg $target"
		sed 's/^/      /' "$log"
		touch "$logs/failed"
	fi
}

for pkg in $pkgs; do
	targets=$("$go" test -list '^Fuzz' "$pkg" | grep -E '^Fuzz' | grep -E -- "$match" || true)
	for target in $targets; do
		if ((jobs > 1)); then
			while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
			run "$pkg" "$target" &
		else
			run "$pkg" "$target"
		fi
	done
done
wait

if [[ -e $logs/failed ]]; then
	echo "fuzz: some targets failed; crashers are in the packages' testdata/fuzz/<Target>/ (see git status)" >&2
	exit 1
fi
