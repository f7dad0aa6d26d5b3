namespace Kernel.Drivers;

/// <summary>Which way an ISA DMA transfer moves data, in the 8237's terms (mode register bits 3-2).</summary>
internal enum IsaDmaDirection
{
    /// <summary>"Write transfer" (01b): the device writes memory, e.g. a floppy READ DATA.</summary>
    DeviceToMemory,

    /// <summary>"Read transfer" (10b): the device reads memory, e.g. a floppy WRITE DATA.</summary>
    MemoryToDevice,
}
