; Switching kernel stacks between threads, and the first instructions a new thread runs.
bits 64
section .text

extern KernelInterruptReturn
extern KernelThreadFinishSwitch
extern KernelThreadEnterUser

; void KernelSwitchStack(ulong* saveStackPointer, ulong stackPointer): saves the callee-saved registers
; (System V) and the whole FPU state (FXSAVE: x87, MXCSR, xmm; entries to the kernel save only what kernel
; code changes, see sse.inc) on the current stack, stores the stack pointer through the first argument, takes
; the second as the stack pointer and returns into the thread that saved it there. Called with interrupts
; disabled, from managed code (rsp 16-byte aligned before the call, so the FXSAVE area below the six
; registers is aligned too: a new thread's first stack is laid out the same way, Scheduler.Create*Thread).
%define SWITCH_FPU_BYTES 520        ; 512 for FXSAVE, 8 to align it
global KernelSwitchStack
KernelSwitchStack:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    sub rsp, SWITCH_FPU_BYTES
    fxsave [rsp]
    mov [rdi], rsp
    mov rsp, rsi
    fxrstor [rsp]
    add rsp, SWITCH_FPU_BYTES
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; Where a new user thread's first switch returns to: its stack holds the InterruptFrame of its first entry to
; ring 3 (rip = the program's entry, rsp = argc). The FPU/SSE state starts clean (FCW 0x37F, MXCSR 0x1F80,
; every register zero) so nothing of the kernel's leaks into the program.
global KernelThreadStartUser
KernelThreadStartUser:
    mov rdi, rsp                ; the frame
    call KernelThreadEnterUser
    fxrstor [rel initial_fpu_state]
    jmp KernelInterruptReturn

; Where a new kernel thread's first switch returns to: rbx (restored by the switch) holds its entry point.
global KernelThreadStartKernel
KernelThreadStartKernel:
    call KernelThreadFinishSwitch
    sti
    call rbx
    ud2                         ; a kernel thread's entry never returns

global KernelThreadStartUserAddress, KernelThreadStartKernelAddress, KernelInitialFpuStateAddress
KernelInitialFpuStateAddress:
    lea rax, [rel initial_fpu_state]
    ret
KernelThreadStartUserAddress:
    lea rax, [rel KernelThreadStartUser]
    ret
KernelThreadStartKernelAddress:
    lea rax, [rel KernelThreadStartKernel]
    ret

section .rodata
; An FXSAVE image (SDM Vol. 1, 10.5.1): FCW at byte 0, MXCSR at byte 24, everything else zero.
align 16
initial_fpu_state:
    dw 0x037F
    times 22 db 0
    dd 0x1F80
    times 512 - 28 db 0
