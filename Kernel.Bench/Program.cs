using System;
using System.Linq;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Kernel.Bench.Peers;
using Kernel.Bench.Reporting;

namespace Kernel.Bench;

/// <summary>
/// `make bench` (tools/build.sh bench): every benchmark, then the goal check and the deterministic report.
/// Arguments go to BenchmarkDotNet (`--filter *Churn*`, `--list flat`, ...), except `--report`, which
/// prints the deterministic report alone (metadata share, fragmentation) without timing anything, and
/// `--interleaved`, which times the goal figures with each allocator and its peer in alternate rounds.
/// </summary>
public static class Program
{
    private const string ReportOnlyOption = "--report";
    private const string InterleavedOption = "--interleaved";

    public static int Main(string[] args)
    {
        if (args.Contains(ReportOnlyOption))
        {
            PrintDeterministicReport();
            return 0;
        }
        if (args.Contains(InterleavedOption))
        {
            InterleavedReport.Print(Console.Out);
            return 0;
        }

        // With no arguments the switcher would ask on the console which benchmark to run.
        string[] switcherArgs = args.Length == 0 ? new[] { "--filter", "*" } : args;
        Summary[] summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(switcherArgs).ToArray();
        if (summaries.Length == 0)
        {
            return 0;
        }
        Console.WriteLine();
        GoalReport.Print(Console.Out, summaries);
        if (args.Length == 0)
        {
            // The same goals again with each allocator and its peer alternating: steadier on a shared host.
            InterleavedReport.Print(Console.Out);
            Console.WriteLine();
        }
        PrintDeterministicReport();
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    private static unsafe void PrintDeterministicReport()
    {
        int mimalloc = Mimalloc.Version();
        Console.WriteLine($"Peers: glibc {Marshal.PtrToStringUTF8((nint)Glibc.Version())}, mimalloc {mimalloc / 100}.{mimalloc / 10 % 10}.{mimalloc % 10} ({Mimalloc.Library})");
        Console.WriteLine();
        MetadataReport.Print(Console.Out);
        FragmentationReport.Print(Console.Out);
    }
}
