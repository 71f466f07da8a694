<#
.SYNOPSIS
    Reads help pages written in platyPS markdown layout (docs/en-US/<Verb-Noun>.md and about_<Topic>.md).
.DESCRIPTION
    Dot-sourced by New-ModuleHelp.ps1 (which turns the pages into MAML and about_*.help.txt) and by the help tests
    (which check that every page is complete). Knows nothing of the module: it only reads markdown.

    A command page is: front matter between '---' lines; '# Verb-Noun'; then '## SECTION' headings (SYNOPSIS,
    SYNTAX, DESCRIPTION, EXAMPLES, PARAMETERS, INPUTS, OUTPUTS, NOTES, RELATED LINKS), with '### ' sub-headings for
    each example ('### Example 1: Title'), parameter ('### -Name', then its description, then a ```yaml block),
    input and output type. Headings inside fenced code blocks are text.
    (No Set-StrictMode here: dot-sourcing would impose it on the caller's scope. New-ModuleHelp.ps1 sets it.)
#>

function Split-HelpMarkdownSection {
    # Splits lines at headings of the given level ('##' or '###') outside fenced code blocks.
    # Returns the text before the first heading (Title = $null) and one entry per heading, in order.
    param([string[]] $Lines, [Parameter(Mandatory)] [string] $Level)
    $sections = [System.Collections.Generic.List[object]]::new()
    $current = [pscustomobject]@{ Title = $null; Lines = [System.Collections.Generic.List[string]]::new() }
    $inFence = $false
    $prefix = "$Level "
    foreach ($line in $Lines) {
        if ($line -match '^\s*(```|~~~)') { $inFence = -not $inFence }
        if (-not $inFence -and $line.StartsWith($prefix)) {
            $sections.Add($current)
            $current = [pscustomobject]@{ Title = $line.Substring($prefix.Length).Trim(); Lines = [System.Collections.Generic.List[string]]::new() }
            continue
        }
        $current.Lines.Add($line)
    }
    $sections.Add($current)
    return $sections
}

function ConvertFrom-HelpMarkdownBlock {
    # Turns section lines into blocks: @{ Kind = 'Text'|'Code'; Language; Lines }. Text blocks are separated by
    # blank lines; a fenced block keeps its lines exactly (the fence lines themselves are dropped).
    param([string[]] $Lines)
    $blocks = [System.Collections.Generic.List[object]]::new()
    $text = [System.Collections.Generic.List[string]]::new()
    $code = $null
    foreach ($line in $Lines) {
        if ($null -ne $code) {
            if ($line -match '^\s*(```|~~~)\s*$') {
                $blocks.Add([pscustomobject]@{ Kind = 'Code'; Language = $code.Language; Lines = $code.Lines.ToArray() })
                $code = $null
            }
            else { $code.Lines.Add($line) }
            continue
        }
        if ($line -match '^\s*(```|~~~)\s*([\w-]*)') {
            if ($text.Count -gt 0) { $blocks.Add([pscustomobject]@{ Kind = 'Text'; Language = $null; Lines = $text.ToArray() }); $text.Clear() }
            $code = [pscustomobject]@{ Language = $Matches[2]; Lines = [System.Collections.Generic.List[string]]::new() }
            continue
        }
        if ($line.Trim() -eq '') {
            if ($text.Count -gt 0) { $blocks.Add([pscustomobject]@{ Kind = 'Text'; Language = $null; Lines = $text.ToArray() }); $text.Clear() }
            continue
        }
        $text.Add($line)
    }
    if ($null -ne $code) { throw "A fenced code block that starts with '``````$($code.Language)' is never closed." }
    if ($text.Count -gt 0) { $blocks.Add([pscustomobject]@{ Kind = 'Text'; Language = $null; Lines = $text.ToArray() }) }
    return $blocks
}

