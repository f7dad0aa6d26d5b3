; The entry of every user program and its system-call stub: the only assembly of the user runtime (the
; corlib's own stubs, Kernel/Runtime/runtime.asm, are assembled in too).
bits 64
section .text

; The kernel starts a process here as Linux does (System V AMD64 ABI, 3.4.1): rsp 16-byte aligned and
; pointing at argc, argv[] above it; every other register zero.
extern UserStart
global _start
_start:
    xor ebp, ebp
    mov rdi, [rsp]
    lea rsi, [rsp + 8]
    call UserStart
    ud2                         ; UserStart ends the process and never returns

; long UserSyscall(long number, long a0, long a1, long a2, long a3, long a4): moves the System V argument
; registers into the system-call convention (rax = number; rdi, rsi, rdx, r10, r8). SYSCALL itself
; clobbers rcx and r11, which the caller does not expect to survive a call anyway.
global UserSyscall
UserSyscall:
    mov rax, rdi
    mov rdi, rsi
    mov rsi, rdx
    mov rdx, rcx
    mov r10, r8
    mov r8, r9
    syscall
    ret

; int UserCodePrivilegeLevel(): the CPL, the low two bits of CS.
global UserCodePrivilegeLevel
UserCodePrivilegeLevel:
    mov eax, cs
    and eax, 3
    ret
