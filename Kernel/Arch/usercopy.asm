; Copies between kernel and user memory that survive a bad user pointer, the way Linux's exception tables
; do: each instruction that touches user memory is listed with a fixup, and the page-fault (or #GP) path
; resumes at the fixup instead of panicking (Arch/ExceptionTable.cs). Callers check the range first (the
; whole range in user space, no wrap); these catch what the range check cannot know: pages not mapped, not
; writable, or not yet backed. Under SMAP the user pages are opened (STAC) only for the copy itself.
bits 64
section .text

%define SMAP_FLAG_DEFINED_HERE
%include "smap.inc"

EFAULT equ 14

; long KernelCopyUser(void* destination, const void* source, ulong count): 0, or -EFAULT when a user page
; faulted (a prefix may have been copied). Used for both directions.
global KernelCopyUser
KernelCopyUser:
    mov rcx, rdx
    SMAP_OPEN
..@copy_user_site:
    rep movsb
    SMAP_CLOSE
    xor eax, eax
    ret
..@copy_user_fixup:
    SMAP_CLOSE
    mov rax, -EFAULT
    ret

; long KernelCopyUserString(byte* destination, const byte* source, ulong capacity): copies a NUL-terminated
; string of at most capacity - 1 bytes plus its NUL; returns its length, capacity when no NUL came within
; capacity bytes (the caller refuses it as too long), or -EFAULT.
global KernelCopyUserString
KernelCopyUserString:
    xor eax, eax
    SMAP_OPEN
.next:
    cmp rax, rdx
    jae .done
..@copy_string_site:
    movzx ecx, byte [rsi + rax]
    mov [rdi + rax], cl
    test ecx, ecx
    jz .done
    inc rax
    jmp .next
.done:
    SMAP_CLOSE
    ret
..@copy_string_fixup:
    SMAP_CLOSE
    mov rax, -EFAULT
    ret

; void KernelSetSmapEnabled(int enabled)
global KernelSetSmapEnabled, KernelExceptionTableAddress
KernelSetSmapEnabled:
    mov [rel KernelSmapEnabled], dil
    ret
KernelExceptionTableAddress:
    lea rax, [rel exception_table]
    ret

section .rodata
align 8
; Pairs {faulting instruction, fixup}, ended by a zero pair.
exception_table:
    dq ..@copy_user_site, ..@copy_user_fixup
    dq ..@copy_string_site, ..@copy_string_fixup
    dq 0, 0

section .data
global KernelSmapEnabled
KernelSmapEnabled: db 0
