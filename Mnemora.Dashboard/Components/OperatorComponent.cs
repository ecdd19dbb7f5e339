using Microsoft.AspNetCore.Components;

namespace Mnemora.Dashboard.Components;

/// <summary>A component that calls the operator API: its calls stop when the operator leaves the page.</summary>
public abstract class OperatorComponent : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource _leaving = new();

    /// <summary>Cancelled when the component goes away (navigation, closed circuit).</summary>
    protected CancellationToken Leaving => _leaving.Token;

    public void Dispose()
    {
        _leaving.Cancel();
        _leaving.Dispose();
        GC.SuppressFinalize(this);
    }
}
