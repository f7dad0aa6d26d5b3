; The SYSCALL entry and its two ways back to ring 3 (SDM Vol. 3A, 5.8.8; Vol. 2B, SYSCALL/SYSRET).
; SYSCALL switches neither stacks nor anything else: RIP goes to rcx, RFLAGS to r11, and the bits of FMASK
; (IF, TF, DF, AC, NT, IOPL) are cleared, so the entry runs with interrupts off on the user's stack. With one
; CPU running, a global holds the current thread's kernel stack top (the same value as TSS.RSP0), and the
; user's rsp is parked in a global for the few instructions until it is on the kernel stack.
; The saved frame has the InterruptFrame layout (Arch/InterruptFrame.cs), so a system call and an interrupt
; from ring 3 look the same to the scheduler, to kill and to the fault paths.
bits 64
section .text

%include "smap.inc"
%include "sse.inc"

USER_DATA_SELECTOR  equ 0x18 | 3
USER_CODE_SELECTOR  equ 0x20 | 3
SYSCALL_VECTOR      equ 0x100

FRAME_RIP           equ 17 * 8
FRAME_CS            equ 18 * 8
FRAME_RFLAGS        equ 19 * 8
FRAME_RSP           equ 20 * 8
FRAME_SS            equ 21 * 8

RFLAGS_IF           equ 1 << 9
; Bits never handed back to ring 3 by SYSRET: TF, IOPL, NT, RF, VM (IRETQ from ring 0 could set IOPL).
RFLAGS_UNSAFE       equ (1 << 8) | (3 << 12) | (1 << 14) | (1 << 16) | (1 << 17)
LOWER_HALF_END      equ 0x0000800000000000

extern KernelSyscallDispatch
extern KernelInterruptReturn

global KernelSyscallEntry
KernelSyscallEntry:
    mov [rel syscall_user_rsp], rsp
    mov rsp, [rel syscall_kernel_rsp]
    push USER_DATA_SELECTOR
    push qword [rel syscall_user_rsp]
    push r11
    push USER_CODE_SELECTOR
    push rcx
    push 0                      ; error code
    push SYSCALL_VECTOR
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    mov rbx, rsp
    sub rsp, SSE_SAVE_BYTES
    and rsp, ~15
    SSE_SAVE
    sti                         ; system calls run with interrupts on, as any kernel code does
    call KernelSyscallDispatch
    cli
    SSE_RESTORE
    mov rsp, rbx

    ; SYSRET only to a user frame with a canonical lower-half RIP: SYSRET with a non-canonical RCX raises #GP
    ; in ring 0 on the user's stack on Intel CPUs. Anything else (a frame the kernel changed) leaves by IRETQ.
    cmp qword [rsp + FRAME_CS], USER_CODE_SELECTOR
    jne .iret
    cmp qword [rsp + FRAME_SS], USER_DATA_SELECTOR
    jne .iret
    mov rcx, LOWER_HALF_END
    cmp [rsp + FRAME_RIP], rcx
    jae .iret
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11                     ; replaced below by the saved RFLAGS
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx                     ; replaced below by the saved RIP
    pop rbx
    pop rax
    add rsp, 16                 ; vector, error code
    mov rcx, [rsp]              ; RIP
    mov r11, [rsp + 16]         ; RFLAGS
    and r11, ~RFLAGS_UNSAFE
    or r11, RFLAGS_IF
    mov rsp, [rsp + 24]         ; the user's RSP: the kernel stack is left here, interrupts still off
    o64 sysret
.iret:
    jmp KernelInterruptReturn

; void KernelSetSyscallStack(ulong top): the kernel stack SYSCALL switches to (the running thread's).
global KernelSetSyscallStack, KernelSyscallEntryAddress
KernelSetSyscallStack:
    mov [rel syscall_kernel_rsp], rdi
    ret
KernelSyscallEntryAddress:
    lea rax, [rel KernelSyscallEntry]
    ret

section .bss
align 8
syscall_kernel_rsp: resq 1
syscall_user_rsp: resq 1
