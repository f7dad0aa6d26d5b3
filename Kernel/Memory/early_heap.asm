bits 64

; The early object heap that serves `new` until the kernel heap runs on its own frames. Boot uses about
; 50 KiB of it (the memory map, zone and CPU tables, the symbol index); it is never freed, so it is sized
; with a margin rather than generously: it is part of the image and costs RAM on every machine.
EARLY_HEAP_SIZE equ 512 * 1024
section .bss
align 4096
early_heap: resb EARLY_HEAP_SIZE
early_heap_end:

section .text
global KernelEarlyHeapStart, KernelEarlyHeapEnd
KernelEarlyHeapStart:
    lea rax, [rel early_heap]
    ret
KernelEarlyHeapEnd:
    lea rax, [rel early_heap_end]
    ret
