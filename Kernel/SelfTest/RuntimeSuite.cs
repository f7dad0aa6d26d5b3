using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kernel.Memory;

namespace Kernel.SelfTest;

/// <summary>
/// Proves the corlib and runtime helpers: objects, virtual and interface dispatch with three or more
/// implementers on values the compiler cannot fold, generics, statics, strings, delegates, Span, casts
/// and boxing. Every value that decides a dispatch passes through <see cref="Opaque"/> first. Every
/// object, array, string, closure and delegate a test makes is returned with
/// <see cref="ObjectAllocator.Free(object)"/> (there is no garbage collector), so the suite leaks nothing
/// and can run any number of times.
/// </summary>
internal sealed unsafe class RuntimeSuite : SelfTestSuite
{
    public override string Name => "runtime";

    // ---- types under test ----
    private abstract class Shape
    {
        public abstract int Sides { get; }
        public virtual int Weight => 1;
    }

    private sealed class Triangle : Shape
    {
        public override int Sides => 3;
    }

    private class Square : Shape
    {
        public override int Sides => 4;
        public override int Weight => 2;
    }

    private sealed class Pentagon : Shape
    {
        public override int Sides => 5;
        public override int Weight => 3;
    }

    private sealed class Cube : Square
    {
        public override int Weight => 6;
    }

    private interface ISound
    {
        int Code();
    }

    private interface INamed
    {
        string Label { get; }
    }

    private sealed class Bell : ISound, INamed
    {
        public int Code() => 10;
        public string Label => "bell";
    }

    private sealed class Drum : ISound, INamed
    {
        public int Code() => 20;
        public string Label => "drum";
    }

    private class Horn : ISound
    {
        public virtual int Code() => 30;
    }

    private sealed class Trumpet : Horn
    {
        public override int Code() => 40;
    }

    private sealed class Whistle : ISound
    {
        private readonly int _pitch;
        public Whistle(int pitch) => _pitch = pitch;
        public int Code() => 50 + _pitch;
    }

    private interface IValue<T>
    {
        T Get();
    }

    private sealed class IntValue : IValue<int>
    {
        public int Get() => 7;
    }

    private sealed class StringValue : IValue<string>
    {
        public string Get() => "seven";
    }

    private sealed class Box<T>
    {
        public T Value;
        public Box(T value) => Value = value;
    }

    private struct Pair<T1, T2>
    {
        public T1 First;
        public T2 Second;
    }

    [StructLayout(LayoutKind.Explicit)]
    private struct Overlay
    {
        [FieldOffset(0)] public ulong Whole;
        [FieldOffset(0)] public uint Low;
        [FieldOffset(4)] public uint High;
    }

    /// <summary>
    /// A class whose static constructor reports to <see cref="s_lazyConstructions"/>, outside the class, so
    /// the count can be read without running it (a field of the class itself would run it to be read).
    /// </summary>
    private static class LazyStatics
    {
        public static readonly int Value;

        static LazyStatics()
        {
            s_lazyConstructions++;
            Value = Opaque(41) + 1;
        }
    }

    private enum Colour
    {
        Red,
        Green,
        Blue,
    }

    private static int s_preinitialized = 1234;
    private static readonly string s_greeting = "hello";
    private static readonly int[] s_table = { 2, 3, 5, 7, 11 };
    private static int s_closureCounter;
    private static int s_lazyConstructions;
    private static int s_staticsRuns;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Opaque(int value) => value;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T OpaqueObject<T>(T value) => value;

    private static int Twice(int x) => 2 * x;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int CallSound(ISound sound) => sound.Code();

    // A delegate over a static method, or over a lambda that captures nothing, is made once and cached
    // by the compiler in a static field: it lives for the kernel's lifetime and must never be freed.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Func<int, int> StaticMethodDelegate() => Twice;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Action CounterLambda() => () => s_closureCounter++;

    /// <summary>
    /// The one-time allocations behind this suite: the interface-dispatch cache (made on the first
    /// interface call anywhere) and the two compiler-cached delegates above.
    /// </summary>
    public override void WarmUp()
    {
        ISound bell = new Bell();
        CallSound(bell);
        ObjectAllocator.Free(bell);
        StaticMethodDelegate();
        CounterLambda();
    }

