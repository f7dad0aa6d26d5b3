#pragma warning disable 169, 649

namespace System.Runtime;

/// <summary>Marks a method as a runtime helper that ilc's generated code calls by symbol name.</summary>
internal sealed class RuntimeExportAttribute : Attribute
{
    public RuntimeExportAttribute(string entry)
    {
    }
}

/// <summary>Binds an extern method to a symbol defined elsewhere (an assembly stub), called with the SysV ABI.</summary>
internal sealed class RuntimeImportAttribute : Attribute
{
    public RuntimeImportAttribute(string lib)
    {
    }

    public RuntimeImportAttribute(string lib, string entry)
    {
    }
}