function ConvertTo-HelpPlainText {
    # Inline markdown to the text a terminal shows: links become their text (and the address when it is absolute),
    # backslash escapes are dropped. Code spans keep their backticks: they mark names and values in the text.
    param([string] $Text)
    $Text = [regex]::Replace($Text, '\[([^\]]+)\]\(([^)\s]+)\)', {
            param($m)
            if ($m.Groups[2].Value -match '^[a-z]+://') { "$($m.Groups[1].Value) ($($m.Groups[2].Value))" } else { $m.Groups[1].Value }
        })
    $Text = [regex]::Replace($Text, '\\([\\`*_{}\[\]()#+\-.!<>|])', '$1')
    return $Text
}

function ConvertTo-HelpParagraph {
    # Section lines to paragraphs for MAML: a text block's lines are joined with spaces; each list item is a
    # paragraph of its own; a fenced code block is one paragraph that keeps its line breaks.
    param([string[]] $Lines)
    $paragraphs = [System.Collections.Generic.List[string]]::new()
    foreach ($block in ConvertFrom-HelpMarkdownBlock $Lines) {
        if ($block.Kind -eq 'Code') {
            $paragraphs.Add(($block.Lines | ForEach-Object { "    $_" }) -join "`n")
            continue
        }
        $item = $null
        foreach ($line in $block.Lines) {
            if ($line -match '^\s*([-*+]|\d+[.)])\s+') {
                if ($null -ne $item) { $paragraphs.Add((ConvertTo-HelpPlainText $item)) }
                $item = $line.Trim()
            }
            elseif ($null -ne $item) { $item += ' ' + $line.Trim() }
            else { $item = $line.Trim() }
        }
        if ($null -ne $item) { $paragraphs.Add((ConvertTo-HelpPlainText $item)) }
    }
    return , $paragraphs.ToArray()
}

function ConvertFrom-HelpYaml {
    # The flat 'Key: Value' yaml block platyPS writes under each parameter.
    param([string[]] $Lines)
    $values = [ordered]@{}
    foreach ($line in $Lines) {
        if ($line -match '^\s*([^:#][^:]*):\s*(.*?)\s*$') { $values[$Matches[1].Trim()] = $Matches[2] }
    }
    return $values
}

