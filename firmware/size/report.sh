#!/usr/bin/env bash
# make firmware-size: flash and RAM of the footprint programs built with
# TinyGo for a Cortex-M4, run under QEMU (mps2-an386) for their heap, and
# the gc toolchain's allocations per handshake. Finds TinyGo in $TINYGO (the
# binary), else through .ci/install-tinygo, which builds it once (minutes)
# and caches it.
set -euo pipefail
cd "$(dirname "$0")/../.."
STACK=${STACK:-4096} # system stack, octets; goroutine stacks are default-stack-size, on the heap

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
trap 'rm -rf "$work"' EXIT
# The firmware's own QEMU target and linker script (which puts Go's P-256
# table in flash), with 4 MiB of RAM: the programs measure what they use.
sed "s/@RAM@/4194304/; s/@STACK@/$STACK/" firmware/targets/mps2.ld.in >"$work/mps2.ld"
# The precise GC: with the conservative one, the runtime.GC() the meter
# calls at every step of the pinned profile's connection ends in a bus
# fault (address 0xb80365e3) that the precise one does not have; the full
# profile runs under both.
sed "s#@LINKERSCRIPT@#$work/mps2.ld#; s#\"gc\": \"conservative\"#\"gc\": \"precise\"#" firmware/targets/mps2-an386.json >"$work/cm4.json"
grep -q '"gc": "precise"' "$work/cm4.json" || { echo "firmware-size: could not select the precise GC" >&2; exit 1; }

echo "== recording the servers' side of the handshakes (go test -update)"
go test ./firmware/size -run TestRecordings -update >/dev/null

qemu=$(command -v qemu-system-arm || true)
[ -n "$qemu" ] || echo "firmware-size: qemu-system-arm is missing: heap not measured (.ci/install-tinygo installs it)" >&2

gstack=$(sed -n 's/.*"default-stack-size": *\([0-9]*\).*/\1/p' "$work/cm4.json")
printf '\n%-16s %10s %14s %10s %10s %10s %11s %8s  %s\n' program flash text+data static-RAM heap-peak RAM-total heap-total mallocs result
# pinned512-tight: pinned512 with a 1 KiB system stack and a 3 KiB
# goroutine stack, the least it runs with (2 KiB goroutine stacks fault).
sed "s/@RAM@/4194304/; s/@STACK@/1024/" firmware/targets/mps2.ld.in >"$work/tight.ld"
sed "s#$work/mps2.ld#$work/tight.ld#; s#\"default-stack-size\": *[0-9]*#\"default-stack-size\": 3072#" "$work/cm4.json" >"$work/tight.json"
for p in primitives pinned pinned512 pinned512-tight full; do
	elf=$work/$p.elf
	target=$work/cm4.json pkg=$p
	if [ "$p" = pinned512-tight ]; then target=$work/tight.json pkg=pinned512; fi
	gstack=$(sed -n 's/.*"default-stack-size": *\([0-9]*\).*/\1/p' "$target")
	sizes=$("$TINYGO" build -target "$target" -size short -o "$elf" ./firmware/size/$pkg | tail -1)
	read -r code data bss _ flash ram <<<"$sizes"
	peak=- total=- mallocs=- result="not run"
	if [ -n "$qemu" ]; then
		out=$(timeout 300 "$qemu" -machine mps2-an386 -cpu cortex-m4 -semihosting -nographic -d unimp -D "$work/log" -kernel "$elf" || true)
		# The runtime's println goes to lm3s6965's UART, which mps2 leaves
		# unimplemented: QEMU's -d unimp log of those byte writes has it.
		out=$(sed -n 's/.*offset 0xc000, value 0x\([0-9a-f]*\)).*/\1/p' "$work/log" | while read -r h; do printf "\\x$h"; done)
		result=$(printf '%s\n' "$out" | head -1)
		peak=$(printf '%s\n' "$out" | sed -n 's/.*heap-peak \([0-9]*\).*/\1/p')
		total=$(printf '%s\n' "$out" | sed -n 's/.*heap-total \([0-9]*\).*/\1/p')
		mallocs=$(printf '%s\n' "$out" | sed -n 's/.*mallocs \([0-9]*\).*/\1/p')
		: "${peak:=-}" "${total:=-}" "${mallocs:=-}"
	fi
	whole=-
	[ "$peak" != - ] && whole=$((ram + peak + gstack))
	printf '%-16s %10s %14s %10s %10s %10s %11s %8s  %s\n' "$p" "$flash" "$code+$data" "$ram" "$peak" "$whole" "$total" "$mallocs" "$result"
done
echo
echo "flash = text + data (data is copied to RAM at boot); static RAM = data + bss (the programs' buffers are in bss);"
echo "heap-peak = most live heap at any step of the connection; heap-total, mallocs = all it allocated (one handshake and a request/response);"
echo "RAM-total = static RAM (with the $STACK-octet system stack; 1024 for -tight) + heap peak + main's goroutine stack"
echo "(the target's default-stack-size, 4096 octets; 3072 for -tight; on the heap, allocated before measuring)."

echo
echo "== gc toolchain ($(go version | cut -d' ' -f3)): allocations per handshake and request/response, caller-owned buffers, no network"
go test ./firmware/size -run '^$' -bench HandshakeReplay -benchmem -benchtime 200x | grep -E '^Benchmark'
