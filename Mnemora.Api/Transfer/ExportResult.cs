using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;

namespace Mnemora.Api.Transfer;

/// <summary>
/// <c>200 application/x-ndjson</c>: the export streamed to the response body as it is read. The
/// records may already be started (the first one read, to tell an empty agent from a 404); this
/// result then owns them and disposes them. A store failing midway aborts the response, and the
/// missing end line tells the reader the file is incomplete.
/// </summary>
internal sealed class ExportResult(ExportHeader header, IAsyncEnumerator<ExportRecord> records, bool started, string fileName)
    : IResult, IStatusCodeHttpResult, IEndpointMetadataProvider
{
    public int StatusCode => StatusCodes.Status200OK;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var cancellationToken = httpContext.RequestAborted;
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = ExportFormat.MediaType + "; charset=utf-8";
        response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        response.Headers.CacheControl = "no-store";

        await using (records)
        {
            await using var writer = new ExportWriter(response.BodyWriter);
            await writer.WriteHeaderAsync(header, cancellationToken);
            if (started || await records.MoveNextAsync())
            {
                do
                {
                    await writer.WriteAsync(records.Current, cancellationToken);
                }
                while (await records.MoveNextAsync());
            }

            await writer.WriteEndAsync(cancellationToken);
        }
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), [ExportFormat.MediaType]));
}
