; The instructions C# cannot express, one tiny function each (System V calling convention:
; arguments in rdi, rsi, rdx, rcx; result in rax).
bits 64
section .text

global CpuInByte, CpuInWord, CpuInDword, CpuOutByte, CpuOutWord, CpuOutDword
CpuInByte:
    mov edx, edi
    xor eax, eax
    in al, dx
    ret
CpuInWord:
    mov edx, edi
    xor eax, eax
    in ax, dx
    ret
CpuInDword:
    mov edx, edi
    in eax, dx
    ret
CpuOutByte:
    mov edx, edi
    mov eax, esi
    out dx, al
    ret
CpuOutWord:
    mov edx, edi
    mov eax, esi
    out dx, ax
    ret
CpuOutDword:
    mov edx, edi
    mov eax, esi
    out dx, eax
    ret

global CpuReadCr0, CpuReadCr2, CpuReadCr3, CpuReadCr4, CpuWriteCr0, CpuWriteCr3, CpuWriteCr4
CpuReadCr0:
    mov rax, cr0
    ret
CpuReadCr2:
    mov rax, cr2
    ret
CpuReadCr3:
    mov rax, cr3
    ret
CpuReadCr4:
    mov rax, cr4
    ret
CpuWriteCr0:
    mov cr0, rdi
    ret
CpuWriteCr3:
    mov cr3, rdi
    ret
CpuWriteCr4:
    mov cr4, rdi
    ret

global CpuReadMsr, CpuWriteMsr
CpuReadMsr:
    mov ecx, edi
    rdmsr
    shl rdx, 32
    or rax, rdx
    ret
CpuWriteMsr:
    mov ecx, edi
    mov eax, esi
    mov rdx, rsi
    shr rdx, 32
    wrmsr
    ret

; CpuId(leaf, subleaf, uint* result4)
global CpuId
CpuId:
    push rbx
    mov eax, edi
    mov ecx, esi
    mov r8, rdx
    cpuid
    mov [r8], eax
    mov [r8 + 4], ebx
    mov [r8 + 8], ecx
    mov [r8 + 12], edx
    pop rbx
    ret

global CpuReadTsc
CpuReadTsc:
    lfence
    rdtsc
    shl rdx, 32
    or rax, rdx
    ret

global CpuInvalidatePage, CpuHalt, CpuDisableInterrupts, CpuEnableInterrupts, CpuPause, CpuBreakpoint, CpuWaitForInterrupt
CpuInvalidatePage:
    invlpg [rdi]
    ret
CpuHalt:
    cli
.again:
    hlt
    jmp .again
CpuDisableInterrupts:
    cli
    ret
CpuEnableInterrupts:
    sti
    ret
CpuWaitForInterrupt:
    sti
    hlt
    ret
CpuPause:
    pause
    ret
CpuBreakpoint:
    int3
    ret

global CpuReadFlags, CpuReadFramePointer, CpuReadStackPointer
CpuReadFlags:
    pushfq
    pop rax
    ret
CpuReadFramePointer:
    mov rax, rbp
    ret
CpuReadStackPointer:
    lea rax, [rsp + 8]
    ret

; CpuLoadIdt(void* descriptor), CpuLoadGdt(void* descriptor, ushort codeSelector, ushort dataSelector)
global CpuLoadIdt, CpuLoadGdt, CpuLoadTaskRegister
CpuLoadIdt:
    lidt [rdi]
    ret
CpuLoadGdt:
    lgdt [rdi]
    mov ds, dx
    mov es, dx
    mov ss, dx
    ; Reload CS with a far return: push the selector and the return address, then retfq.
    pop rax
    push rsi
    push rax
    retfq
CpuLoadTaskRegister:
    ltr di
    ret

extern __text_start, __text_end
global KernelTextStart, KernelTextEnd
KernelTextStart:
    lea rax, [rel __text_start]
    ret
KernelTextEnd:
    lea rax, [rel __text_end]
    ret

global CpuInvalidOpcode
CpuInvalidOpcode:
    ud2
    ret

; CpuCompareExchange32(int* location, int value, int comparand): atomically stores value when *location
; equals comparand; returns the value found (SDM Vol. 2A, CMPXCHG with LOCK).
global CpuCompareExchange32
CpuCompareExchange32:
    mov eax, edx
    lock cmpxchg [rdi], esi
    ret

; CpuSpinLockAcquire(uint* word): saves RFLAGS, disables interrupts, then takes the lock word 0 -> 1 with
; LOCK CMPXCHG, spinning on plain reads (with PAUSE) while another CPU holds it; returns the saved RFLAGS.
; One stub for the whole acquire: under emulation every call and return costs a translation-block lookup.
global CpuSpinLockAcquire
CpuSpinLockAcquire:
    pushfq
    pop r8
    cli
    mov ecx, 1
.try:
    xor eax, eax
    lock cmpxchg [rdi], ecx
    jnz .held
    mov rax, r8
    ret
.held:
    pause
    cmp dword [rdi], 0
    jne .held
    jmp .try

; CpuSpinLockRelease(uint* word, ulong flags): frees the lock word with a plain store, which is a release on
; x86 (stores are not reordered with older loads or stores: SDM Vol. 3A, "Memory Ordering in P6 and More
; Recent Processor Families"), then sets IF again when flags had it.
global CpuSpinLockRelease
CpuSpinLockRelease:
    mov dword [rdi], 0
    test esi, 0x200
    jz .done
    sti
.done:
    ret
