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
sed "s#@LINKERSCRIPT@#$work/mps2.ld#" firmware/targets/mps2-an386.json >"$work/cm4.json"

echo "== recording the servers' side of the handshakes (go test -update)"
go test ./firmware/size -run TestRecordings -update >/dev/null

qemu=$(command -v qemu-system-arm || true)
[ -n "$qemu" ] || echo "firmware-size: qemu-system-arm is missing: heap not measured (.ci/install-tinygo installs it)" >&2

printf '\n%-11s %10s %10s %10s %10s %11s %8s  %s\n' program flash text+data static-RAM heap-peak heap-total mallocs result
for p in primitives pinned pinned512 full; do
	elf=$work/$p.elf
	sizes=$("$TINYGO" build -target "$work/cm4.json" -size short -o "$elf" ./firmware/size/$p | tail -1)
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
	printf '%-11s %10s %10s %10s %10s %11s %8s  %s\n' "$p" "$flash" "$code+$data" "$ram" "$peak" "$total" "$mallocs" "$result"
done
echo
echo "flash = text + data (data is copied to RAM at boot); static RAM = data + bss (the programs' buffers are in bss);"
echo "heap-peak = most live heap at any step of the connection; heap-total, mallocs = all it allocated (one handshake and a request/response)."
echo "Stack: the system stack is $STACK; main's goroutine stack (the target's default-stack-size, 4 KiB) is on the heap, allocated before measuring."

echo
echo "== gc toolchain ($(go version | cut -d' ' -f3)): allocations per handshake and request/response, caller-owned buffers, no network"
go test ./firmware/size -run '^$' -bench HandshakeReplay -benchmem -benchtime 200x | grep -E '^Benchmark'
