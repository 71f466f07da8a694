using System.Text;
using Tomlyn.Syntax;

namespace IsulaKata.Kata;

/// <summary>Small readings of Tomlyn's syntax tree: the tokens of a node, its first and last token, a key's dotted name.</summary>
internal static class TomlSyntax
{
    internal static string TokensOf(SyntaxNode node)
    {
        var builder = new StringBuilder();
        AppendTokens(node, builder);
        return builder.ToString();
    }

    internal static void AppendTokens(SyntaxNode node, StringBuilder builder)
    {
        if (node is SyntaxToken token)
        {
            builder.Append(token.Text);
            return;
        }
        for (int i = 0; i < node.ChildrenCount; i++)
        {
            if (node.GetChild(i) is { } child)
            {
                AppendTokens(child, builder);
            }
        }
    }

    internal static SyntaxToken? FirstToken(SyntaxNode node)
    {
        if (node is SyntaxToken token)
        {
            return token;
        }
        for (int i = 0; i < node.ChildrenCount; i++)
        {
            if (node.GetChild(i) is { } child && FirstToken(child) is { } found)
            {
                return found;
            }
        }
        return null;
    }

    internal static SyntaxToken? LastToken(SyntaxNode node)
    {
        if (node is SyntaxToken token)
        {
            return token;
        }
        for (int i = node.ChildrenCount - 1; i >= 0; i--)
        {
            if (node.GetChild(i) is { } child && LastToken(child) is { } found)
            {
                return found;
            }
        }
        return null;
    }

    /// <summary>"hypervisor.qemu" for <c>[hypervisor.qemu]</c> or <c>[ hypervisor . "qemu" ]</c>.</summary>
    internal static string KeyName(KeySyntax? key)
    {
        if (key is null)
        {
            return string.Empty;
        }
        var builder = new StringBuilder(Part(key.Key));
        if (key.DotKeys is { } dots)
        {
            foreach (DottedKeyItemSyntax item in dots)
            {
                builder.Append('.').Append(Part(item.Key));
            }
        }
        return builder.ToString();
    }

    internal static string Part(BareKeyOrStringValueSyntax? part) => part switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? string.Empty,
        StringValueSyntax quoted => quoted.Value ?? string.Empty,
        _ => string.Empty,
    };
}
