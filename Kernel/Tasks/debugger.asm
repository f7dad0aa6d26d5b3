; What tools/kernel.gdb reads to show the current thread and the process table (Kernel/Tasks/DebuggerView.cs):
; two object references at fixed symbols, because the locations ilc's DWARF gives for static fields do not
; match where this runtime keeps its static bases.

bits 64

; In .bss, not .data: the linker script merges .tdata into .data, which makes gdb take its symbols for
; thread-local variables.
section .bss
align 8
global kernel_debugger_view, kernel_debugger_current_thread, kernel_debugger_first_process
kernel_debugger_view:
kernel_debugger_current_thread: resq 1
kernel_debugger_first_process:  resq 1

section .text
global KernelDebuggerView
KernelDebuggerView:
    lea rax, [rel kernel_debugger_view]
    ret