function Read-HelpMarkdown {
    <#
    .SYNOPSIS
        Parses one command page (platyPS layout) into an object: Name, FrontMatter, Synopsis, Description,
        Examples (Title, Code, Remarks), Parameters (Name, Description, Metadata), Inputs and Outputs (Type,
        Description), Notes, Links (Text, Uri), Sections (the '##' headings found) and Path.
    #>
    param([Parameter(Mandatory)] [string] $Path)
    $lines = (Get-Content -LiteralPath $Path -Raw) -replace "`r`n", "`n" -split "`n"
    $fences = @($lines | Where-Object { $_ -match '^\s*(```|~~~)' })
    if ($fences.Count % 2) { throw "$Path`: a fenced code block (``````) is never closed." }

    $frontMatter = [ordered]@{}
    $start = 0
    if ($lines.Count -gt 0 -and $lines[0].Trim() -eq '---') {
        $end = [Array]::IndexOf($lines, '---', 1)
        if ($end -lt 0) { throw "$Path`: the front matter that starts on line 1 is never closed with '---'." }
        foreach ($line in $lines[1..($end - 1)]) {
            if ($line -match '^([^:]+):\s*(.*?)\s*$') { $frontMatter[$Matches[1].Trim()] = $Matches[2] }
        }
        $start = $end + 1
    }
    $body = if ($start -lt $lines.Count) { $lines[$start..($lines.Count - 1)] } else { @() }

    $top = Split-HelpMarkdownSection $body -Level '#'
    $title = @($top | Where-Object Title)
    if ($title.Count -ne 1) { throw "$Path`: expected exactly one '# Verb-Noun' heading, found $($title.Count)." }
    $sections = [ordered]@{}
    foreach ($section in Split-HelpMarkdownSection $title[0].Lines -Level '##') {
        if ($section.Title) { $sections[$section.Title.ToUpperInvariant()] = $section.Lines.ToArray() }
    }

    $page = [pscustomobject]@{
        Path        = $Path
        Name        = $title[0].Title
        FrontMatter = $frontMatter
        Sections    = @($sections.Keys)
        Synopsis    = ''
        Description = @()
        Examples    = @()
        Parameters  = @()
        Inputs      = @()
        Outputs     = @()
        Notes       = @()
        Links       = @()
    }
    if ($sections.Contains('SYNOPSIS')) { $page.Synopsis = (ConvertTo-HelpParagraph $sections['SYNOPSIS']) -join ' ' }
    if ($sections.Contains('DESCRIPTION')) { $page.Description = ConvertTo-HelpParagraph $sections['DESCRIPTION'] }
    if ($sections.Contains('NOTES')) { $page.Notes = ConvertTo-HelpParagraph $sections['NOTES'] }

    if ($sections.Contains('EXAMPLES')) {
        $page.Examples = @(foreach ($example in Split-HelpMarkdownSection $sections['EXAMPLES'] -Level '###') {
                if (-not $example.Title) { continue }
                $blocks = @(ConvertFrom-HelpMarkdownBlock $example.Lines)
                $firstCode = $blocks | Where-Object Kind -EQ 'Code' | Select-Object -First 1
                $remarkLines = [System.Collections.Generic.List[string]]::new()
                $introduction = [System.Collections.Generic.List[string]]::new()
                $seenCode = $false
                foreach ($block in $blocks) {
                    if ([object]::ReferenceEquals($block, $firstCode)) { $seenCode = $true; continue }
                    $target = if ($seenCode) { , $remarkLines } else { , $introduction }
                    if ($block.Kind -eq 'Code') { $target.Add('```'); $target.AddRange([string[]]$block.Lines); $target.Add('```') }
                    else { $target.AddRange([string[]]$block.Lines) }
                    $target.Add('')
                }
                [pscustomobject]@{
                    Title   = $example.Title
                    Code    = if ($firstCode) { $firstCode.Lines -join "`n" } else { '' }
                    Remarks = @((ConvertTo-HelpParagraph $introduction.ToArray()) + (ConvertTo-HelpParagraph $remarkLines.ToArray()))
                }
            })
    }

    if ($sections.Contains('PARAMETERS')) {
        $page.Parameters = @(foreach ($parameter in Split-HelpMarkdownSection $sections['PARAMETERS'] -Level '###') {
                if (-not $parameter.Title -or $parameter.Title -notmatch '^-(\S+)') { continue }
                $name = $Matches[1]
                $blocks = @(ConvertFrom-HelpMarkdownBlock $parameter.Lines)
                $yaml = @($blocks | Where-Object { $_.Kind -eq 'Code' -and $_.Language -eq 'yaml' })
                $prose = [System.Collections.Generic.List[string]]::new()
                foreach ($block in $blocks | Where-Object { -not ($_.Kind -eq 'Code' -and $_.Language -eq 'yaml') }) {
                    if ($block.Kind -eq 'Code') { $prose.Add('```'); $prose.AddRange([string[]]$block.Lines); $prose.Add('```') }
                    else { $prose.AddRange([string[]]$block.Lines) }
                    $prose.Add('')
                }
                [pscustomobject]@{
                    Name        = $name
                    Description = ConvertTo-HelpParagraph $prose.ToArray()
                    Metadata    = if ($yaml.Count -gt 0) { ConvertFrom-HelpYaml $yaml[0].Lines } else { [ordered]@{} }
                    MetadataSets = @($yaml | ForEach-Object { ConvertFrom-HelpYaml $_.Lines })
                }
            })
    }

    foreach ($kind in 'INPUTS', 'OUTPUTS') {
        if (-not $sections.Contains($kind)) { continue }
        $types = @(foreach ($type in Split-HelpMarkdownSection $sections[$kind] -Level '###') {
                if (-not $type.Title) { continue }
                [pscustomobject]@{ Type = $type.Title; Description = ConvertTo-HelpParagraph $type.Lines.ToArray() }
            })
        if ($kind -eq 'INPUTS') { $page.Inputs = $types } else { $page.Outputs = $types }
    }

    if ($sections.Contains('RELATED LINKS')) {
        $page.Links = @(foreach ($line in $sections['RELATED LINKS']) {
                $trimmed = $line.Trim() -replace '^[-*]\s+', ''
                if ($trimmed -eq '') { continue }
                if ($trimmed -match '^\[([^\]]+)\]\(([^)]*)\)') {
                    $uri = $Matches[2]
                    [pscustomobject]@{ Text = $Matches[1]; Uri = if ($uri -match '^[a-z]+://') { $uri } else { '' } }
                }
                else { [pscustomobject]@{ Text = $trimmed; Uri = '' } }
            })
    }
    return $page
}

