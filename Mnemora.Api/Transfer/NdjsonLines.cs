using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Mnemora.Api.Http;

namespace Mnemora.Api.Transfer;

/// <summary>One line of an NDJSON stream, numbered from 1; valid until the reader moves on.</summary>
internal readonly record struct NdjsonLine(int Number, ReadOnlySequence<byte> Bytes)
{
    public bool IsBlank
    {
        get
        {
            foreach (var segment in Bytes)
            {
                foreach (var b in segment.Span)
                {
                    if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
                    {
                        return false;
                    }
                }
            }

            return true;
        }
    }
}

/// <summary>Reads NDJSON line by line from a stream without ever holding more than one line (at most <c>maxLineBytes</c>) and a read buffer.</summary>
internal static class NdjsonLines
{
    public static async IAsyncEnumerable<NdjsonLine> ReadAsync(Stream stream, int maxLineBytes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        try
        {
            var number = 0;
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                while (buffer.PositionOf((byte)'\n') is { } end)
                {
                    var line = buffer.Slice(0, end);
                    buffer = buffer.Slice(buffer.GetPosition(1, end));
                    number++;
                    RequireLength(line.Length, number, maxLineBytes);
                    // The consumer reads the line before asking for the next; the buffer is released only after that.
                    yield return new NdjsonLine(number, line);
                }

                RequireLength(buffer.Length, number + 1, maxLineBytes);
                if (result.IsCompleted)
                {
                    if (buffer.Length > 0)
                    {
                        yield return new NdjsonLine(number + 1, buffer);
                    }

                    yield break;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static void RequireLength(long length, int number, int maxLineBytes)
    {
        if (length > maxLineBytes)
        {
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge,
                string.Create(CultureInfo.InvariantCulture, $"Line {number} is longer than {maxLineBytes} bytes. Nothing was imported."));
        }
    }
}
