using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Kernel.Bench.Columns;

/// <summary>
/// Each benchmark's mean divided by the mean of a second reference method with the same parameters: the
/// Ratio column's idea for a peer that is not the baseline (BenchmarkDotNet allows one baseline per class).
/// </summary>
public sealed class PeerRatioColumn : IColumn
{
    private readonly string _method;

    public PeerRatioColumn(string method, string columnName)
    {
        _method = method;
        ColumnName = columnName;
    }

    public string Id => nameof(PeerRatioColumn) + "." + _method;
    public string ColumnName { get; }
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => $"Mean / the mean of {_method} with the same parameters (below 1 is faster than {_method})";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(b => b.Descriptor.WorkloadMethod.Name == _method);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        BenchmarkReport peer = summary.Reports.FirstOrDefault(r =>
            r.BenchmarkCase.Descriptor.Type == benchmarkCase.Descriptor.Type
            && r.BenchmarkCase.Descriptor.WorkloadMethod.Name == _method
            && r.BenchmarkCase.Parameters.ValueInfo == benchmarkCase.Parameters.ValueInfo);
        double? mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        double? peerMean = peer?.ResultStatistics?.Mean;
        return mean.HasValue && peerMean.HasValue && peerMean.Value > 0 ? (mean.Value / peerMean.Value).ToString("0.00") : "-";
    }

    public override string ToString() => ColumnName;
}
