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

; int HostileHasNoExecute(): CPUID leaf 0x80000001, EDX bit 20 (CPUID runs in ring 3).
global HostileHasNoExecute
HostileHasNoExecute:
    push rbx
    mov eax, 0x80000001
    cpuid
    mov eax, edx
    shr eax, 20
    and eax, 1
    pop rbx
    ret
