#!/usr/bin/env bash
# Boots the kernel under QEMU, types each argument as a shell command on COM1, prints what the shell
# answers, then powers off. For commands whose figures belong in the README (membench, sysbench) without
# an interactive session:
#   tools/shell-run.sh membench             tools/shell-run.sh "run sysbench" meminfo
# QEMU_MEMORY (default 512M) and QEMU_CPU (default max) choose the machine; SKIP_KERNEL=1 reuses build/kernel.elf.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
iso="$ROOT/build/shell-run.iso"
SKIP_KERNEL="${SKIP_KERNEL:-}" bash "$ROOT/tools/build.sh" iso 0 0 "" "$iso" >/dev/null 2>&1
coproc QEMU { exec qemu-system-x86_64 -cdrom "$iso" -cpu "${QEMU_CPU:-max}" -m "${QEMU_MEMORY:-512M}" -no-reboot \
    -display none -serial stdio -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x04 2>&1; }
qemu_pid="$QEMU_PID"
trap 'kill "$qemu_pid" 2>/dev/null || true' EXIT

# Prints COM1 up to the next prompt (the prompt has no newline, so read a character at a time).
until_prompt() {
    local text="" char
    while IFS= read -r -n 1 -t 120 char <&"${QEMU[0]}"; do
        if [ -z "$char" ]; then
            printf '%s\n' "$text" | tr -d '\r'
            text=""
            continue
        fi
        text+="$char"
        if [[ "$text" == *"kernel> " ]]; then
            printf '%s' "${text%kernel> }" | tr -d '\r'
            return 0
        fi
    done
    echo "shell-run: no prompt within 120 s" >&2
    return 1
}

until_prompt >/dev/null
for command in "$@"; do
    printf 'kernel> %s\n' "$command"
    printf '%s\r' "$command" >&"${QEMU[1]}"
    # The echo of the typed line comes first.
    IFS= read -r -t 60 _ <&"${QEMU[0]}" || true
    until_prompt
done
printf 'shutdown\r' >&"${QEMU[1]}"
wait "$qemu_pid" 2>/dev/null || true
