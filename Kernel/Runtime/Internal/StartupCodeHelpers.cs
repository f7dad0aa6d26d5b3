using System;
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime;

/// <summary>
/// Brings the module to life before managed code runs: allocates the GC-static holders (copying their
/// preinitialised data), then runs eager class constructors and module initialisers. The module's
/// ReadyToRun header is found through the single pointer ilc puts in the <c>__modules</c> section.
/// </summary>
internal static unsafe class StartupCodeHelpers
{
    private const uint ReadyToRunSignature = 0x00525452; // "RTR"
    private const int GcStaticRegion = 201;
    private const int EagerClassConstructors = 205;
    private const int ModuleInitializers = 213;
    private const nint Uninitialized = 1;
    private const nint HasPreinitializedData = 2;
    private const nint FlagMask = 3;

    [RuntimeImport("*", "KernelModulesStart")]
    [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void** ModulesStart();

    [RuntimeImport("*", "KernelModulesEnd")]
    [MethodImpl(MethodImplOptions.InternalCall)]
    private static extern void** ModulesEnd();

    internal static void InitializeModules()
    {
        for (void** module = ModulesStart(); module < ModulesEnd(); module++)
        {
            byte* header = (byte*)*module;
            if (*(uint*)header != ReadyToRunSignature)
            {
                RuntimeHost.FailFast("module has no ReadyToRun header");
            }
            InitializeGcStatics(header);
            RunFunctionList(header, EagerClassConstructors);
            RunFunctionList(header, ModuleInitializers);
        }
    }

    private static bool FindSection(byte* header, int id, out byte* start, out byte* end)
    {
        int count = *(ushort*)(header + 12);
        byte* row = header + 16;
        for (int i = 0; i < count; i++, row += 24)
        {
            if (*(int*)row == id)
            {
                start = *(byte**)(row + 8);
                end = *(byte**)(row + 16);
                return true;
            }
        }
        start = null;
        end = null;
        return false;
    }

    private static byte* ReadRelative(byte* field) => field + *(int*)field;

    private static void InitializeGcStatics(byte* header)
    {
        if (!FindSection(header, GcStaticRegion, out byte* start, out byte* end))
        {
            return;
        }
        for (byte* entry = start; entry < end; entry += 4)
        {
            byte* cell = ReadRelative(entry);
            nint value = (nint)ReadRelative(cell);
            if ((value & Uninitialized) == 0)
            {
                continue;
            }
            MethodTable* holderType = (MethodTable*)(value & ~FlagMask);
            object holder = RuntimeExports.AllocateObject(holderType);
            byte* holderData = (byte*)Unsafe.AsPointer(ref Unsafe.As<RawData>(holder).Data);
            if ((value & HasPreinitializedData) != 0)
            {
                byte* data = ReadRelative(cell + 4);
                RuntimeExports.memmove(holderData, data, (nuint)holderType->ValueTypeSize);
            }
            *(object*)cell = holder;
        }
    }

    private static void RunFunctionList(byte* header, int id)
    {
        if (!FindSection(header, id, out byte* start, out byte* end))
        {
            return;
        }
        for (byte* entry = start; entry < end; entry += 4)
        {
            ((delegate*<void>)ReadRelative(entry))();
        }
    }
}
