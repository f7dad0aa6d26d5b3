; InterfaceDispatch.CacheBits and the hash's shift and multiplier: the stub and Resolve must agree.
%define INTERFACE_CACHE_BITS 9
%define INTERFACE_CELL_SHIFT 7

; Runtime pieces that must be assembly: a write barrier the JIT expects to clobber almost nothing, the
; interface-dispatch entry that must preserve every argument register, data symbols ilc references, the
; stack probe and the memory primitives. Like the rest of Kernel/Runtime, this file is assembled into the
; kernel and into every user program.
bits 64
section .text

; RhpByRefAssignRef: copy one reference from [rsi] to [rdi], advancing both (no GC: no barrier).
global RhpByRefAssignRef
RhpByRefAssignRef:
    movsq
    ret

; Interface calls arrive here with r11 = the dispatch cell, rdi = the receiver and the call's own arguments
; in place. The fast path looks the (receiver type, cell) pair up in InterfaceDispatch's cache of resolved
; targets with the same hash, touching only rax and r10 (scratch in the calling convention, no arguments):
; under QEMU/TCG an interface call cost about 470 cycles more than a direct one when every call saved the
; argument registers and ran Resolve, about 120 with this lookup (membench, four calls in a row). The
; target is read before the key, so an entry rewritten by an interrupt between the reads cannot pair a
; matching key with another pair's target. A miss, a null receiver or no cache yet takes the slow path.
extern KernelResolveInterfaceCall
global RhpInitialDynamicInterfaceDispatch
RhpInitialDynamicInterfaceDispatch:
    mov r10, [rel KernelInterfaceCache]
    test r10, r10
    jz .resolve
    test rdi, rdi
    jz .resolve
    mov rax, r11
    shl rax, INTERFACE_CELL_SHIFT
    xor rax, [rdi]
    imul rax, [rel KernelInterfaceHashMultiplier]
    shr rax, 64 - INTERFACE_CACHE_BITS
    lea rax, [rax + rax * 2]
    lea r10, [r10 + rax * 8]
    mov rax, [r10 + 16]
    cmp r11, [r10 + 8]
    jne .resolve
    push rax
    mov rax, [rdi]
    cmp rax, [r10]
    pop rax
    jne .resolve
    jmp rax
.resolve:
    push rdi
    push rsi
    push rdx
    push rcx
    push r8
    push r9
    sub rsp, 8 * 16 + 8
    movdqu [rsp + 0x00], xmm0
    movdqu [rsp + 0x10], xmm1
    movdqu [rsp + 0x20], xmm2
    movdqu [rsp + 0x30], xmm3
    movdqu [rsp + 0x40], xmm4
    movdqu [rsp + 0x50], xmm5
    movdqu [rsp + 0x60], xmm6
    movdqu [rsp + 0x70], xmm7
    mov rsi, r11
    call KernelResolveInterfaceCall
    movdqu xmm0, [rsp + 0x00]
    movdqu xmm1, [rsp + 0x10]
    movdqu xmm2, [rsp + 0x20]
    movdqu xmm3, [rsp + 0x30]
    movdqu xmm4, [rsp + 0x40]
    movdqu xmm5, [rsp + 0x50]
    movdqu xmm6, [rsp + 0x60]
    movdqu xmm7, [rsp + 0x70]
    add rsp, 8 * 16 + 8
    pop r9
    pop r8
    pop rcx
    pop rdx
    pop rsi
    pop rdi
    jmp rax

; KernelSetInterfaceCache(cache): publishes the cache of resolved interface targets to the dispatch stub.
global KernelSetInterfaceCache
KernelSetInterfaceCache:
    mov [rel KernelInterfaceCache], rdi
    ret

extern __modules_start, __modules_end
global KernelModulesStart, KernelModulesEnd
KernelModulesStart:
    lea rax, [rel __modules_start]
    ret
KernelModulesEnd:
    lea rax, [rel __modules_end]
    ret

section .data
global __security_cookie, RhpTrapThreads
align 8
__security_cookie: dq 0x2B992DDFA23249D6
RhpTrapThreads: dd 0
; The cache of resolved interface targets (InterfaceDispatch.s_cache), 0 until the first interface call.
global KernelInterfaceCache
KernelInterfaceCache: dq 0
KernelInterfaceHashMultiplier: dq 0x9E3779B97F4A7C15

; RhpStackProbe: ilc calls this for frames larger than a page with rax = the lowest address the frame will
; use; touching each page in order turns a stack overflow into a guard-page fault, not silent corruption.
global RhpStackProbe
RhpStackProbe:
    mov r11, rsp
    and r11, ~0xFFF
.probe:
    sub r11, 0x1000
    cmp r11, rax
    jb .done
    test [r11], r11
    jmp .probe
.done:
    ret

; memset/memcpy/memmove for ilc's code and the corlib: string instructions moving eight bytes at a time,
; then the tail byte by byte. Fast on hardware (fast string operations, SDM Vol. 1, 7.3.9.3) and under
; QEMU's emulator, which runs each repetition as one step.
section .text
global memset, memcpy, memmove
memset:                         ; rdi = destination, esi = byte, rdx = count; returns destination
    mov r9, rdi
    movzx eax, sil
    mov r8, 0x0101010101010101
    imul rax, r8
    mov rcx, rdx
    shr rcx, 3
    rep stosq
    mov rcx, rdx
    and rcx, 7
    rep stosb
    mov rax, r9
    ret

memcpy:                         ; rdi = destination, rsi = source, rdx = count; returns destination
    mov rax, rdi
    mov rcx, rdx
    shr rcx, 3
    rep movsq
    mov rcx, rdx
    and rcx, 7
    rep movsb
    ret

memmove:                        ; like memcpy, but copies backwards when the destination overlaps above
    mov rax, rdi
    cmp rdi, rsi
    jbe .forward
    lea r8, [rsi + rdx]
    cmp rdi, r8
    jae .forward
    ; Backwards: the tail bytes from the end, then the quadwords, with the direction flag set.
    lea rsi, [rsi + rdx - 1]
    lea rdi, [rdi + rdx - 1]
    std
    mov rcx, rdx
    and rcx, 7
    rep movsb
    sub rsi, 7
    sub rdi, 7
    mov rcx, rdx
    shr rcx, 3
    rep movsq
    cld
    ret
.forward:
    mov rcx, rdx
    shr rcx, 3
    rep movsq
    mov rcx, rdx
    and rcx, 7
    rep movsb
    ret
