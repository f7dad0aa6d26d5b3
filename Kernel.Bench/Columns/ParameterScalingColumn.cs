using System;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Kernel.Bench.Columns;

/// <summary>
/// Each benchmark's mean divided by the same method's mean at the smallest value of an integer parameter:
/// how the cost grows with it (for custom fit, the goal is at most 2 from 100 to 10,000 holes).
/// </summary>
public sealed class ParameterScalingColumn : IColumn
{
    private readonly string _parameter;

    public ParameterScalingColumn(string parameter) => _parameter = parameter;

    public string Id => nameof(ParameterScalingColumn) + "." + _parameter;
    public string ColumnName => "Scaling";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 1;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => $"Mean / the same method's mean at the smallest {_parameter}";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(b => b.HasParameters && b.Parameters[_parameter] != null);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        BenchmarkReport smallest = summary.Reports
            .Where(r => r.BenchmarkCase.Descriptor.Type == benchmarkCase.Descriptor.Type
                && r.BenchmarkCase.Descriptor.WorkloadMethod.Name == benchmarkCase.Descriptor.WorkloadMethod.Name
                && r.BenchmarkCase.Parameters[_parameter] != null)
            .OrderBy(r => Convert.ToInt64(r.BenchmarkCase.Parameters[_parameter]))
            .FirstOrDefault();
        double? mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        double? smallestMean = smallest?.ResultStatistics?.Mean;
        return mean.HasValue && smallestMean.HasValue && smallestMean.Value > 0 ? (mean.Value / smallestMean.Value).ToString("0.00") : "-";
    }

    public override string ToString() => ColumnName;
}
