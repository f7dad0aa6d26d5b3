namespace System.Runtime.CompilerServices;

/// <summary>What ilc passes to the class-constructor check: the address of a not-yet-run cctor.</summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
public struct StaticClassConstructionContext
{
    public nint cctorMethodAddress;
}
