; Single-instruction memory probes with fixups (see FaultProbe.cs). Return 1 on success, 0 on a fault.
bits 64
section .text
global KernelProbeRead, KernelProbeWrite, KernelProbeExecute, KernelProbeSites

KernelProbeRead:
probe_read_site:
    mov al, [rdi]
    mov [rsi], al
    mov eax, 1
    ret

KernelProbeWrite:
probe_write_site:
    mov [rdi], sil
    mov eax, 1
    ret

KernelProbeExecute:
    call rdi
    mov eax, 1
    ret

probe_fixup:
    xor eax, eax
    ret

probe_execute_fixup:
    xor eax, eax
    ret

KernelProbeSites:
    lea rax, [rel probe_sites]
    ret

section .data
align 8
probe_sites:
    dq probe_read_site, probe_write_site, probe_fixup, probe_execute_fixup