function ConvertTo-AboutHelpText {
    <#
    .SYNOPSIS
        Turns an about topic in platyPS layout ('# about_Name', '## SHORT DESCRIPTION', '## LONG DESCRIPTION',
        more '##' and '###' sections) into the plain text of about_Name.help.txt: headings in capitals at the
        margin, text indented by four and wrapped at 80 columns, code and tables kept as written (indented).
    #>
    param([Parameter(Mandatory)] [string] $Path, [int] $Width = 80)
    $lines = (Get-Content -LiteralPath $Path -Raw) -replace "`r`n", "`n" -split "`n"
    if ($lines.Count -gt 0 -and $lines[0].Trim() -eq '---') {
        $end = [Array]::IndexOf($lines, '---', 1)
        $lines = $lines[($end + 1)..($lines.Count - 1)]
    }
    $top = @(Split-HelpMarkdownSection $lines -Level '#' | Where-Object Title)
    if ($top.Count -ne 1 -or $top[0].Title -notmatch '^about_\w+$') { throw "$Path`: expected exactly one '# about_<Name>' heading." }

    $out = [System.Text.StringBuilder]::new()
    [void] $out.Append("TOPIC`n    $($top[0].Title)`n")
    foreach ($section in Split-HelpMarkdownSection $top[0].Lines -Level '##') {
        if ($section.Title) { [void] $out.Append("`n$($section.Title.ToUpperInvariant())`n") }
        foreach ($sub in Split-HelpMarkdownSection $section.Lines -Level '###') {
            if ($sub.Title) { [void] $out.Append("`n    $($sub.Title)`n    $('-' * $sub.Title.Length)`n") }
            $first = $true
            foreach ($block in ConvertFrom-HelpMarkdownBlock $sub.Lines) {
                if (-not $first -or $sub.Title) { [void] $out.Append("`n") }
                $first = $false
                if ($block.Kind -eq 'Code' -or $block.Lines[0] -match '^\s*\|') {
                    foreach ($line in $block.Lines) { [void] $out.Append(("        $line").TrimEnd() + "`n") }
                    continue
                }
                # Text: list items start their own wrapped lines, continuation lines hang under the item's text.
                $items = [System.Collections.Generic.List[string]]::new()
                foreach ($line in $block.Lines) {
                    if ($line -match '^\s*([-*+]|\d+[.)])\s+' -or $items.Count -eq 0) { $items.Add($line.Trim()) }
                    else { $items[$items.Count - 1] += ' ' + $line.Trim() }
                }
                foreach ($item in $items) {
                    $hanging = if ($item -match '^([-*+]|\d+[.)])\s+') { ' ' * ($Matches[0].Length) } else { '' }
                    $lineText = '    '
                    foreach ($word in (ConvertTo-HelpPlainText $item) -split ' +') {
                        if ($lineText.Trim().Length -gt 0 -and ($lineText.Length + 1 + $word.Length) -gt $Width) {
                            [void] $out.Append($lineText.TrimEnd() + "`n")
                            $lineText = '    ' + $hanging
                        }
                        $lineText += $(if ($lineText.Trim().Length -gt 0) { ' ' } else { '' }) + $word
                    }
                    [void] $out.Append($lineText.TrimEnd() + "`n")
                }
            }
        }
    }
    return $out.ToString()
}
