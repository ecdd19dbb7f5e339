using System.Net;

namespace Mnemora.Client;

/// <summary>
/// An import body read from the caller's stream, which stays the caller's (not disposed). A seekable
/// stream is rewound for each attempt, so a retry sends the whole file again; a forward-only one is sent once.
/// </summary>
internal sealed class ImportContent : HttpContent
{
    private readonly Stream _export;
    private readonly long _start;
    private bool _sent;

    public ImportContent(Stream export, string mediaType)
    {
        _export = export;
        _start = export.CanSeek ? export.Position : -1;
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        Rewind();
        await _export.CopyToAsync(stream, cancellationToken);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _export.CanSeek ? _export.Length - _start : 0;
        return _export.CanSeek;
    }

    private void Rewind()
    {
        if (_export.CanSeek)
        {
            _export.Position = _start;
        }
        else if (_sent)
        {
            throw new InvalidOperationException("The import stream cannot be read twice: give ImportAsync a seekable stream (a file) for the call to be retried.");
        }

        _sent = true;
    }
}
