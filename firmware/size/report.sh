#!/usr/bin/env bash
# make firmware-size: flash and RAM of the footprint programs built with
# TinyGo for a Cortex-M4, run under QEMU (mps2-an386) for their heap, and
# the gc toolchain's allocations per handshake. Finds TinyGo in $TINYGO (the
# binary), else through .ci/install-tinygo, which builds it once (minutes)
# and caches it.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -z "${TINYGO:-}" ]; then
	if dir=$(.ci/install-tinygo | tail -1) && [ -x "$dir/tinygo" ]; then
		TINYGO=$dir/tinygo
	else
		echo "firmware-size: TinyGo is missing: set TINYGO to the tinygo binary, or run .ci/install-tinygo (as root, on Debian)" >&2
		exit 1
	fi
fi
# TinyGo 0.40 drives Go 1.25 (it refuses 1.26).
PATH=$(GOTOOLCHAIN=go1.25.5 go env GOROOT)/bin:$PATH
export PATH GOTOOLCHAIN=local

work=$(mktemp -d)
# TinyGo's work directories (build keeps them for relinking) go too.
trap 'cat "$work"/*.work 2>/dev/null | xargs -r rm -rf; rm -rf "$work"' EXIT
LLD=$(command -v ld.lld-19 || command -v ld.lld || true)
[ -n "$LLD" ] || { echo "firmware-size: ld.lld-19 is missing (.ci/install-tinygo installs lld-19)" >&2; exit 1; }
qemu=$(command -v qemu-system-arm || true)
[ -n "$qemu" ] || { echo "firmware-size: qemu-system-arm is missing (.ci/install-tinygo installs it)" >&2; exit 1; }

# Stacks: the system stack at the bottom of RAM (the scheduler's and the
# interrupts') and main's goroutine stack, on the heap. These are the least
# the pinned programs run with (a 2 KiB goroutine stack faults).
STACK=1024 GSTACK=3072
# The firmware's own QEMU target and linker script (which puts Go's P-256
# table in flash), with the precise GC.
sed "s#@LINKERSCRIPT@#$work/ram.ld#; s#\"gc\": \"conservative\"#\"gc\": \"precise\"#; s#\"default-stack-size\": *[0-9]*#\"default-stack-size\": $GSTACK#" firmware/targets/mps2-an386.json >"$work/cm4.json"
grep -q '"gc": "precise"' "$work/cm4.json" || { echo "firmware-size: could not select the precise GC" >&2; exit 1; }
script() { sed "s/@RAM@/$1/; s/@STACK@/$STACK/" firmware/targets/mps2.ld.in; }

# The programs replay the servers' side of their handshakes from recorded/;
# a change to the client's ClientHello makes those stale.
if ! go test ./firmware/size -run TestCommittedRecordings >/dev/null; then
	echo "== the recordings are stale: recording the servers' side of the handshakes anew (go test -update)"
	go test ./firmware/size -run TestRecordings -update >/dev/null
fi

# build P: TinyGo builds ./firmware/size/P with 4 MiB of RAM, keeping its
# objects and link command so that link P RAM can relink it for another RAM
# size in a second (the same ld.lld TinyGo runs; the output is the same).
build() {
	script 4194304 >"$work/ram.ld"
	"$TINYGO" build -x -work -no-debug -target "$work/cm4.json" -size short -o "$work/$1.elf" "./firmware/size/$1" >"$work/$1.size" 2>"$work/$1.x" ||
		{ cat "$work/$1.x" >&2; return 1; }
	sed -n 's/^WORK=//p' "$work/$1.size" "$work/$1.x" | head -1 >"$work/$1.work"
	grep '^ld.lld ' "$work/$1.x" | tail -1 | sed 's/^ld.lld //' >"$work/$1.link"
}
link() {
	local tmp
	tmp=$(cat "$work/$1.work")
	script "$2" >"$work/$1-$2.ld"
	# shellcheck disable=SC2046 # the recorded command line, split as TinyGo ran it
	"$LLD" $(sed "s# -T [^ ]*# -T $work/$1-$2.ld#; s# -o $tmp/main# -o $work/$1-$2.elf#" "$work/$1.link") 2>/dev/null
}
# run ELF: its console (the runtime's println goes to lm3s6965's UART,
# which mps2 leaves unimplemented: QEMU's -d unimp log of those writes has
# it), without println's carriage returns.
run() {
	timeout 300 "$qemu" -machine mps2-an386 -cpu cortex-m4 -semihosting -nographic -d unimp -D "$1.log" -kernel "$1" >/dev/null 2>&1 || true
	sed -n 's/.*offset 0xc000, value 0x\([0-9a-f]*\)).*/\1/p' "$1.log" | while read -r h; do printf "\\x$h"; done | tr -d '\r'
}
# runs P RAM: whether P, linked for RAM octets, runs to "P ok".
runs() { link "$1" "$2" && [ "$(run "$work/$1-$2.elf" | head -1)" = "$1 ok" ]; }
# least P LO: the least RAM, to 256 octets, that P runs in (more than LO).
least() {
	local lo=$2 hi=$((($2 + 65536) / 256 * 256)) mid
	until runs "$1" "$hi"; do
		lo=$hi hi=$((hi * 2))
		[ "$hi" -le 4194304 ] || { echo -; return; }
	done
	while [ $((hi - lo)) -gt 256 ]; do
		mid=$(((lo + hi) / 2 / 256 * 256))
		[ "$mid" -gt "$lo" ] || mid=$((lo + 256))
		if runs "$1" "$mid"; then hi=$mid; else lo=$mid; fi
	done
	echo "$hi"
}

printf '\n%-12s %9s %14s %10s %10s %10s %11s %8s  %s\n' program flash text+data static-RAM least-RAM heap+stack heap-total mallocs result
for p in ${PROGS:-primitives pinned pinned512 full}; do
	build "$p"
	read -r code data bss _ flash ram <<<"$(tail -1 "$work/$p.size")"
	out=$(run "$work/$p.elf")
	result=$(printf '%s\n' "$out" | head -1)
	total=$(printf '%s\n' "$out" | sed -n 's/.*heap-total \([0-9]*\).*/\1/p')
	mallocs=$(printf '%s\n' "$out" | sed -n 's/.*mallocs \([0-9]*\).*/\1/p')
	need=- heap=-
	[ "$result" = "$p ok" ] && need=$(least "$p" "$ram")
	[ "$need" != - ] && heap=$((need - ram))
	printf '%-12s %9s %14s %10s %10s %10s %11s %8s  %s\n' "$p" "$flash" "$code+$data" "$ram" "$need" "$heap" "${total:--}" "${mallocs:--}" "$result"
	rm -rf "$(cat "$work/$p.work")"
done
echo
echo "flash = text + data (data is copied to RAM at boot); static RAM = data + bss, with the programs' buffers and"
echo "a $STACK-octet system stack; least RAM = the least RAM (to 256 octets) the program runs in under QEMU, found by"
echo "relinking it for smaller RAM: static RAM, the heap with main's $GSTACK-octet goroutine stack, and what the GC needs;"
echo "heap+stack = least RAM - static RAM: the heap at its worst moment with main's goroutine stack;"
echo "heap-total, mallocs = all it allocated (one handshake and a request/response)."

echo
echo "== gc toolchain ($(go version | cut -d' ' -f3)): allocations per handshake and request/response, caller-owned buffers, no network"
go test ./firmware/size -run '^$' -bench HandshakeReplay -benchmem -benchtime 200x | grep -E '^Benchmark'
