#!/usr/bin/env bash
# The one build pipeline. The Makefile and build.ps1 are thin wrappers that call this script with a verb:
#   setup   install or name missing prerequisites, restore the ILCompiler package
#   kernel  C# -> IL (csc, own corlib) -> ELF object (ilc) + NASM stubs -> build/kernel.elf + symbols
#   programs  each user program (User/Programs/NAME) with the same corlib and the user runtime -> build/bin/NAME
#   iso     kernel + programs + GRUB image -> iso/kernel.iso
#   run     iso, then boot it in QEMU (window when there is a display, else the serial line on this terminal);
#           FIRMWARE=uefi boots it under OVMF instead of SeaBIOS (also for debug)
#   debug   iso, then QEMU halted, waiting for gdb on :1234 (gdb build/kernel.elf -x tools/kernel.gdb: C# files and
#           lines from build/kernel.debug, which the image links to)
#   bochs   iso, then boot it in Bochs (tools/bochs/bochsrc.txt) with COM1 on this terminal;
#           "bochs selftest": the selftest entry headless, prints COM1 (build/bochs/serial.log) and fails
#           unless every test passed
#   test    kernel, then every test (host and boot; the boot tests make their own ISOs under build/test-isos);
#           ends with "N passed, N failed"
#   bench   the allocator benchmarks (BenchmarkDotNet)
#   pagefile FILE [MiB]  write a raw disk image carrying the kernel's page-file signature (default 256 MiB);
#           an existing file is replaced only if it is a page-file image already
#   clean   remove build outputs
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"
OBJ="$BUILD/obj"
ISO="$ROOT/iso/kernel.iso"
# The page-file disk make run attaches as the primary slave, made on first use.
PAGEFILE="$BUILD/pagefile.img"
NUGET_PACKAGES="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
IlcVersion="$(sed -n 's:.*<IlcVersion>\(.*\)</IlcVersion>.*:\1:p' "$ROOT/Directory.Packages.props")"
ILC="$NUGET_PACKAGES/runtime.linux-x64.microsoft.dotnet.ilcompiler/$IlcVersion/tools/ilc"
# The framebuffer console's font (Debian console-setup-linux; glyphs by Dmitry Bolkhovityanov, MIT-style licence,
# see README) and the mode the framebuffer GRUB entries ask for (UEFI's entries too).
CONSOLE_FONT="${CONSOLE_FONT:-/usr/share/consolefonts/Lat15-VGA16.psf.gz}"
FRAMEBUFFER_MODE="${FRAMEBUFFER_MODE:-1024x768x32}"
OVMF=/usr/share/ovmf/OVMF.fd
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '%s\n' "$*" >&2; }

missing_tools() {
    local missing=()
    command -v nasm >/dev/null || missing+=(nasm)
    command -v ld >/dev/null || missing+=(binutils)
    command -v nm >/dev/null || missing+=(binutils)
    command -v objcopy >/dev/null || missing+=(binutils)
    # gdb: make debug's debugger, and the boot test that drives it against QEMU's gdbstub.
    command -v gdb >/dev/null || missing+=(gdb)
    command -v xorriso >/dev/null || missing+=(xorriso)
    command -v grub-mkrescue >/dev/null || missing+=(grub-common)
    [ -d /usr/lib/grub/i386-pc ] || missing+=(grub-pc-bin)
    # GRUB's UEFI image beside the BIOS one (grub-mkrescue puts both in the ISO), and UEFI firmware for QEMU.
    [ -d /usr/lib/grub/x86_64-efi ] || missing+=(grub-efi-amd64-bin)
    [ -f "$OVMF" ] || missing+=(ovmf)
    [ -f "$CONSOLE_FONT" ] || missing+=(console-setup-linux)
    command -v mformat >/dev/null || missing+=(mtools)
    command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
    # Bochs, its BIOS images and the terminal display library (also the headless one: Debian's build has no nogui).
    command -v bochs >/dev/null || missing+=(bochs)
    [ -f /usr/share/bochs/BIOS-bochs-latest ] || missing+=(bochsbios)
    [ -f /usr/share/vgabios/vgabios.bin ] || missing+=(vgabios)
    ls /usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so* >/dev/null 2>&1 || missing+=(bochs-term)
    ls /usr/lib/x86_64-linux-gnu/libmimalloc.so* >/dev/null 2>&1 || missing+=(libmimalloc2.0)
    # QEMU's window (GTK) is a separate package; only worth installing where there is a display.
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && ! ls /usr/lib/x86_64-linux-gnu/qemu/ui-gtk.so >/dev/null 2>&1; then
        missing+=(qemu-system-gui)
    fi
    printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' '
}

