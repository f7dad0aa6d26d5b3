; Interrupt entry stubs. Each vector pushes an error code (0 where the CPU pushes none, SDM Vol. 3A 6.13)
; and its number, then the common path saves the general registers and the SSE registers (managed code uses
; xmm registers; see sse.inc) and calls the managed dispatcher with a pointer to the saved frame.
bits 64
section .text

%include "smap.inc"
%include "sse.inc"

extern KernelInterruptDispatch

%macro VECTOR_NO_ERROR 1
vector_%1:
    push qword 0
    push qword %1
    jmp interrupt_common
%endmacro

%macro VECTOR_WITH_ERROR 1
vector_%1:
    push qword %1
    jmp interrupt_common
%endmacro

; Vectors 8, 10-14, 17, 21, 29, 30 carry a CPU error code. All 256 vectors get a stub, so a stray
; `int n` or a spurious vector reaches the dispatcher and is named instead of raising #GP/#NP.
%assign v 0
%rep 256
%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
    VECTOR_WITH_ERROR v
%else
    VECTOR_NO_ERROR v
%endif
%assign v v + 1
%endrep

interrupt_common:
    SMAP_CLOSE                  ; a user's RFLAGS.AC must not open user pages to the kernel (SMAP)
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
    cld
    mov rdi, rsp
    mov rbx, rsp
    sub rsp, SSE_SAVE_BYTES
    and rsp, ~15
    SSE_SAVE
    call KernelInterruptDispatch
    SSE_RESTORE
    mov rsp, rbx
; Leaves through the saved frame at rsp: every general register, then IRETQ. The system-call exit and a new
; thread's first entry to ring 3 come here too.
global KernelInterruptReturn
KernelInterruptReturn:
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16
    iretq

section .rodata
global KernelVectorTable
align 8
KernelVectorTable:
%assign v 0
%rep 256
    dq vector_ %+ v
%assign v v + 1
%endrep

section .text
global KernelVectorTableAddress
KernelVectorTableAddress:
    lea rax, [rel KernelVectorTable]
    ret
