; Multiboot2 entry: GRUB leaves us in 32-bit protected mode with paging off (Multiboot2 spec, 3.3).
; This stub runs at its load address (the .boot sections, linked low). It checks for long mode, builds
; temporary page tables - an identity map of the first 4 GiB and the same first GiB again at -2 GiB where
; the rest of the kernel is linked, page 0 left unmapped so null dereferences fault - enables PAE, SSE, NX
; and long mode, then jumps to the higher half and calls the managed kernel_main. The memory manager
; replaces these tables with its own before the shell starts.

KERNEL_VIRTUAL_BASE equ 0xFFFFFFFF80000000

MB2_MAGIC           equ 0xE85250D6
MB2_ARCH_I386       equ 0
MB2_TAG_INFO_REQ    equ 1
MB2_TAG_END         equ 0
MB2_TAG_FRAMEBUFFER equ 5
MB2_TAG_OPTIONAL    equ 1
MB2_INFO_CMDLINE    equ 1
MB2_INFO_MODULES    equ 3
MB2_INFO_MMAP       equ 6

PTE_PRESENT         equ 1 << 0
PTE_WRITABLE        equ 1 << 1
PTE_HUGE            equ 1 << 7

CR0_MP              equ 1 << 1
CR0_EM              equ 1 << 2
CR0_WP              equ 1 << 16
CR0_PG              equ 1 << 31
CR4_PAE             equ 1 << 5
CR4_OSFXSR          equ 1 << 9
CR4_OSXMMEXCPT      equ 1 << 10
MSR_EFER            equ 0xC0000080
EFER_LME            equ 1 << 8
EFER_NXE            equ 1 << 11

BOOT_STACK_SIZE     equ 64 * 1024
IST_STACK_SIZE      equ 16 * 1024
PML4_INDEX_HIGH     equ 511
PDPT_INDEX_HIGH     equ 510

section .multiboot2
align 8
mb2_header:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
align 8
.info_request:
    dw MB2_TAG_INFO_REQ, 0
    dd .info_request_end - .info_request
    dd MB2_INFO_CMDLINE, MB2_INFO_MODULES, MB2_INFO_MMAP
.info_request_end:
align 8
; The kernel draws on a linear framebuffer too: without this tag GRUB gives none, and under UEFI, which has no
; VGA text mode, there would be no screen at all. No preferred mode (0 x 0 x 0): grub.cfg's gfxpayload picks,
; text mode on BIOS unless an entry asks for a framebuffer.
.framebuffer:
    dw MB2_TAG_FRAMEBUFFER, MB2_TAG_OPTIONAL
    dd .framebuffer_end - .framebuffer
    dd 0, 0, 0
.framebuffer_end:
align 8
    dw MB2_TAG_END, 0
    dd 8
mb2_header_end:

section .boot.text progbits alloc exec nowrite
bits 32
global _start
_start:
    cli
    mov esp, early_stack_top
    mov [boot_magic], eax
    mov [boot_info], ebx

    ; Long mode and NX are reported by CPUID leaf 0x80000001, EDX bits 29 and 20 (SDM Vol. 2A, CPUID).
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb no_long_mode
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29
    jz no_long_mode
    mov [boot_has_nx], edx

    call build_identity_map

    mov eax, cr4
    or eax, CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT
    mov cr4, eax

    mov eax, boot_pml4
    mov cr3, eax

    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    test dword [boot_has_nx], 1 << 20
    jz .no_nx
    or eax, EFER_NXE
.no_nx:
    wrmsr

    mov eax, cr0
    and eax, ~CR0_EM
    or eax, CR0_PG | CR0_WP | CR0_MP
    mov cr0, eax

    lgdt [boot_gdt_pointer]
    jmp 0x08:long_mode_entry

; Identity-maps 0..4 GiB: 2 MiB pages everywhere except the first 2 MiB, which use 4 KiB pages so that
; page 0 can stay not-present.
build_identity_map:
    mov eax, boot_pdpt
    or eax, PTE_PRESENT | PTE_WRITABLE
    mov [boot_pml4], eax

    ; -2 GiB: PML4 entry 511, PDPT entry 510 -> the first page directory (physical 0..1 GiB).
    mov eax, boot_pdpt_high
    or eax, PTE_PRESENT | PTE_WRITABLE
    mov [boot_pml4 + PML4_INDEX_HIGH * 8], eax
    mov eax, boot_pd
    or eax, PTE_PRESENT | PTE_WRITABLE
    mov [boot_pdpt_high + PDPT_INDEX_HIGH * 8], eax

    xor ecx, ecx
