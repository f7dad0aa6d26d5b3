namespace System.Runtime.CompilerServices;

public class CallConvCdecl
{
}

public class CallConvStdcall
{
}

public class CallConvFastcall
{
}

public class CallConvThiscall
{
}

public class CallConvSuppressGCTransition
{
}

public class CallConvMemberFunction
{
}