setup() {
    if ! command -v dotnet >/dev/null; then
        log "error: the .NET SDK (dotnet) is required: see https://learn.microsoft.com/dotnet/core/install/linux-debian"
        exit 1
    fi
    local missing
    missing="$(missing_tools)"
    if [ -n "${missing// /}" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            log "setup: installing $missing"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
        else
            log "error: missing prerequisites. Install them as root with:"
            log "  apt-get install --no-install-recommends $missing"
            log "(or prefix with sudo where it is installed)"
            exit 1
        fi
    fi
    if [ ! -x "$ILC" ]; then
        log "setup: restoring the NativeAOT compiler $IlcVersion"
        dotnet restore "$ROOT/tools/ilc/IlcRestore.csproj" -p:IlcVersion="$IlcVersion" --verbosity quiet
    fi
}

csc_path() {
    local sdk
    sdk="$(dotnet --list-sdks | awk -v want="$(dotnet --version)" '$1 == want { gsub(/[\[\]]/, "", $2); print $2 "/" $1 }')"
    echo "$sdk/Roslyn/bincore/csc.dll"
}

kernel() {
    setup
    mkdir -p "$OBJ"
    local sources=()
    while IFS= read -r -d '' f; do sources+=("$f"); done < <(
        find "$ROOT/Kernel" "$ROOT/Kernel.Mem" "$ROOT/User/Abi" -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' -print0 | sort -z)

    console_font
    sources+=("$OBJ/ConsoleFont.g.cs")

    log "csc: ${#sources[@]} files -> kernel.dll"
    # The portable PDB gives ilc the C# files and lines (sequence points) and local names for its DWARF.
    dotnet "$(csc_path)" -nologo -noconfig -nostdlib -unsafe -optimize+ -debug:portable -langversion:latest \
        -runtimemetadataversion:v4.0.30319 -target:library -nowarn:CS0626,CS0649,CS0169,CS8500 \
        -out:"$OBJ/kernel.dll" -pdb:"$OBJ/kernel.pdb" "${sources[@]}"

    log "ilc: kernel.dll -> kernel.o"
    "$ILC" "$OBJ/kernel.dll" -o "$OBJ/kernel.o" --systemmodule kernel --targetos linux --targetarch x64 \
        -O -g --nativelib --map "$OBJ/kernel.map.xml" >&2
    [ -f "$OBJ/kernel.o" ] || { log "error: ilc produced no object"; exit 1; }

    local objects=("$OBJ/kernel.o")
    while IFS= read -r -d '' asm; do
        local out="$OBJ/$(basename "$asm" .asm).asm.o"
        nasm -f elf64 -w+all -I "$(dirname "$asm")/" -o "$out" "$asm"
        objects+=("$out")
    done < <(find "$ROOT/Kernel" -name '*.asm' -print0 | sort -z)

    log "ld: -> build/kernel.elf"
    ld -n -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
        -T "$ROOT/Kernel/Boot/linker.ld" -o "$BUILD/kernel.elf" "${objects[@]}"
    grub-file --is-x86-multiboot2 "$BUILD/kernel.elf" || { log "error: kernel.elf is not multiboot2"; exit 1; }

    # The DWARF goes to build/kernel.debug and the image GRUB loads keeps only a link to it (.gnu_debuglink:
    # name and CRC), so the ISO stays as small as without -g; gdb build/kernel.elf loads the debug file beside it.
    objcopy --only-keep-debug "$BUILD/kernel.elf" "$BUILD/kernel.debug"
    objcopy --strip-debug --add-gnu-debuglink="$BUILD/kernel.debug" "$BUILD/kernel.elf"

    # The symbol table for backtraces: "address name" per function, sorted, shipped as a GRUB module.
    nm -n --defined-only "$BUILD/kernel.elf" | awk '$2 ~ /^[tTdDrR]$/ { print $1, $3 }' > "$BUILD/kernel.sym"
}

# The framebuffer console's glyph table, generated from the PSF font when the font or the generator changed.
console_font() {
    local out="$OBJ/ConsoleFont.g.cs"
    if [ ! -f "$out" ] || [ "$CONSOLE_FONT" -nt "$out" ] || [ -n "$(find "$ROOT/tools/fontgen" -name '*.cs*' -newer "$out" -print -quit)" ]; then
        log "fontgen: $(basename "$CONSOLE_FONT") -> ConsoleFont.g.cs"
        dotnet run --project "$ROOT/tools/fontgen/FontGen.csproj" -c Release --verbosity quiet -- "$CONSOLE_FONT" "$out" >&2
    fi
}

# The sources every user program is compiled with: the corlib (the kernel's own, Kernel/Runtime), the user
# runtime, the system-call ABI, and the Kernel.Mem files the runtime shares with the kernel: the layout, the
# heap (the very allocators kmalloc uses; only the kernel heap's frame and mapping side stays out) and the
# replacement policies with their model (a test program checks the kernel against it).
user_common_sources() {
    find "$ROOT/Kernel/Runtime" "$ROOT/User/Runtime" "$ROOT/User/Abi" -name '*.cs' -print0 | sort -z
    find "$ROOT/Kernel.Mem/Heap" -name '*.cs' -not -name 'KernelHeap*.cs' -not -name 'HeapFrameTag.cs' -print0 | sort -z
    find "$ROOT/Kernel.Mem/Replacement" -name '*.cs' -print0 | sort -z
    printf '%s\0' "$ROOT/Kernel.Mem/MemConstants.cs" "$ROOT/Kernel.Mem/User/UserLayout.cs"
}

# program NAME: User/Programs/NAME/*.cs -> build/bin/NAME, an ELF64 linked at 4 MiB (User/Runtime/user.ld).
program() {
    local name="$1" dir="$ROOT/User/Programs/$1" out="$OBJ/user/$1"
    mkdir -p "$out"
    local sources=()
    while IFS= read -r -d '' f; do sources+=("$f"); done < <(user_common_sources; find "$dir" -name '*.cs' -print0 | sort -z)
    dotnet "$(csc_path)" -nologo -noconfig -nostdlib -unsafe -optimize+ -debug- -langversion:latest \
        -runtimemetadataversion:v4.0.30319 -target:library -nowarn:CS0626,CS0649,CS0169,CS8500 \
        -out:"$out/$name.dll" "${sources[@]}" >&2
    "$ILC" "$out/$name.dll" -o "$out/$name.o" --systemmodule "$name" --targetos linux --targetarch x64 -O --nativelib >&2
    local objects=("$out/$name.o" "$OBJ/user/runtime.asm.o" "$OBJ/user/start.asm.o")
    while IFS= read -r -d '' asm; do
        nasm -f elf64 -w+all -o "$out/$(basename "$asm" .asm).asm.o" "$asm"
        objects+=("$out/$(basename "$asm" .asm).asm.o")
    done < <(find "$dir" -name '*.asm' -print0 | sort -z)
    ld -nostdlib -static -z max-page-size=0x1000 -z noexecstack -T "$ROOT/User/Runtime/user.ld" \
        -o "$BUILD/bin/$name" "${objects[@]}"
}

program_names() {
    find "$ROOT/User/Programs" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort
}

# Every program, built in parallel (csc dominates, a second or so each).
programs() {
    setup
    mkdir -p "$OBJ/user" "$BUILD/bin"
    nasm -f elf64 -w+all -o "$OBJ/user/runtime.asm.o" "$ROOT/Kernel/Runtime/runtime.asm"
    nasm -f elf64 -w+all -o "$OBJ/user/start.asm.o" "$ROOT/User/Runtime/start.asm"
    local names=() pids=() failed=0
    while IFS= read -r name; do
        names+=("$name")
        program "$name" & pids+=($!)
    done < <(program_names)
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || { log "error: program ${names[$i]} failed to build"; failed=1; }
    done
    [ "$failed" = 0 ] || exit 1
    log "programs: ${names[*]} -> build/bin"
}

# The GRUB lines that load every program as a module named bin/NAME.
program_modules() {
    local name
    while IFS= read -r name; do
        printf '    module2 /boot/bin/%s bin/%s\n' "$name" "$name"
    done < <(program_names)
}

# iso [default-entry] [timeout] [extra command line] [output] [GRUB commands run before the menu, e.g. "cutmem 23M 4G"]
iso() {
    local default="${1:-0}" timeout="${2:-3}" extra="${3:-}" out="${4:-$ISO}" commands="${5:-}"
    if [ -z "${SKIP_KERNEL:-}" ] || [ ! -f "$BUILD/kernel.elf" ]; then kernel; programs; fi
    local tree="$BUILD/isotree-$$"
    rm -rf "$tree" && mkdir -p "$tree/boot/grub" "$tree/boot/bin"
    cp "$BUILD/kernel.elf" "$BUILD/kernel.sym" "$tree/boot/"
    cp "$BUILD"/bin/* "$tree/boot/bin/"
    local modules
    modules="$(program_modules)"
    awk -v framebuffer="$FRAMEBUFFER_MODE" -v default="$default" -v timeout="$timeout" -v extra="$extra" -v commands="$commands" -v modules="$modules" '
        { gsub(/@DEFAULT@/, default); gsub(/@TIMEOUT@/, timeout); gsub(/@EXTRA@/, extra); gsub(/@COMMANDS@/, commands); gsub(/@FRAMEBUFFER@/, framebuffer) }
        # Only a line that is the placeholder alone: the comment at the top of grub.cfg.in names it too.
        $0 == "@MODULES@" { print modules; next }
        { print }' "$ROOT/iso/grub.cfg.in" > "$tree/boot/grub/grub.cfg"
    # Both GRUB platforms (i386-pc and x86_64-efi) go in; their translations, fonts and themes do not (the menu
    # is text on the firmware console and COM1): that keeps the hybrid ISO about as small as the BIOS-only one.
    grub-mkrescue --locales= --fonts= --themes= -o "$out" "$tree" 2>/dev/null
    rm -rf "$tree"
    log "iso: $out"
}

# FIRMWARE=uefi boots the same ISO under OVMF instead of SeaBIOS.
qemu_args() {
    local firmware=""
    case "${FIRMWARE:-bios}" in
        bios) ;;
        uefi) firmware="-bios $OVMF" ;;
        *) log "error: FIRMWARE is bios or uefi, not ${FIRMWARE}"; exit 2 ;;
    esac
    echo "-cdrom $ISO -cpu max -m ${QEMU_MEMORY:-512M} $firmware -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -drive file=$PAGEFILE,if=ide,index=1,format=raw"
}

# pagefile FILE [MiB]: the header is written by the kernel's own code (tools/pagefile compiles Kernel/Swap/PageFileHeader.cs).
pagefile() {
    if [ $# -lt 1 ] || [ $# -gt 2 ]; then
        log "usage: tools/build.sh pagefile FILE [MiB]"
        exit 2
    fi
    mkdir -p "$(dirname "$1")"
    dotnet run --project "$ROOT/tools/pagefile/PageFileTool.csproj" -c Release --verbosity quiet -- "$@"
}

ensure_pagefile() {
    [ -f "$PAGEFILE" ] || pagefile "$PAGEFILE"
}

run() {
    iso
    ensure_pagefile
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
        # shellcheck disable=SC2046
        exec qemu-system-x86_64 $(qemu_args) -serial stdio
    else
        log "no display: the console is on this terminal over COM1 (quit QEMU with Ctrl-A X)"
        # shellcheck disable=SC2046
        exec qemu-system-x86_64 $(qemu_args) -display none -serial mon:stdio
    fi
}

debug() {
    iso
    ensure_pagefile
    log "QEMU is waiting for gdb: gdb build/kernel.elf -x tools/kernel.gdb -ex 'target remote :1234'"
    log "(from $ROOT; C# files and lines come from build/kernel.debug, e.g. break Kernel/Memory/MemoryManager.cs:120)"
    # shellcheck disable=SC2046
    exec qemu-system-x86_64 $(qemu_args) -display none -serial mon:stdio -s -S
}

# bochs [selftest]
bochs_run() {
    local out="$BUILD/bochs"
    mkdir -p "$out"
    export BOCHS_CPU="${BOCHS_CPU:-corei7_skylake_x}" BOCHS_DISPLAY=term
    export BOCHS_LOG="$out/bochs.log"
    local bochs=(bochs -q -f "$ROOT/tools/bochs/bochsrc.txt" -rc "$ROOT/tools/bochs/continue.rc")
    if [ "${1:-}" = selftest ]; then
        # The selftest entry, then ACPI power-off (kernel option poweroff): Bochs has no isa-debug-exit,
        # so the result is the "selftest:" line on COM1.
        export BOCHS_ISO="$out/selftest.iso" BOCHS_SERIAL_MODE=file BOCHS_SERIAL="$out/serial.log"
        iso 1 0 poweroff "$BOCHS_ISO"
        rm -f "$BOCHS_SERIAL"
        log "bochs: selftest on $BOCHS_CPU (COM1: $BOCHS_SERIAL)"
        TERM=dumb "${bochs[@]}" </dev/null >"$out/screen.txt" 2>&1 || true
        cat "$BOCHS_SERIAL"
        grep -aq 'selftest: [0-9]* passed, 0 failed' "$BOCHS_SERIAL"
    else
        iso
        export BOCHS_ISO="$ISO" BOCHS_SERIAL_MODE=term BOCHS_SERIAL=/dev/tty
        log "bochs: the console is this terminal over COM1 (leave with the shell's shutdown); Bochs names the"
        log "pseudo-terminal that shows the VGA screen (screen /dev/pts/N to watch it)"
        exec "${bochs[@]}"
    fi
}

test_all() {
    kernel
    programs
    local results="$BUILD/test-results"
    rm -rf "$results"
    local status=0
    KERNEL_ROOT="$ROOT" dotnet test "$ROOT/Kernel.Tests/Kernel.Tests.csproj" -c Release \
        --logger "trx;LogFileName=results.trx" --results-directory "$results" --verbosity quiet \
        --nologo || status=$?
    local trx="$results/results.trx"
    if [ -f "$trx" ]; then
        local passed failed
        passed="$(grep -o '<Counters [^>]*' "$trx" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')"
        failed="$(grep -o '<Counters [^>]*' "$trx" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')"
        echo "${passed:-0} passed, ${failed:-0} failed"
        [ "${failed:-0}" = 0 ] && [ "$status" = 0 ] || exit 1
    else
        echo "0 passed, 1 failed"
        exit 1
    fi
}

bench() {
    setup
    dotnet run -c Release --project "$ROOT/Kernel.Bench/Kernel.Bench.csproj" -- "$@"
}

clean() {
    rm -rf "$BUILD" "$ISO"
    find "$ROOT" \( -name bin -o -name obj \) -type d -prune -exec rm -rf {} + 2>/dev/null || true
}

verb="${1:-iso}"
shift || true
case "$verb" in
    setup) setup ;;
    kernel) kernel ;;
    programs) programs ;;
    iso) iso "$@" ;;
    run) run ;;
    debug) debug ;;
    bochs) setup; bochs_run "$@" ;;
    test) test_all ;;
    bench) bench "$@" ;;
    pagefile) pagefile "$@" ;;
    clean) clean ;;
    *) log "usage: tools/build.sh setup|kernel|programs|iso|run|debug|bochs [selftest]|test|bench|pagefile FILE [MiB]|clean"; exit 2 ;;
esac