.pdpt_loop:
    mov eax, ecx
    shl eax, 12
    add eax, boot_pd
    or eax, PTE_PRESENT | PTE_WRITABLE
    mov [boot_pdpt + ecx * 8], eax
    inc ecx
    cmp ecx, 4
    jb .pdpt_loop

    ; 2048 PD entries cover 4 GiB; entry i maps i * 2 MiB (the high dword holds bits 32+ of the address).
    xor ecx, ecx
.pd_loop:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_PRESENT | PTE_WRITABLE | PTE_HUGE
    mov [boot_pd + ecx * 8], eax
    mov eax, ecx
    shr eax, 11
    mov [boot_pd + ecx * 8 + 4], eax
    inc ecx
    cmp ecx, 2048
    jb .pd_loop

    mov eax, boot_pt0
    or eax, PTE_PRESENT | PTE_WRITABLE
    mov [boot_pd], eax
    mov dword [boot_pd + 4], 0

    mov ecx, 1
.pt_loop:
    mov eax, ecx
    shl eax, 12
    or eax, PTE_PRESENT | PTE_WRITABLE
    mov [boot_pt0 + ecx * 8], eax
    inc ecx
    cmp ecx, 512
    jb .pt_loop

    ; Unmap the page under the boot stack so an overflow faults instead of corrupting .bss.
    mov eax, boot_stack_guard - KERNEL_VIRTUAL_BASE
    shr eax, 12
    cmp eax, 512
    jae .no_guard
    mov dword [boot_pt0 + eax * 8], 0
.no_guard:
    ret

no_long_mode:
    mov esi, no_long_mode_message
    mov edi, 0xB8000
    mov dx, 0x3F8
.print:
    lodsb
    test al, al
    jz .halt
    out dx, al
    mov ah, 0x4F
    mov [edi], ax
    add edi, 2
    jmp .print
.halt:
    hlt
    jmp .halt

bits 64
long_mode_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    mov edi, [boot_magic]
    mov esi, [boot_info]
    mov rax, higher_half_entry
    jmp rax

section .boot.rodata progbits alloc noexec nowrite
no_long_mode_message: db "kernel: this CPU has no x86-64 long mode; cannot boot", 0

align 16
boot_gdt:
    dq 0
    dq 0x00AF9A000000FFFF   ; 0x08: 64-bit code, DPL 0
    dq 0x00CF92000000FFFF   ; 0x10: data, DPL 0
boot_gdt_end:
boot_gdt_pointer:
    dw boot_gdt_end - boot_gdt - 1
    dq boot_gdt

section .boot.data progbits alloc noexec write
boot_magic: dd 0
boot_info: dd 0
boot_has_nx: dd 0

section .boot.bss nobits alloc noexec write
align 4096
boot_pml4: resb 4096
boot_pdpt: resb 4096
boot_pdpt_high: resb 4096
boot_pd: resb 4 * 4096
boot_pt0: resb 4096
early_stack: resb 4096
early_stack_top:

; From here on everything is linked in the higher half.
section .text
higher_half_entry:
    ; edi = multiboot2 magic, esi = physical address of the boot information (set above).
    mov rsp, boot_stack_top
    xor rbp, rbp
    extern kernel_main
    call kernel_main
.hang:
    cli
    hlt
    jmp .hang

section .bss
; Kernel stacks, each above a guard page the memory manager leaves unmapped (boot.asm already unmaps
; the boot stack's guard in the temporary tables).
align 4096
global boot_stack_guard, boot_stack_top, ist_stack_guard, ist_stack_top
boot_stack_guard: resb 4096
boot_stack_bottom: resb BOOT_STACK_SIZE
boot_stack_top:
ist_stack_guard: resb 4096
ist_stack_bottom: resb IST_STACK_SIZE
ist_stack_top:

section .text
global KernelBootStackGuard, KernelBootStackTop, KernelIstStackGuard, KernelIstStackTop, KernelImageLayout
KernelBootStackGuard:
    lea rax, [rel boot_stack_guard]
    ret
KernelBootStackTop:
    lea rax, [rel boot_stack_top]
    ret
KernelIstStackGuard:
    lea rax, [rel ist_stack_guard]
    ret
KernelIstStackTop:
    lea rax, [rel ist_stack_top]
    ret

; The image's section bounds from the linker script, for the memory manager's W^X mapping.
extern __kernel_physical_start, __kernel_physical_end, __boot_end, __text_start, __text_end
extern __rodata_start, __rodata_end, __data_start, __data_end, __kernel_end
KernelImageLayout:
    lea rax, [rel image_layout]
    ret

section .rodata
align 8
image_layout:
    dq __kernel_physical_start, __kernel_physical_end, __boot_end
    dq __text_start, __text_end, __rodata_start, __rodata_end, __data_start, __data_end, __kernel_end
    dq KERNEL_VIRTUAL_BASE