    public override void Run(TestContext test)
    {
        Objects(test);
        VirtualDispatch(test);
        InterfaceDispatch(test);
        Generics(test);
        Statics(test);
        Strings(test);
        Delegates(test);
        Spans(test);
        CastsAndBoxing(test);
        Structs(test);
        TryFinally(test);
        MemoryPrimitives(test);
    }

    private static void MemoryPrimitives(TestContext test)
    {
        byte* buffer = stackalloc byte[64];
        for (int i = 0; i < 64; i++)
        {
            buffer[i] = (byte)i;
        }
        // Overlap with the destination above the source (must copy backwards), 19 bytes: 2 words + tail.
        System.Runtime.RuntimeExports.memmove(buffer + 5, buffer + 2, (nuint)Opaque(19));
        bool up = buffer[5] == 2 && buffer[23] == 20 && buffer[4] == 4 && buffer[24] == 24;
        for (int i = 0; i < 64; i++)
        {
            buffer[i] = (byte)i;
        }
        System.Runtime.RuntimeExports.memmove(buffer + 2, buffer + 5, (nuint)Opaque(19));
        bool down = buffer[2] == 5 && buffer[20] == 23 && buffer[1] == 1 && buffer[21] == 21;
        System.Runtime.RuntimeExports.memset(buffer + 3, 0xEE, (nuint)Opaque(13));
        bool filled = buffer[2] == 5 && buffer[3] == 0xEE && buffer[15] == 0xEE && buffer[16] == 19;
        test.Check(up && down, "memory.memmove_handles_overlap_both_ways", "overlapping copy corrupted the data");
        test.Check(filled, "memory.memset_fills_exactly_the_range", "memset wrote outside or missed bytes");
    }

    private static void Objects(TestContext test)
    {
        Box<int> a = new Box<int>(Opaque(5));
        Box<int> b = new Box<int>(Opaque(6));
        test.Check(a != b && a.Value == 5 && b.Value == 6, "objects.distinct_instances_keep_fields", "fields mixed up between instances");
        int[] numbers = new int[Opaque(100)];
        bool zeroed = true;
        for (int i = 0; i < numbers.Length; i++)
        {
            zeroed &= numbers[i] == 0;
            numbers[i] = i * i;
        }
        test.Check(zeroed && numbers.Length == 100 && numbers[99] == 9801, "objects.arrays_are_zeroed_and_sized", "array not zeroed or wrong length");
        ObjectAllocator.Free(a);
        ObjectAllocator.Free(b);
        ObjectAllocator.Free(numbers);

        ulong inUse = MemoryManager.Heap.GetStatistics().BlockBytesInUse;
        Box<long> box = new Box<long>(Opaque(1));
        ulong withBox = MemoryManager.Heap.GetStatistics().BlockBytesInUse;
        bool freed = ObjectAllocator.Free(box) == Kernel.Mem.Heap.FreeStatus.Freed;
        test.Check(withBox > inUse && freed && MemoryManager.Heap.GetStatistics().BlockBytesInUse == inUse,
            "objects.explicit_free_returns_the_block", "new did not take a block, or Free did not give it back");
    }

    private static void VirtualDispatch(TestContext test)
    {
        Shape[] shapes = { new Triangle(), new Square(), new Pentagon(), new Cube() };
        int sides = 0;
        int weight = 0;
        for (int i = 0; i < shapes.Length; i++)
        {
            Shape shape = shapes[Opaque(i)];
            sides += shape.Sides;
            weight += shape.Weight;
        }
        test.CheckEqual(3 + 4 + 5 + 4, (ulong)sides, "virtual.abstract_overrides");
        test.CheckEqual(1 + 2 + 3 + 6, (ulong)weight, "virtual.base_and_derived_overrides");
        FreeAll(shapes);
    }

    /// <summary>Frees every element of an array of objects, then the array.</summary>
    private static void FreeAll(object[] objects)
    {
        for (int i = 0; i < objects.Length; i++)
        {
            ObjectAllocator.Free(objects[i]);
        }
        ObjectAllocator.Free(objects);
    }

