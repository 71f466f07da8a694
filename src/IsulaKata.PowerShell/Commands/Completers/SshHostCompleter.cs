using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace IsulaKata.Commands.Completers;

/// <summary>
/// Completes -HostName with the hosts this user's ssh knows: the Host names of ~/.ssh/config (not the patterns) and the
/// plain (unhashed) names of ~/.ssh/known_hosts. A "user@" already typed is kept.
/// </summary>
public sealed class SshHostCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string word = wordToComplete.Trim('\'', '"');
        int at = word.LastIndexOf('@');
        string user = at >= 0 ? word.Substring(0, at + 1) : string.Empty;
        string prefix = word.Substring(at + 1);
        string ssh = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh");
        return KnownHosts(ssh)
            .Where(h => h.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .GroupBy(h => h.Name, StringComparer.OrdinalIgnoreCase).Select(g => g.First())
            .OrderBy(h => h.Name, StringComparer.OrdinalIgnoreCase)
            .Select(h => new CompletionResult(user + h.Name, h.Name, CompletionResultType.ParameterValue, h.Source));
    }

    private static IEnumerable<(string Name, string Source)> KnownHosts(string ssh)
    {
        foreach (string line in ReadLines(Path.Combine(ssh, "config")))
        {
            string[] words = line.Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length > 1 && words[0].Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                foreach (string name in words.Skip(1).Where(w => w.IndexOfAny(new[] { '*', '?', '!' }) < 0))
                {
                    yield return (name, "~/.ssh/config");
                }
            }
        }
        foreach (string line in ReadLines(Path.Combine(ssh, "known_hosts")))
        {
            string first = line.Trim().Split(' ', 2)[0];
            if (first.Length == 0 || first.StartsWith('#') || first.StartsWith('|') || first.StartsWith('@'))
            {
                continue;
            }
            foreach (string name in first.Split(','))
            {
                // [host]:port as ssh writes it for another port becomes host:port, as -HostName takes it.
                yield return (name.StartsWith('[') ? name.Replace("[", string.Empty).Replace("]", string.Empty) : name, "~/.ssh/known_hosts");
            }
        }
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllLines(path) : Array.Empty<string>();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<string>();
        }
    }
}
