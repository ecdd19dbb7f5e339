using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Mnemora.Api.Tests.Silent;

/// <summary>
/// A TCP forwarder on a loopback port in front of one store. <see cref="Silent"/> turns it into a black hole:
/// it still accepts connections but neither forwards nor answers, and the connections it was forwarding stop
/// too (their store side is closed, their client side is held open and never read or written), so a pooled
/// connection goes as silent as a new one. Back to forwarding, the held connections are closed.
/// <see cref="StallBodies"/> is a half-dead store instead: each response's headers still arrive, then its
/// connection is held like a silent one's, so a client waits on a body that never comes.
/// </summary>
public sealed class SilentProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Forwarding, byte> _forwarding = new();
    private readonly ConcurrentQueue<Socket> _held = new();
    private readonly Lock _switch = new();
    private readonly Task _accepting;
    private (string Host, int Port)? _target;
    private bool _silent;
    private volatile bool _stallBodies;
    private int _accepted;
    private int _stalled;

    public SilentProxy()
    {
        _listener.Start();
        _accepting = AcceptAsync(_stop.Token);
    }

    /// <summary>The loopback port clients connect to.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections accepted so far, forwarded or held: proof that a client's traffic goes through the proxy.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Answers cut after their headers while <see cref="StallBodies"/> was on.</summary>
    public int Stalled => Volatile.Read(ref _stalled);

    /// <summary>Where connections are forwarded; set once the store's address is known (before the first client connects).</summary>
    public void ForwardTo(string host, int port) => _target = (host, port);

    public bool Silent
    {
        get
        {
            lock (_switch)
            {
                return _silent;
            }
        }

        set
        {
            lock (_switch)
            {
                _silent = value;
                if (value)
                {
                    foreach (var forwarding in _forwarding.Keys)
                    {
                        Hold(forwarding);
                    }
                }
                else
                {
                    ReleaseHeld();
                }
            }
        }
    }

    /// <summary>Forward each response up to the end of its headers (HTTP/1.1), then hold the connection.</summary>
    public bool StallBodies
    {
        get => _stallBodies;
        set
        {
            lock (_switch)
            {
                _stallBodies = value;
                if (!value)
                {
                    ReleaseHeld();
                }
            }
        }
    }

    /// <summary>Closes the connections held open, so their clients see them end.</summary>
    private void ReleaseHeld()
    {
        while (_held.TryDequeue(out var held))
        {
            held.Dispose();
        }
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptSocketAsync(cancellationToken);
                Interlocked.Increment(ref _accepted);
                _ = ServeAsync(client, cancellationToken);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken cancellationToken)
    {
        lock (_switch)
        {
            if (_silent)
            {
                _held.Enqueue(client);
                return;
            }
        }

        var target = _target ?? throw new InvalidOperationException("The proxy has no target yet.");
        var store = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await store.ConnectAsync(target.Host, target.Port, cancellationToken);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException)
        {
            store.Dispose();
            client.Dispose();
            return;
        }

        var forwarding = new Forwarding(client, store, CancellationTokenSource.CreateLinkedTokenSource(cancellationToken));
        lock (_switch)
        {
            if (_silent)
            {
                // Went silent while connecting: this connection is held like the others.
                store.Dispose();
                _held.Enqueue(client);
                return;
            }

            _forwarding[forwarding] = 0;
        }

        var token = forwarding.Cancel.Token;
        await Task.WhenAny(PumpAsync(client, store, null, token), PumpAsync(store, client, forwarding, token));
        lock (_switch)
        {
            _forwarding.TryRemove(forwarding, out _);
            if (!forwarding.Held)
            {
                // One side ended: the connection ends, as it would without the proxy.
                client.Dispose();
                store.Dispose();
            }
        }

        forwarding.Cancel.Dispose();
    }

    /// <summary>Stops forwarding one connection: the store side closes, the client side stays open and unanswered.</summary>
    private void Hold(Forwarding forwarding)
    {
        forwarding.Held = true;
        forwarding.Cancel.Cancel();
        forwarding.Store.Dispose();
        _held.Enqueue(forwarding.Client);
    }

    /// <summary>Copies one direction of a connection; for a store's answers (<paramref name="answers"/>), stalls bodies when asked.</summary>
    private async Task PumpAsync(Socket from, Socket to, Forwarding? answers, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                var headersEnd = answers is not null && _stallBodies ? buffer.AsSpan(0, read).IndexOf("\r\n\r\n"u8) : -1;
                if (headersEnd >= 0)
                {
                    await to.SendAsync(buffer.AsMemory(0, headersEnd + 4), SocketFlags.None, cancellationToken);
                    Interlocked.Increment(ref _stalled);
                    lock (_switch)
                    {
                        _forwarding.TryRemove(answers!, out _);
                        Hold(answers!);
                    }

                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken);
            }
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Silent = false;
        foreach (var forwarding in _forwarding.Keys)
        {
            forwarding.Client.Dispose();
            forwarding.Store.Dispose();
        }

        _stop.Dispose();
    }

    private sealed class Forwarding(Socket client, Socket store, CancellationTokenSource cancel)
    {
        public Socket Client { get; } = client;
        public Socket Store { get; } = store;
        public CancellationTokenSource Cancel { get; } = cancel;
        public bool Held { get; set; }
    }
}
