bits 64
section .text

; ulong SysbenchReadTsc(): the time stamp counter, ordered after earlier loads (RDTSC is allowed in ring 3
; while CR4.TSD is clear).
global SysbenchReadTsc
SysbenchReadTsc:
    lfence
    rdtsc
    shl rdx, 32
    or rax, rdx
    ret
