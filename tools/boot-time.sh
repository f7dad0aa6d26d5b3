#!/usr/bin/env bash
# Measures wall time from QEMU's start to the kernel's "shell ready" line on COM1, over N boots.
#   tools/boot-time.sh [runs] [memory] [bios|uefi]      e.g. tools/boot-time.sh 5 512M uefi
# bios is SeaBIOS (QEMU's default), uefi is OVMF (/usr/share/ovmf/OVMF.fd, Debian's ovmf).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-5}"
memory="${2:-512M}"
firmware="${3:-bios}"
firmware_args=()
case "$firmware" in
    bios) ;;
    uefi) firmware_args=(-bios /usr/share/ovmf/OVMF.fd) ;;
    *) echo "usage: tools/boot-time.sh [runs] [memory] [bios|uefi]" >&2; exit 2 ;;
esac
iso="$ROOT/build/boot-time.iso"
SKIP_KERNEL="${SKIP_KERNEL:-}" bash "$ROOT/tools/build.sh" iso 0 0 "" "$iso" >/dev/null 2>&1
total=0
for i in $(seq "$runs"); do
    start=$(date +%s%N)
    coproc QEMU { exec qemu-system-x86_64 -cdrom "$iso" -cpu max -m "$memory" "${firmware_args[@]}" -no-reboot -display none \
        -serial stdio -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x04 2>&1; }
    while IFS= read -r -t 60 line <&"${QEMU[0]}"; do
        case "$line" in *"shell ready"*) break ;; esac
    done
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    kill "$QEMU_PID" 2>/dev/null || true
    wait "$QEMU_PID" 2>/dev/null || true
    echo "boot $i: ${ms} ms to 'shell ready'"
    total=$((total + ms))
done
echo "mean over $runs boots ($memory, $firmware): $((total / runs)) ms"
