using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Security.Cryptography;
using System.Threading;
using IsulaKata.Core;

namespace IsulaKata.Kata;

/// <summary>What Install-KataGuestKernel asks for: a local file or a URI, and where it goes.</summary>
public sealed class KataGuestKernelRequest
{
    /// <summary>A file on this machine (not under -Root).</summary>
    public string? SourcePath { get; init; }

    /// <summary>http, https or file.</summary>
    public Uri? Uri { get; init; }

    public string Destination { get; init; } = KataGuestKernelInstaller.DefaultDestination;

    /// <summary>The expected SHA-256 (hex, any case); null to skip the check.</summary>
    public string? Sha256 { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>What is known before anything is fetched or written.</summary>
public sealed record KataGuestKernelCheck(string Source, string? SourceSha256, string? DestinationSha256, bool UpToDate);

/// <summary>Places a guest kernel for kata: copied or downloaded, verified, written atomically with mode 0644.</summary>
public sealed class KataGuestKernelInstaller
{
    public const string DefaultDestination = "/var/lib/kata/vmlinux.bin";

    /// <summary>rw-r--r--.</summary>
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const string Activity = "Downloading the kata guest kernel";
    private readonly HostContext _host;

    public KataGuestKernelInstaller(HostContext host) => _host = host;

    /// <summary>Validates the request and tells whether the destination already holds the kernel (no download needed).</summary>
    public KataGuestKernelCheck Check(KataGuestKernelRequest request)
    {
        KataRules.ValidateTargetPath("-Destination", request.Destination);
        string source = SourceName(request);
        string? local = LocalSource(request);
        string? sourceHash = null;
        if (local is not null)
        {
            sourceHash = Hash(ReadLocal(local));
            Verify(sourceHash, request.Sha256, source);
        }
        string? expected = sourceHash ?? Normalize(request.Sha256);
        string? destinationHash = _host.Files.ReadBytes(request.Destination) is byte[] current ? Hash(current) : null;
        bool upToDate = expected is not null && destinationHash == expected;
        return new KataGuestKernelCheck(source, sourceHash, destinationHash, upToDate);
    }

    /// <summary>Fetches (a download stays in memory), verifies the very bytes it writes, and places the kernel unless it is already there.</summary>
    public KataGuestKernel Install(KataGuestKernelRequest request)
    {
        KataGuestKernelCheck check = Check(request);
        if (check.UpToDate)
        {
            _host.Log($"'{request.Destination}' already holds this kernel (SHA-256 {check.DestinationSha256}); nothing written.");
            return Describe(request, check.Source, changed: false, backup: null);
        }
        // Read once: the bytes hashed are the bytes written, whatever happens to the source meanwhile.
        byte[] kernel = LocalSource(request) is string local ? ReadLocal(local) : Download(request.Uri!, request.Timeout);
        string hash = Hash(kernel);
        Verify(hash, request.Sha256, check.Source);
        if (kernel.Length == 0)
        {
            throw new IsulaKataException("KernelFileEmpty", FailureKind.InvalidData,
                $"'{check.Source}' is empty; it cannot be a kernel.", "Check the source (a failed download leaves an empty file), then run the command again.", check.Source);
        }
        if (hash == check.DestinationSha256)
        {
            _host.Log($"'{request.Destination}' already holds this kernel (SHA-256 {hash}); nothing written.");
            return Describe(request, check.Source, changed: false, backup: null);
        }
        FileUpdateResult placed = _host.Files.PlaceBytes(request.Destination, kernel, new FileWriteOptions
        {
            Mode = Mode,
            Owner = Native.GetEffectiveUserId() == 0 ? (0u, 0u) : null,
        });
        return Describe(request, check.Source, changed: true, backup: placed.BackupPath);
    }

    /// <summary>The kernel at the destination as it is now.</summary>
    public KataGuestKernel Describe(KataGuestKernelRequest request, string source, bool changed, string? backup)
    {
        string host = _host.Files.ToHostPath(request.Destination);
        var info = new FileInfo(host);
        byte[] content = _host.Files.ReadBytes(request.Destination) ?? Array.Empty<byte>();
        string format = KataKernelFormat.Of(content.AsSpan(0, Math.Min(content.Length, KataKernelFormat.HeadLength)));
        var warnings = new List<string>();
        string architecture = new KataHypervisorDescriber(_host).Architecture(null);
        var problems = new List<(KataHypervisorKind Hypervisor, string Problem)>();
        foreach (KataHypervisorKind hypervisor in Enum.GetValues<KataHypervisorKind>())
        {
            if (KataKernelFormat.Problem(format, hypervisor, architecture) is string problem)
            {
                problems.Add((hypervisor, problem));
            }
        }
        if (problems.Count == Enum.GetValues<KataHypervisorKind>().Length)
        {
            warnings.Add($"'{request.Destination}' may not boot: {problems[0].Problem}. Check the file (kata's guest kernel for {architecture}).");
        }
        else
        {
            warnings.AddRange(problems.Select(p => $"'{request.Destination}' may not boot with {p.Hypervisor}: {p.Problem} ({architecture}); the other hypervisor boots it."));
        }
        return new KataGuestKernel
        {
            Path = request.Destination,
            Name = info.Name,
            Length = info.Length,
            Sha256 = Hash(content),
            UnixMode = ModeString(File.GetUnixFileMode(host)),
            LastWriteTime = info.LastWriteTime,
            Format = format,
            Source = source,
            Changed = changed,
            BackupPath = backup,
            Warnings = warnings,
            Root = _host.Root,
        };
    }

    /// <summary>Downloads into memory (a kernel is tens of MiB): nothing touches the disk before the hash is checked.</summary>
    private byte[] Download(Uri uri, TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_host.Cancellation, limit.Token);
        CancellationToken token = linked.Token;
        _host.Log($"Downloading '{uri}'.");
        long received = 0;
        long? total = null;
        try
        {
            using var client = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            using HttpResponseMessage response = client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, token).GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode)
            {
                throw new IsulaKataException("KernelDownloadFailed", FailureKind.ResourceUnavailable,
                    $"GET {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}; nothing was written.",
                    "Check the URI (the openEuler repository keeps StratoVirt kernels under stratovirt_img/<arch>/), then run the command again.", uri);
            }
            total = response.Content.Headers.ContentLength;
            using Stream input = response.Content.ReadAsStream(token);
            using var output = new MemoryStream(total is > 0 and < int.MaxValue ? (int)total.Value : 0);
            byte[] buffer = new byte[81920];
            int read;
            while ((read = input.ReadAsync(buffer, token).AsTask().GetAwaiter().GetResult()) > 0)
            {
                output.Write(buffer, 0, read);
                received += read;
                int percent = total is > 0 ? (int)(received * 100 / total.Value) : -1;
                _host.Progress(Activity, total is > 0 ? $"{Mib(received)} of {Mib(total.Value)} from {uri.Host}" : $"{Mib(received)} from {uri.Host}", percent, false);
            }
            if (total is long expected && received != expected)
            {
                throw Truncated(uri, received, expected, null);
            }
            _host.Log($"Downloaded {received} bytes from '{uri}'.");
            return output.ToArray();
        }
        catch (Exception e) when (e is OperationCanceledException && limit.IsCancellationRequested && !_host.Cancellation.IsCancellationRequested)
        {
            throw new IsulaKataException("KernelDownloadTimedOut", FailureKind.OperationTimeout,
                $"The download of {uri} did not finish within {timeout.TotalSeconds:0} seconds; nothing was written.",
                "Run the command again with a larger -TimeoutSeconds, or download the file yourself and pass it with -Path.", uri);
        }
        catch (HttpIOException e) when (total is long expected)
        {
            // The server closed the connection before sending Content-Length bytes.
            throw Truncated(uri, received, expected, e);
        }
        catch (Exception e) when (e is HttpRequestException or HttpIOException)
        {
            throw new IsulaKataException("KernelDownloadFailed", FailureKind.ResourceUnavailable,
                $"Cannot download {uri}: {e.Message}; nothing was written.", "Check the URI and the network (and a proxy in https_proxy), then run the command again.", uri, e);
        }
        finally
        {
            _host.Progress(Activity, "Done", 100, true);
        }
    }

    private static IsulaKataException Truncated(Uri uri, long received, long expected, Exception? inner)
        => new("KernelDownloadFailed", FailureKind.ResourceUnavailable,
            $"The download of {uri} ended after {received} of {expected} bytes; nothing was written.",
            "Run the command again; check the network if it keeps failing.", uri, inner);

    /// <summary>The kernel file on this machine, read once (a FIFO or device there is refused, never waited on).</summary>
    private static byte[] ReadLocal(string path)
        => HostFiles.ReadLocalFile(path) ?? throw new IsulaKataException("KernelSourceNotFound", FailureKind.ObjectNotFound,
            $"The kernel file '{path}' does not exist.", "Give the path of the guest kernel on this machine (e.g. a downloaded vmlinux.bin).", path);

    private static string? LocalSource(KataGuestKernelRequest request)
        => request.SourcePath ?? (request.Uri is { IsFile: true } uri ? uri.LocalPath : null);

    private static string SourceName(KataGuestKernelRequest request)
    {
        if (request.SourcePath is not null)
        {
            return request.SourcePath;
        }
        Uri uri = request.Uri ?? throw new ArgumentException("A kernel needs -Path or -Uri.");
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeFile))
        {
            throw new IsulaKataException("UnsupportedUriScheme", FailureKind.InvalidArgument,
                $"'{uri}' is not an http, https or file URI.", "Give an http://, https:// or file:// URI, or a local file with -Path.", uri);
        }
        return uri.ToString();
    }

    private static void Verify(string actual, string? expected, string source)
    {
        if (Normalize(expected) is string wanted && wanted != actual)
        {
            throw new IsulaKataException("KernelChecksumMismatch", FailureKind.InvalidData,
                $"'{source}' has SHA-256 {actual}, not the expected {wanted}; nothing was written.",
                "Check that -Sha256 belongs to this file (and the download was not truncated or replaced), then run the command again.", source);
        }
    }

    private static string? Normalize(string? sha256) => sha256?.Trim().ToUpperInvariant();

    private static string Hash(byte[] content) => Convert.ToHexString(SHA256.HashData(content));

    private static string ModeString(UnixFileMode mode)
    {
        char Bit(UnixFileMode flag, char c) => (mode & flag) != 0 ? c : '-';
        return "-" + Bit(UnixFileMode.UserRead, 'r') + Bit(UnixFileMode.UserWrite, 'w') + Bit(UnixFileMode.UserExecute, 'x')
            + Bit(UnixFileMode.GroupRead, 'r') + Bit(UnixFileMode.GroupWrite, 'w') + Bit(UnixFileMode.GroupExecute, 'x')
            + Bit(UnixFileMode.OtherRead, 'r') + Bit(UnixFileMode.OtherWrite, 'w') + Bit(UnixFileMode.OtherExecute, 'x');
    }

    private static string Mib(long bytes) => $"{bytes / 1048576.0:0.0} MiB";
}
