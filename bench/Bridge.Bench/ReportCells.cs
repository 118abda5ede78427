using System.Globalization;

namespace Bridge.Bench;

/// <summary>Table cells the reports share, so that one figure reads the same in every table.</summary>
internal static class ReportCells
{
    /// <summary>The server CPU per delivery, µs, or a dash for a row that did not run.</summary>
    public static string Cpu(ThroughputResult? result) =>
        result is null ? "–" : result.MedianServerCpu.ToString("F2", CultureInfo.InvariantCulture);

    /// <summary><paramref name="numerator"/> / <paramref name="denominator"/> as <c>1.23×</c>, or a dash when either is missing.</summary>
    public static string Factor(double? numerator, double? denominator) =>
        numerator is { } n && denominator is { } d && d > 0 ? (n / d).ToString("F2", CultureInfo.InvariantCulture) + "×" : "–";
}
