# gdb commands for the kernel, for use with `make debug` (QEMU halted, its gdbstub on :1234); from the
# repository root:
#
#   gdb build/kernel.elf -x tools/kernel.gdb -ex 'target remote :1234'
#
# build/kernel.elf is the image GRUB loads, without debug information; gdb finds the DWARF ilc wrote (C# files
# and lines, types, locals) in build/kernel.debug through the image's .gnu_debuglink section. Then, e.g.:
#
#   break Kernel/Memory/MemoryManager.cs:120      a C# file and line
#   break kernel_main                             a function by its symbol (namespace_Class__Method)
#   continue / bt / info locals / finish
#
# Commands defined here (help COMMAND for each):
#   kpanic        stop at every panic, before the panic screen is drawn
#   kproc         the current thread and its process (published by Kernel/Tasks/DebuggerView.cs)
#   kps           every process in the process table
#   kpt ADDR      walk the current page tables (CR3) for a virtual address
#   kstr EXPR     a C# string
#
# Managed names in gdb: classes are kernel_Namespace_Class (kernel_Kernel_Tasks_Scheduler), static fields
# Class::s_name, auto-property fields '<Name>k__BackingField' (reach those from Python, as below).

set pagination off
set confirm off
set print pretty on
set disassembly-flavor intel
python
import gdb

# Kernel/Memory/KernelLayout.cs and Kernel.Mem/Paging/PageTableEntry.cs.
DIRECT_MAP_BASE = 0xFFFF800000000000
ADDRESS_MASK = 0x000FFFFFFFFFF000
LARGE_ADDRESS_MASK = 0x000FFFFFFFE00000
HUGE_ADDRESS_MASK = 0x000FFFFFC0000000
PRESENT, WRITABLE, USER, PWT, PCD, ACCESSED, DIRTY, LARGE, GLOBAL = (1 << b for b in (0, 1, 2, 3, 4, 5, 6, 7, 8))
NO_EXECUTE = 1 << 63


def reference(value):
    """The address a managed reference holds (ilc's DWARF types references as C++ references), 0 for null."""
    if value.type.code == gdb.TYPE_CODE_REF:
        return int(value.address)
    return int(value)


def read_u64(address):
    return int.from_bytes(bytes(gdb.selected_inferior().read_memory(address, 8)), "little")


def managed_string(address):
    """A System.String at address: length at +8, UTF-16 characters from +12."""
    if address == 0:
        return "null"
    inferior = gdb.selected_inferior()
    length = int.from_bytes(bytes(inferior.read_memory(address + 8, 4)), "little")
    if length > 4096:
        return "<string of %d characters at 0x%x>" % (length, address)
    return bytes(inferior.read_memory(address + 12, 2 * length)).decode("utf-16-le", "replace")


def managed_object(address, type_name):
    return gdb.Value(address).cast(gdb.lookup_type(type_name).pointer()).dereference()


def field(obj, name):
    """A field of a managed object by its C# name (auto-properties are stored as <Name>k__BackingField)."""
    for f in obj.type.fields():
        if f.name in (name, "<%s>k__BackingField" % name):
            return obj[f]
    raise gdb.GdbError("no field %s in %s" % (name, obj.type))


def published(symbol):
    """An object reference the kernel publishes for the debugger (Kernel/Tasks/DebuggerView.cs)."""
    return read_u64(int(gdb.parse_and_eval("(unsigned long)&" + symbol)))


def describe_process(address):
    if address == 0:
        return "(none)"
    process = managed_object(address, "kernel_Kernel_Tasks_Process")
    return "pid %d %s, %s%s" % (int(field(process, "Pid")), managed_string(reference(field(process, "Name"))),
                                field(process, "State"), ", kernel task" if bool(field(process, "IsKernelTask")) else "")


class KernelPanicBreak(gdb.Command):
    """Stop at every panic, before its report is drawn: each one ends in one of PanicScreen's Show methods
    (Kernel/Arch/PanicScreen.cs; the caller in Kernel/Panic.cs is the next frame of bt)."""

    def __init__(self):
        super().__init__("kpanic", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, argument, from_tty):
        for method in ("Show", "ShowThrow", "ShowException", "ShowUnexpectedVector"):
            gdb.Breakpoint("kernel_Kernel_Arch_PanicScreen__" + method)


class KernelCurrentProcess(gdb.Command):
    """The current thread (the scheduler's) and the process that owns it."""

    def __init__(self):
        super().__init__("kproc", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        address = published("kernel_debugger_current_thread")
        if address == 0:
            print("no current thread yet (the scheduler starts after the memory manager)")
            return
        thread = managed_object(address, "kernel_Kernel_Tasks_Thread")
        print("thread %s at 0x%x: %s, root table 0x%x, ticks %d" % (
            managed_string(reference(field(thread, "Name"))), address, field(thread, "State"),
            int(field(thread, "RootTable")), int(field(thread, "Ticks"))))
        print("process: " + describe_process(reference(field(thread, "Owner"))))


class KernelProcesses(gdb.Command):
    """Every process in the process table, in pid order."""

    def __init__(self):
        super().__init__("kps", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        address = published("kernel_debugger_first_process")
        for _ in range(4096):
            if address == 0:
                return
            print(describe_process(address))
            address = reference(field(managed_object(address, "kernel_Kernel_Tasks_Process"), "NextInTable"))


class KernelPageWalk(gdb.Command):
    """kpt ADDR: walk the page tables CR3 points at for virtual ADDR, reading the tables through the direct map
    (so only once the memory manager has switched to its own tables)."""

    def __init__(self):
        super().__init__("kpt", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        # The cast makes a function's name (kpt kernel_main) an address like any number.
        virtual = int(gdb.parse_and_eval("(unsigned long)(%s)" % argument)) & 0xFFFFFFFFFFFFFFFF
        table = int(gdb.parse_and_eval("$cr3")) & ADDRESS_MASK
        print("0x%016x: CR3 0x%x" % (virtual, table))
        for level, shift in (("PML4E", 39), ("PDPTE", 30), ("PDE", 21), ("PTE", 12)):
            index = (virtual >> shift) & 511
            entry = read_u64(DIRECT_MAP_BASE + table + index * 8)
            print("  %-5s[%3d] 0x%016x %s" % (level, index, entry, flags(entry)))
            if not entry & PRESENT:
                print("-> not present")
                return
            if level in ("PDPTE", "PDE") and entry & LARGE:
                mask = HUGE_ADDRESS_MASK if level == "PDPTE" else LARGE_ADDRESS_MASK
                size = 1 << shift
                print("-> physical 0x%x (%s page)" % ((entry & mask) + (virtual & (size - 1)), "1 GiB" if level == "PDPTE" else "2 MiB"))
                return
            table = entry & ADDRESS_MASK
        print("-> physical 0x%x (4 KiB page)" % (table + (virtual & 0xFFF)))


def flags(entry):
    names = [("P", PRESENT), ("W", WRITABLE), ("U", USER), ("PWT", PWT), ("PCD", PCD), ("A", ACCESSED), ("D", DIRTY),
             ("PS", LARGE), ("G", GLOBAL), ("NX", NO_EXECUTE)]
    return " ".join(name for name, bit in names if entry & bit)


class KernelString(gdb.Command):
    """kstr EXPR: the text of a C# string reference."""

    def __init__(self):
        super().__init__("kstr", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        print(managed_string(reference(gdb.parse_and_eval(argument))))


KernelPanicBreak()
KernelCurrentProcess()
KernelProcesses()
KernelPageWalk()
KernelString()
end
