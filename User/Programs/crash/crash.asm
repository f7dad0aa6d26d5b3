; The faults a C# program cannot provoke by itself. Each is a single instruction the kernel must survive.
bits 64
section .text

global CrashPrivileged, CrashInvalidOpcode, CrashDivide, CrashSingleStep, CrashInterrupt
CrashPrivileged:
    hlt                         ; ring 0 only: #GP(0)
    ret
CrashInvalidOpcode:
    ud2                         ; #UD
    ret
CrashDivide:
    xor ecx, ecx
    mov eax, edi
    cdq
    idiv ecx                    ; #DE
    ret
CrashSingleStep:
    pushfq
    or qword [rsp], 1 << 8      ; TF: a #DB trap after the next instruction
    popfq
    nop
    ret
CrashInterrupt:
    int 0x80                    ; a gate of DPL 0: #GP with the vector in the error code
    ret
