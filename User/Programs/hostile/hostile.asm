; System calls made with a stack the kernel must never use.
bits 64
section .text

; long HostileSyscallWithStack(long number, ulong stackPointer): makes the call with rsp = stackPointer.
global HostileSyscallWithStack
HostileSyscallWithStack:
    push rbx
    mov rbx, rsp
    mov rax, rdi
    mov rsp, rsi
    syscall
    mov rsp, rbx
    pop rbx
    ret