    private static void InterfaceDispatch(TestContext test)
    {
        ISound[] sounds = { new Bell(), new Drum(), new Horn(), new Trumpet(), new Whistle(Opaque(9)) };
        int sum = 0;
        for (int i = 0; i < sounds.Length; i++)
        {
            sum += sounds[Opaque(i)].Code();
        }
        test.CheckEqual(10 + 20 + 30 + 40 + 59, (ulong)sum, "interface.five_implementers");

        // The same call site twice with changing receivers exercises the resolved-target cache.
        int again = 0;
        for (int round = 0; round < 3; round++)
        {
            for (int i = sounds.Length - 1; i >= 0; i--)
            {
                again += sounds[Opaque(i)].Code();
            }
        }
        test.CheckEqual((ulong)(3 * sum), (ulong)again, "interface.cached_targets_follow_the_receiver");

        // One call site, five receiver types, many rounds: after the first round every call must be a
        // cache hit, so misses stay bounded by the number of (type, call site) pairs.
        ulong missesBefore = Internal.Runtime.InterfaceDispatch.Misses;
        int polymorphic = 0;
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < sounds.Length; i++)
            {
                polymorphic += CallSound(sounds[Opaque(i)]);
            }
        }
        ulong misses = Internal.Runtime.InterfaceDispatch.Misses - missesBefore;
        test.Check(polymorphic == 20 * sum && misses <= (ulong)sounds.Length, "interface.cache_serves_a_polymorphic_call_site", "more misses than receiver types: the cache is not keyed by type");

        INamed named = OpaqueObject<INamed>(new Drum());
        test.Check(named.Label == "drum", "interface.second_interface_on_same_class", "wrong label");

        object boxedInt = OpaqueObject<object>(new IntValue());
        object boxedString = OpaqueObject<object>(new StringValue());
        IValue<int> intValue = (IValue<int>)boxedInt;
        IValue<string> stringValue = (IValue<string>)boxedString;
        test.Check(intValue.Get() == 7 && stringValue.Get() == "seven", "interface.generic_interfaces", "generic interface call returned the wrong value");
        FreeAll(sounds);
        ObjectAllocator.Free(named);
        ObjectAllocator.Free(boxedInt);
        ObjectAllocator.Free(boxedString);
    }

    private static void Generics(TestContext test)
    {
        Box<string> text = new Box<string>(OpaqueObject("abc"));
        Box<long> number = new Box<long>(Opaque(3) * 1000000000000L);
        Pair<int, string> pair;
        pair.First = Opaque(1);
        pair.Second = "one";
        test.Check(text.Value == "abc" && number.Value == 3000000000000L && pair.First == 1 && pair.Second == "one", "generics.over_value_and_reference_types", "generic field values wrong");
        int[] values = new int[] { 4, Opaque(9), 2 };
        test.CheckEqual(9, (ulong)Largest(values), "generics.array_argument");
        ObjectAllocator.Free(values);
        ObjectAllocator.Free(text);
        ObjectAllocator.Free(number);
        string left = OpaqueObject("left");
        string right = OpaqueObject("right");
        long one = Opaque(1);
        long two = Opaque(2);
        Swap(ref left, ref right);
        Swap(ref one, ref two);
        test.Check(left == "right" && right == "left" && one == 2 && two == 1, "generics.generic_method_over_value_and_reference", "swap did not swap");
    }

    private static int Largest(int[] values)
    {
        int best = values[0];
        for (int i = 1; i < values.Length; i++)
        {
            best = values[i] > best ? values[i] : best;
        }
        return best;
    }

    private static void Swap<T>(ref T a, ref T b)
    {
        T t = a;
        a = b;
        b = t;
    }

    private static void Statics(TestContext test)
    {
        test.CheckEqual(1234, (ulong)s_preinitialized, "statics.preinitialized_field");
        test.Check(s_greeting == "hello" && s_table.Length == 5 && s_table[4] == 11, "statics.readonly_reference_statics", "GC static not initialised");
        // The suite may run again from the shell: the constructor runs at the first access of the first run.
        bool firstRun = s_staticsRuns++ == 0;
        int before = s_lazyConstructions;
        int value = LazyStatics.Value;
        int after = s_lazyConstructions;
        int again = LazyStatics.Value;
        test.Check(value == 42 && again == 42 && before == (firstRun ? 0 : 1) && after == 1 && s_lazyConstructions == 1,
            "statics.static_constructor_runs_at_first_access_and_once", "cctor ran early, late, never or more than once");
    }

    private static void Strings(TestContext test)
    {
        string joined = string.Concat(OpaqueObject("ker"), OpaqueObject("nel"));
        test.Check(joined == "kernel" && joined.Length == 6 && joined[3] == 'n', "strings.concat_length_index", "concat produced the wrong text");
        string negative = Opaque(-12345).ToString();
        string unsigned = ((ulong)Opaque(42)).ToString();
        test.Check(negative == "-12345" && unsigned == "42", "strings.number_formatting", "ToString of numbers wrong");
        test.CheckEqual(3, (ulong)Classify(OpaqueObject("gamma")), "strings.switch_on_string");
        string tail = joined.Substring(3);
        test.Check(tail == "nel" && joined.StartsWith("ker"), "strings.substring_startswith", "substring wrong");
        ObjectAllocator.Free(joined);
        ObjectAllocator.Free(negative);
        ObjectAllocator.Free(unsigned);
        ObjectAllocator.Free(tail);
    }

    private static int Classify(string name)
    {
        switch (name)
        {
            case "alpha": return 1;
            case "beta": return 2;
            case "gamma": return 3;
            case "delta": return 4;
            case "epsilon": return 5;
            case "zeta": return 6;
            case "eta": return 7;
            default: return 0;
        }
    }

    private static void Delegates(TestContext test)
    {
        Func<int, int> twice = StaticMethodDelegate();
        int offset = Opaque(100);
        Func<int, int> addOffset = x => x + offset;
        Action bump = CounterLambda();
        int before = s_closureCounter;
        bump();
        bump();
        Shape cube = new Cube();
        Func<int> weight = () => cube.Weight;
        test.CheckEqual(14, (ulong)twice(Opaque(7)), "delegates.static_method");
        test.CheckEqual(107, (ulong)addOffset(Opaque(7)), "delegates.closure_over_local");
        test.CheckEqual(2, (ulong)(s_closureCounter - before), "delegates.action_on_static");
        test.CheckEqual(6, (ulong)weight(), "delegates.closure_calling_virtual");
        test.Check((object)twice == StaticMethodDelegate() && (object)bump == CounterLambda(),
            "delegates.capture_free_delegates_are_cached", "a delegate that captures nothing was made anew");

        // Both lambdas capture locals of this method, so they share one closure object (their Target):
        // the delegates, the closure and the object it holds are this call's to free.
        object closure = addOffset.Target;
        test.Check(closure != null && closure == weight.Target && twice.Target == null,
            "delegates.lambdas_share_their_closure_as_target", "Target is not the shared closure, or not null for a static method");
        ObjectAllocator.Free(addOffset);
        ObjectAllocator.Free(weight);
        ObjectAllocator.Free(cube);
        ObjectAllocator.Free(closure);
    }

    private static void Spans(TestContext test)
    {
        Span<int> stack = stackalloc int[16];
        for (int i = 0; i < stack.Length; i++)
        {
            stack[i] = i;
        }
        Span<int> middle = stack.Slice(Opaque(4), 8);
        int sum = 0;
        for (int i = 0; i < middle.Length; i++)
        {
            sum += middle[i];
        }
        test.CheckEqual(4 + 5 + 6 + 7 + 8 + 9 + 10 + 11, (ulong)sum, "span.stackalloc_and_slice");
        byte[] bytes = new byte[32];
        new Span<byte>(bytes).Fill(0xAB);
        Span<byte> head = new Span<byte>(bytes, 0, 8);
        head.Clear();
        test.Check(bytes[7] == 0 && bytes[8] == 0xAB && bytes[31] == 0xAB, "span.fill_and_clear_over_array", "fill/clear touched the wrong bytes");
        ObjectAllocator.Free(bytes);
        ReadOnlySpan<char> chars = "span";
        test.Check(chars.Length == 4 && chars[2] == 'a', "span.readonly_span_of_string", "string span wrong");
    }

    private static void CastsAndBoxing(TestContext test)
    {
        object shape = OpaqueObject<object>(new Cube());
        test.Check(shape is Square && shape is Shape && !(shape is Triangle) && shape as Pentagon == null, "casts.class_hierarchy", "is/as on classes wrong");
        object sound = OpaqueObject<object>(new Trumpet());
        test.Check(sound is ISound && !(sound is INamed), "casts.interfaces", "is on interfaces wrong");
        object boxed = Opaque(77);
        int unboxed = (int)boxed;
        object boxedLong = (long)Opaque(5);
        test.Check(unboxed == 77 && boxed is int && !(boxed is long) && (long)boxedLong == 5, "casts.boxing_and_unboxing", "box/unbox wrong");
        object[] covariant = new string[] { "a", "b" };
        covariant[1] = OpaqueObject("c");
        test.Check((string)covariant[1] == "c", "casts.covariant_array_store", "covariant store failed");
        object strings = OpaqueObject<object>(new string[] { "x" });
        object jagged = OpaqueObject<object>(new int[][] { new int[1] });
        object ints = OpaqueObject<object>(new int[2]);
        test.Check(strings is object[] && jagged is object[] && !(ints is object[]) && ((object[])strings).Length == 1 && ints is Array,
            "casts.array_covariance_at_run_time", "string[]/int[][] not seen as object[], or int[] wrongly was");
        object boxedEnum = OpaqueObject<object>(Colour.Blue);
        test.Check((int)boxedEnum == 2 && (Colour)boxedEnum == Colour.Blue, "casts.enum_unboxes_as_its_underlying_type", "unboxing an enum as int failed");

        // The strings in the arrays are literals in the image, not heap objects: only the arrays are freed.
        ObjectAllocator.Free(shape);
        ObjectAllocator.Free(sound);
        ObjectAllocator.Free(boxed);
        ObjectAllocator.Free(boxedLong);
        ObjectAllocator.Free(covariant);
        ObjectAllocator.Free(strings);
        FreeAll((object[])jagged);
        ObjectAllocator.Free(ints);
        ObjectAllocator.Free(boxedEnum);
    }

    private static void Structs(TestContext test)
    {
        Overlay overlay = default;
        overlay.Whole = 0x1122334455667788UL + (ulong)Opaque(0);
        test.Check(overlay.Low == 0x55667788 && overlay.High == 0x11223344, "structs.explicit_layout", "overlay fields wrong");
        Pair<long, double> copy = default;
        copy.First = Opaque(3);
        copy.Second = 2.5 * Opaque(2);
        Pair<long, double> second = copy;
        second.First = 9;
        test.Check(copy.First == 3 && second.First == 9 && copy.Second == 5.0, "structs.copy_semantics_and_double_math", "struct copy or double math wrong");
    }

    /// <summary>
    /// Finally blocks on the ways out of a try that jump (there is no unwinder, so no exception can leave
    /// one): a return, whose value must survive the finally; break and continue out of a loop body; and
    /// nested blocks, inner first. Each jump must call the finally code the compiler put aside.
    /// </summary>
    private static void TryFinally(TestContext test)
    {
        int steps = 0;
        int returned = ReturnThroughFinally(ref steps);
        test.Check(returned == 5 && steps == 11, "control.finally_runs_on_return_and_keeps_the_value", "finally skipped or return value changed");

        int bodies = 0;
        int finallies = 0;
        for (int i = 0; i < Opaque(10); i++)
        {
            try
            {
                if (i == Opaque(3))
                {
                    break;
                }
                bodies++;
                continue;
            }
            finally
            {
                finallies++;
            }
        }
        test.Check(bodies == 3 && finallies == 4, "control.finally_runs_on_break_and_continue", "a loop exit skipped its finally");

        int order = 0;
        NestedFinally(ref order);
        test.CheckEqual(123, (ulong)order, "control.nested_finally_runs_inner_first");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReturnThroughFinally(ref int steps)
    {
        try
        {
            steps += Opaque(1);
            return Opaque(5);
        }
        finally
        {
            steps += 10;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void NestedFinally(ref int order)
    {
        try
        {
            try
            {
                order = Opaque(1);
                return;
            }
            finally
            {
                order = order * 10 + 2;
            }
        }
        finally
        {
            order = order * 10 + 3;
        }
    }
}
