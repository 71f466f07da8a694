using System;
using System.IO;
using System.Text;
using IsulaKata.Core;

namespace IsulaKata.Kata;

/// <summary>
/// A kata configuration file's text, read strictly: bytes that are not UTF-8 are refused (never turned into U+FFFD,
/// which writing back would make permanent), a byte order mark is kept as the first character so that writing the
/// text back keeps it, and only a regular file is read (a FIFO would block, a device is no configuration).
/// </summary>
public static class KataConfigText
{
    /// <summary>The byte order mark, as the first character of a text that had one.</summary>
    public const char Bom = '\uFEFF';

    private const long MaxSize = 16 * 1024 * 1024;
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The file's text (with a leading <see cref="Bom"/> when the file has one), or null when it does not exist.</summary>
    public static string? Read(HostFiles files, string path)
    {
        // The one reader: only a regular file is opened, never waited on (NotARegularFile for a folder, FIFO or device).
        byte[]? bytes = files.ReadBytes(path);
        if (bytes is null)
        {
            return null;
        }
        if (bytes.Length > MaxSize)
        {
            throw new IsulaKataException("KataConfigTooLarge", FailureKind.InvalidData,
                $"'{path}' is {bytes.Length} bytes; a kata configuration is a few tens of kilobytes.", $"Check what '{path}' holds.", path);
        }
        return Decode(bytes, path);
    }

    /// <summary>Whether a file on this machine is a regular file (not a FIFO, socket, device or folder); opening one of
    /// those would block or read a device.</summary>
    public static bool IsRegularFile(string hostPath)
        => Native.TryStat(hostPath, out Native.StatxBuffer stat) && (stat.Mode & 0xF000) == 0x8000;

    /// <summary>Strict UTF-8; a byte order mark becomes a leading <see cref="Bom"/>.</summary>
    public static string Decode(byte[] bytes, string path)
    {
        try
        {
            return Strict.GetString(bytes);
        }
        catch (DecoderFallbackException error)
        {
            int at = error.Index >= 0 ? error.Index : 0;
            int line = 1;
            for (int i = 0; i < Math.Min(at, bytes.Length); i++)
            {
                if (bytes[i] == '\n')
                {
                    line++;
                }
            }
            throw new IsulaKataException("KataConfigNotUtf8", FailureKind.InvalidData,
                $"'{path}' is not UTF-8 text (an invalid byte sequence near line {line}); TOML files are UTF-8, and the module edits no file it cannot write back byte for byte. The file was not changed.",
                $"Fix the bytes near line {line} of '{path}' (or restore it from a backup), then run the command again.", path, error);
        }
    }

    /// <summary>The text without its byte order mark, for parsing.</summary>
    public static string WithoutBom(string text) => text.Length > 0 && text[0] == Bom ? text.Substring(1) : text;

    /// <summary>Gives <paramref name="edited"/> the byte order mark <paramref name="original"/> had.</summary>
    public static string KeepBom(string original, string edited)
        => original.Length > 0 && original[0] == Bom && (edited.Length == 0 || edited[0] != Bom) ? Bom + edited : edited;
}
