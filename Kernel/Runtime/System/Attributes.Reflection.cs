#pragma warning disable 169, 649

namespace System.Reflection;

public sealed class DefaultMemberAttribute : Attribute
{
    public DefaultMemberAttribute(string memberName)
    {
    }
}
