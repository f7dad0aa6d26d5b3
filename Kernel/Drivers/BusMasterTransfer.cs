using Kernel.Memory;

namespace Kernel.Drivers
{
    /// <summary>
    /// The memory of one bus-master IDE transfer: a physical region descriptor table and the regions it
    /// lists, each a DMA buffer below 4 GiB of at most 64 KiB that does not cross a 64 KiB boundary
    /// (SFF-8038i rev. 1.0, "Physical Region Descriptor"). The object is made once; its buffers are taken for each request
    /// with <see cref="Allocate"/> and given back with <see cref="Free"/>.
    /// </summary>
    internal sealed unsafe class BusMasterTransfer
    {
        public const int MaxRegions = 8;
        public const ulong MaxBytes = MaxRegions * PrdEntry.MaxRegionBytes;

        // The descriptor table must be dword aligned and must not cross a 64 KiB boundary (SFF-8038i, the
        // descriptor table pointer register); the table pointer holds bits 31-2 only.
        private const ulong TableAlignment = 4;
        private const ulong TableBoundary = 64 * 1024;
        // PRD base bit 0 is reserved: a region starts on a word.
        private const ulong RegionAlignment = 2;
        private const ulong RegionBoundary = 64 * 1024;

        private readonly DmaBuffer[] _regions = new DmaBuffer[MaxRegions];
        private DmaBuffer _table;
        private int _regionCount;
        private ulong _bytes;

        public ulong TablePhysical => _table.Physical;

        public int RegionCount => _regionCount;

        /// <summary>Bytes the regions hold together (0 when nothing is allocated).</summary>
        public ulong Bytes => _bytes;

        public DmaBuffer Region(int index) => _regions[index];

        /// <summary>
        /// Takes a table and as many regions of up to 64 KiB as <paramref name="bytes"/> (even, at most
        /// <see cref="MaxBytes"/>) needs, and writes the descriptors. False, holding nothing, when memory
        /// below 4 GiB runs out or the size is unusable.
        /// </summary>
        public bool Allocate(ulong bytes)
        {
            Free();
            if (bytes == 0 || bytes > MaxBytes || (bytes & 1) != 0)
            {
                return false;
            }
            _table = DmaBuffers.Allocate((ulong)(MaxRegions * sizeof(PrdEntry)), TableAlignment, TableBoundary, DmaConstraint.Below4GiB, "ide prd table");
            if (!_table.IsValid)
            {
                return false;
            }
            PrdEntry* entries = (PrdEntry*)_table.Virtual;
            ulong left = bytes;
            while (left != 0)
            {
                ulong size = left < PrdEntry.MaxRegionBytes ? left : PrdEntry.MaxRegionBytes;
                DmaBuffer region = DmaBuffers.Allocate(size, RegionAlignment, RegionBoundary, DmaConstraint.Below4GiB, "ide region");
                if (!region.IsValid)
                {
                    Free();
                    return false;
                }
                entries[_regionCount].PhysicalBase = (uint)region.Physical;
                // A count of 0 stands for 64 KiB.
                entries[_regionCount].ByteCount = (ushort)size;
                entries[_regionCount].Flags = left == size ? PrdEntry.EndOfTable : (ushort)0;
                _regions[_regionCount++] = region;
                left -= size;
            }
            _bytes = bytes;
            return true;
        }

        /// <summary>Gives the table and every region back; harmless when nothing is held.</summary>
        public void Free()
        {
            for (int i = 0; i < _regionCount; i++)
            {
                DmaBuffers.Free(_regions[i]);
                _regions[i] = default;
            }
            _regionCount = 0;
            _bytes = 0;
            DmaBuffers.Free(_table);
            _table = default;
        }
    }
}
