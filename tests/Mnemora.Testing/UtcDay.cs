namespace Mnemora.Testing;

/// <summary>
/// For tests against the running system whose assertions name the UTC day (calls today, the daily history,
/// the daily quota's reset, the billing month). The system keeps real time, so a run that crosses midnight
/// UTC would see two days: such a run is repeated once, and the repeat cannot cross midnight again.
/// </summary>
public static class UtcDay
{
    public static async Task RunAsync(Func<Task> test, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var day = time.GetUtcNow().Date;
        try
        {
            await test();
        }
        catch (Exception) when (time.GetUtcNow().Date != day)
        {
            await test();
        }
    }

    /// <summary>Today's date (UTC) as the API writes it, <c>yyyy-MM-dd</c>, from <paramref name="time"/>.</summary>
    public static string Today(TimeProvider? time = null) =>
        (time ?? TimeProvider.System).GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
