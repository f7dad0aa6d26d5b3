using System.Runtime.CompilerServices;

namespace Kernel.Mem.Heap;

/// <summary>
/// The page allocator's holes ordered by (size, address), so that custom fit can take the lowest-addressed
/// hole of a given size and the lowest-addressed of the largest ones, as FOS's address-ordered scan does,
/// without a scan. The holes of each size form a treap keyed by the hole's first page: a binary search tree
/// that is also a max-heap on a priority, here a fixed hash of the page (a bijection, so no two pages tie).
/// Its shape depends only on the set of pages in it, and its expected depth is O(log k) for k holes of that
/// size. The non-empty sizes form a <see cref="SizeBitmap"/>, which finds the largest in O(log64 sizes).
/// </summary>
/// <remarks>
/// The trees are intrusive: a hole's links (left, right, parent) are the record of its first page, three
/// words per page of the area (only holes' first pages use theirs), and each size keeps its lowest node
/// rather than its root (the root is where the parents end). With k the holes of the size concerned:
/// <see cref="TakeLowest"/> unlinks a node without a left child and finds the next lowest a few steps away,
/// O(1) expected; <see cref="Remove"/> rotates the node down past its expected fewer than two descendants on
/// the inner spines of its subtrees and unlinks it, O(1) expected; <see cref="Add"/> searches from the lowest
/// node (up its left spine, then down), O(log k) expected and O(1) when the hole is the new lowest, then
/// rotates it up, fewer than two rotations expected. No operation allocates, and none recurses except
/// <see cref="Verify"/>; links are followed through pointers into the metadata, never into this struct,
/// which lives in a movable object.
/// </remarks>
internal unsafe struct HoleIndex
{
    /// <summary>The null link; areas are smaller than <see cref="PageTag.MaximumSize"/> pages, so no page has this index.</summary>
    public const uint None = uint.MaxValue;

    /// <summary>Above every priority: the bound a root's priority is checked against.</summary>
    private const ulong AbovePriorities = 1UL << 32;

    private const uint LinksPerPage = 3;
    private const uint LeftLink = 0;
    private const uint RightLink = 1;
    private const uint ParentLink = 2;

    private uint* _links;

    // The lowest page of each size, stored plus one so that zeroed metadata means "no hole of any size": the
    // index needs no initialisation, and a user heap whose metadata is backed on first touch pays for it
    // only where holes really are.
    private uint* _lowest;
    private uint _maximumSize;
    private SizeBitmap _sizes;

    /// <summary>The metadata bytes the index of an area of <paramref name="pageCount"/> pages takes.</summary>
    public static ulong MetadataBytes(uint pageCount) =>
        MetadataCarver.Round(LinksPerPage * (ulong)pageCount * sizeof(uint))
        + MetadataCarver.Round(((ulong)pageCount + 1) * sizeof(uint))
        + MetadataCarver.Round(SizeBitmap.WordsNeeded((ulong)pageCount + 1) * sizeof(ulong));

    /// <summary>
    /// Carves the index for holes of 1..<paramref name="pageCount"/> pages, starting at pages below
    /// <paramref name="pageCount"/>, from <paramref name="carver"/>, which must hold
    /// <see cref="MetadataBytes"/>(<paramref name="pageCount"/>) more bytes.
    /// </summary>
    public void Initialize(ref MetadataCarver carver, uint pageCount)
    {
        _maximumSize = pageCount;
        _links = (uint*)carver.Take(LinksPerPage * (ulong)pageCount * sizeof(uint));
        _lowest = (uint*)carver.Take(((ulong)pageCount + 1) * sizeof(uint));
        ulong* words = (ulong*)carver.Take(SizeBitmap.WordsNeeded((ulong)pageCount + 1) * sizeof(ulong));
        _sizes.Initialize(words, (ulong)pageCount + 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Lowest(ulong size) => _lowest[size] - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetLowest(ulong size, uint page) => _lowest[size] = page + 1;

    /// <summary>The size of the largest hole, or 0 when there is none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Largest() => (uint)_sizes.Largest();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool HasSize(uint size) => Lowest(size) != None;

    /// <summary>Files the hole of <paramref name="size"/> pages at <paramref name="page"/>, which must not be filed already.</summary>
    public void Add(uint page, uint size)
    {
        *Left(page) = None;
        *Right(page) = None;
        uint lowest = Lowest(size);
        if (lowest == None)
        {
            *Parent(page) = None;
            SetLowest(size, page);
            _sizes.Add(size);
            return;
        }
        uint parent;
        uint* slot;
        if (page < lowest)
        {
            parent = lowest;
            slot = Left(lowest);
            SetLowest(size, page);
        }
        else
        {
            // The lowest node's ancestors are its left spine, rising in address towards the root. Climb while
            // they lie below the page: the page then belongs in the right subtree of the node reached.
            uint node = lowest;
            uint up;
            while ((up = *Parent(node)) != None && up < page)
            {
                node = up;
            }
            parent = node;
            slot = Right(node);
            while (*slot != None)
            {
                parent = *slot;
                slot = page < parent ? Left(parent) : Right(parent);
            }
        }
        *slot = page;
        *Parent(page) = parent;
        uint priority = Priority(page);
        while ((parent = *Parent(page)) != None && Priority(parent) < priority)
        {
            RotateUp(page, parent);
        }
    }

    /// <summary>Takes the hole at <paramref name="page"/>, which must be filed under <paramref name="size"/>, out of the index.</summary>
    public void Remove(uint page, uint size)
    {
        if (page == Lowest(size))
        {
            TakeLowest(size);
            return;
        }
        // Rotate the node down, always lifting its higher-priority child, until it has at most one child.
        uint left;
        uint right;
        while ((left = *Left(page)) != None && (right = *Right(page)) != None)
        {
            RotateUp(Priority(left) > Priority(right) ? left : right, page);
        }
        Splice(page, left != None ? left : *Right(page));
    }

    /// <summary>
    /// Takes the lowest-addressed hole of <paramref name="size"/> pages out of the index and returns its first
    /// page; there must be one (<see cref="HasSize"/>). It has no left child, so its right subtree takes its
    /// place; the next lowest is that subtree's leftmost node, or without one, its parent.
    /// </summary>
    public uint TakeLowest(uint size)
    {
        uint node = Lowest(size);
        uint right = *Right(node);
        uint next = *Parent(node);
        Splice(node, right);
        if (right != None)
        {
            next = right;
            uint left;
            while ((left = *Left(next)) != None)
            {
                next = left;
            }
        }
        SetLowest(size, next);
        if (next == None)
        {
            _sizes.Remove(size);
        }
        return node;
    }

    /// <summary>
    /// Whether the tree for <paramref name="size"/> holds <paramref name="page"/>: up to the root, then a
    /// search down, O(log k) expected.
    /// </summary>
    public bool Contains(uint page, uint size)
    {
        uint node = Root(size, _maximumSize);
        while (node != None && node != page)
        {
            node = page < node ? *Left(node) : *Right(node);
        }
        return node == page && node != None;
    }

    /// <summary>
    /// Checks every tree (search order, heap order on the priorities, parent links, links inside the area,
    /// the lowest node kept per size), that the bitmap holds exactly the sizes with a tree, and that the trees
    /// hold <paramref name="expectedCount"/> nodes in all, then gives their total pages in
    /// <paramref name="pages"/>. O(sizes + holes), for tests and debugging; the recursion is as deep as the
    /// deepest tree, and a cycle is caught by the node count.
    /// </summary>
    public bool Verify(ulong expectedCount, out ulong pages)
    {
        pages = 0;
        ulong count = 0;
        uint largest = 0;
        for (uint size = 1; size <= _maximumSize; size++)
        {
            uint lowest = Lowest(size);
            if ((lowest != None) != _sizes.Contains(size))
            {
                return false;
            }
            if (lowest == None)
            {
                continue;
            }
            if (lowest >= _maximumSize || *Left(lowest) != None)
            {
                return false;
            }
            uint root = Root(size, expectedCount);
            if (root == None)
            {
                return false;
            }
            largest = size;
            ulong before = count;
            uint leftmost = root;
            while (*Left(leftmost) != None)
            {
                leftmost = *Left(leftmost);
            }
            if (leftmost != lowest
                || !VerifySubtree(root, None, 0, _maximumSize, AbovePriorities, expectedCount, ref count))
            {
                return false;
            }
            pages += (count - before) * size;
        }
        return count == expectedCount && Lowest(0) == None && !_sizes.Contains(0) && Largest() == largest;
    }

    /// <summary>
    /// The subtree at <paramref name="node"/>, the child of <paramref name="parent"/>, holds only pages in
    /// [low, high) with priorities below <paramref name="parentPriority"/>, each naming its parent.
    /// </summary>
    private bool VerifySubtree(uint node, uint parent, uint low, uint high, ulong parentPriority, ulong limit, ref ulong count)
    {
        if (node == None)
        {
            return true;
        }
        if (node < low || node >= high || *Parent(node) != parent || Priority(node) >= parentPriority || ++count > limit)
        {
            return false;
        }
        uint priority = Priority(node);
        return VerifySubtree(*Left(node), node, low, node, priority, limit, ref count)
            && VerifySubtree(*Right(node), node, node + 1, high, priority, limit, ref count);
    }

    /// <summary>The root of the tree for <paramref name="size"/>, climbing at most <paramref name="steps"/> parents; None when empty or not reached.</summary>
    private uint Root(uint size, ulong steps)
    {
        uint node = Lowest(size);
        if (node == None)
        {
            return None;
        }
        uint up;
        while ((up = *Parent(node)) != None)
        {
            if (steps-- == 0 || up >= _maximumSize)
            {
                return None;
            }
            node = up;
        }
        return node;
    }

    /// <summary>Lifts <paramref name="node"/> above its parent <paramref name="parent"/>, keeping the search order.</summary>
    private void RotateUp(uint node, uint parent)
    {
        uint grandparent = *Parent(parent);
        uint inner;
        if (*Left(parent) == node)
        {
            inner = *Right(node);
            *Left(parent) = inner;
            *Right(node) = parent;
        }
        else
        {
            inner = *Left(node);
            *Right(parent) = inner;
            *Left(node) = parent;
        }
        if (inner != None)
        {
            *Parent(inner) = parent;
        }
        *Parent(parent) = node;
        *Parent(node) = grandparent;
        if (grandparent != None)
        {
            *(*Left(grandparent) == parent ? Left(grandparent) : Right(grandparent)) = node;
        }
    }

    /// <summary>Puts <paramref name="child"/> (a subtree of <paramref name="node"/>, or None) in the place of <paramref name="node"/>.</summary>
    private void Splice(uint node, uint child)
    {
        uint parent = *Parent(node);
        if (child != None)
        {
            *Parent(child) = parent;
        }
        if (parent != None)
        {
            *(*Left(parent) == node ? Left(parent) : Right(parent)) = child;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint* Left(uint node) => _links + LinksPerPage * (ulong)node + LeftLink;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint* Right(uint node) => _links + LinksPerPage * (ulong)node + RightLink;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint* Parent(uint node) => _links + LinksPerPage * (ulong)node + ParentLink;

    /// <summary>
    /// The node's heap priority: MurmurHash3's 32-bit finaliser, a bijection that spreads neighbouring pages
    /// over the whole range, so the trees are balanced as if the priorities were random.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Priority(uint page)
    {
        uint h = page;
        h ^= h >> 16;
        h *= 0x85EB_CA6B;
        h ^= h >> 13;
        h *= 0xC2B2_AE35;
        h ^= h >> 16;
        return h;
    }
}
