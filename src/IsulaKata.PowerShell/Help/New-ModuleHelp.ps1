<#
.SYNOPSIS
    Builds the module's help: the MAML file of its cmdlets and the about_*.help.txt topics.
.DESCRIPTION
    Run by build.ps1 (Build task) in a child pwsh, because it imports the built module to read its cmdlets.

    For every cmdlet the module exports, the syntax and the parameter metadata (type, mandatory, position, pipeline
    input, aliases, wildcards, parameter sets) come from Get-Command, so they cannot drift from the code; the prose
    (synopsis, description, parameter descriptions, default values, examples, inputs, outputs, notes, related links)
    comes from <DocsPath>/<Verb-Noun>.md in platyPS layout. Every about_*.md in DocsPath becomes about_*.help.txt.

    pwsh finds the help of a cmdlet by the cmdlet's HelpFile, '<assembly file name>-Help.xml' (IsulaKata.dll-Help.xml),
    searched in the culture folders (current UI culture, its parents, then en-US and en) of the ModuleBase of the
    module the cmdlet belongs to. Our cmdlets belong to the script module IsulaKata (the psm1 imports the assembly),
    so the file goes to <module folder>/en-US/, next to the about topics.

    A cmdlet without a page, or a parameter without a description, gets a warning here and fails the help tests.
.EXAMPLE
    pwsh -NoProfile -File New-ModuleHelp.ps1 -ModulePath output/IsulaKata/0.1.0/IsulaKata.psd1 -DocsPath docs/en-US
#>
[CmdletBinding()]
param(
    # The manifest (or module file) of the built module.
    [Parameter(Mandatory)] [string] $ModulePath,
    # The folder of the markdown pages (one culture).
    [Parameter(Mandatory)] [string] $DocsPath,
    # Where the help files go; default: the culture folder of the same name as DocsPath's, in the module folder.
    [string] $OutputPath,
    # The MAML file name; default: the HelpFile pwsh looks for, taken from the first exported command.
    [string] $HelpFileName
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
. (Join-Path $PSScriptRoot 'HelpMarkdown.ps1')

$module = Import-Module -Name (Resolve-Path -LiteralPath $ModulePath).Path -PassThru -Force
$commands = @(Get-Command -Module $module.Name -CommandType Cmdlet, Function | Sort-Object Name)
if (-not $OutputPath) { $OutputPath = Join-Path $module.ModuleBase (Split-Path -Leaf $DocsPath) }
if (-not $HelpFileName) {
    $named = @($commands | Where-Object { $_ -is [System.Management.Automation.CmdletInfo] -and $_.HelpFile } |
            ForEach-Object { Split-Path -Leaf $_.HelpFile } | Select-Object -Unique)
    if ($named.Count -ne 1) { throw "Pass -HelpFileName: the module's cmdlets name $($named.Count) help files ($($named -join ', '))." }
    $HelpFileName = $named[0]
}
$common = [System.Collections.Generic.HashSet[string]]::new([string[]][System.Management.Automation.Cmdlet]::CommonParameters, [StringComparer]::OrdinalIgnoreCase)

function Get-TypeDisplayName {
    # The short type name help shows after a parameter: String, String[], SwitchParameter, Int32 (for Int32?).
    param([type] $Type)
    if ($Type.IsArray) { return (Get-TypeDisplayName $Type.GetElementType()) + '[]' }
    $underlying = [Nullable]::GetUnderlyingType($Type)
    if ($underlying) { return Get-TypeDisplayName $underlying }
    return $Type.Name
}

function Get-PipelineInput {
    param([System.Management.Automation.CommandParameterInfo[]] $Infos)
    $ways = @()
    if ($Infos | Where-Object ValueFromPipeline) { $ways += 'ByValue' }
    if ($Infos | Where-Object ValueFromPipelineByPropertyName) { $ways += 'ByPropertyName' }
    if ($ways) { return "True ($($ways -join ', '))" }
    return 'False'
}

function Get-PerSet {
    # One value when every parameter set agrees, else 'value (Set), value (Set)'.
    param([object[]] $Entries, [scriptblock] $Value)
    $values = @($Entries | ForEach-Object { [pscustomobject]@{ Set = $_.Set; Value = [string](& $Value $_.Info) } })
    if (@($values.Value | Select-Object -Unique).Count -le 1) { return $values[0].Value }
    return ($values | ForEach-Object { "$($_.Value) ($($_.Set))" }) -join ', '
}

function Get-SortedSetParameter {
    # Parameters of one set in the order pwsh's own syntax uses: positional by position, then mandatory, then the rest.
    param([System.Management.Automation.CommandParameterSetInfo] $Set)
    $parameters = @($Set.Parameters | Where-Object { -not $common.Contains($_.Name) })
    $positional = @($parameters | Where-Object { $_.Position -ge 0 } | Sort-Object Position)
    $mandatory = @($parameters | Where-Object { $_.Position -lt 0 -and $_.IsMandatory })
    $optional = @($parameters | Where-Object { $_.Position -lt 0 -and -not $_.IsMandatory })
    return @($positional) + $mandatory + $optional
}

$ns = @{
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
}

function Write-Para {
    param([System.Xml.XmlWriter] $Writer, [string[]] $Paragraphs)
    foreach ($paragraph in $Paragraphs) { $Writer.WriteElementString('maml', 'para', $ns.maml, $paragraph) }
}

function Write-Description {
    param([System.Xml.XmlWriter] $Writer, [string[]] $Paragraphs)
    $Writer.WriteStartElement('maml', 'description', $ns.maml)
    Write-Para $Writer $Paragraphs
    $Writer.WriteEndElement()
}

function Write-Parameter {
    # One command:parameter element. $Entries: the parameter as it appears in each set (Set, Info) that matters here.
    param([System.Xml.XmlWriter] $Writer, [object[]] $Entries, [object] $Doc, [bool] $InSyntax)
    $info = $Entries[0].Info
    $isSwitch = $info.ParameterType -eq [System.Management.Automation.SwitchParameter]
    $Writer.WriteStartElement('command', 'parameter', $ns.command)
    # Get-Help shows 'required' only as true or false: a parameter mandatory in some sets only is 'false' here, and
    # its description says where it is mandatory (the syntax shows it per set too).
    $mandatoryIn = @($Entries | Where-Object { $_.Info.IsMandatory } | ForEach-Object Set)
    $optionalIn = @($Entries | Where-Object { -not $_.Info.IsMandatory } | ForEach-Object Set)
    $Writer.WriteAttributeString('required', ($mandatoryIn.Count -gt 0 -and $optionalIn.Count -eq 0).ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('variableLength', $info.ParameterType.IsArray.ToString().ToLowerInvariant())
    $wildcards = [bool]($info.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
    $Writer.WriteAttributeString('globbing', $wildcards.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('pipelineInput', (Get-PipelineInput ($Entries.Info)))
    $Writer.WriteAttributeString('position', (Get-PerSet $Entries { param($p) if ($p.Position -ge 0) { $p.Position } else { 'named' } }))
    $aliases = @($info.Aliases)
    $Writer.WriteAttributeString('aliases', $(if ($aliases.Count) { $aliases -join ', ' } else { 'none' }))
    $Writer.WriteElementString('maml', 'name', $ns.maml, $info.Name)
    $paragraphs = @(if ($Doc) { $Doc.Description })
    if ($mandatoryIn.Count -gt 0 -and $optionalIn.Count -gt 0 -and -not $InSyntax) {
        $paragraphs += "Mandatory in parameter set $($mandatoryIn -join ', '); optional in $($optionalIn -join ', ')."
    }
    Write-Description $Writer $paragraphs
    if (-not ($InSyntax -and $isSwitch)) {
        $Writer.WriteStartElement('command', 'parameterValue', $ns.command)
        $Writer.WriteAttributeString('required', (-not $isSwitch).ToString().ToLowerInvariant())
        $Writer.WriteAttributeString('variableLength', $info.ParameterType.IsArray.ToString().ToLowerInvariant())
        $Writer.WriteString((Get-TypeDisplayName $info.ParameterType))
        $Writer.WriteEndElement()
    }
    $Writer.WriteStartElement('dev', 'type', $ns.dev)
    $Writer.WriteElementString('maml', 'name', $ns.maml, $info.ParameterType.FullName)
    $Writer.WriteElementString('maml', 'uri', $ns.maml, '')
    $Writer.WriteEndElement()
    $default = if ($Doc -and $Doc.Metadata.Contains('Default value') -and $Doc.Metadata['Default value']) { $Doc.Metadata['Default value'] } else { 'None' }
    $Writer.WriteElementString('dev', 'defaultValue', $ns.dev, $default)
    $Writer.WriteEndElement()
}

function Write-Command {
    param([System.Xml.XmlWriter] $Writer, [System.Management.Automation.CommandInfo] $Command, [object] $Page)
    $docs = @{}
    foreach ($parameter in $Page.Parameters) { $docs[$parameter.Name] = $parameter }
    foreach ($name in $docs.Keys) {
        if (-not $Command.Parameters.ContainsKey($name)) { Write-Warning "$($Page.Path): documents -$name, which $($Command.Name) does not have." }
    }

    $Writer.WriteStartElement('command', 'command', $ns.command)
    $Writer.WriteAttributeString('xmlns', 'maml', $null, $ns.maml)
    $Writer.WriteAttributeString('xmlns', 'command', $null, $ns.command)
    $Writer.WriteAttributeString('xmlns', 'dev', $null, $ns.dev)

    $Writer.WriteStartElement('command', 'details', $ns.command)
    $Writer.WriteElementString('command', 'name', $ns.command, $Command.Name)
    $Writer.WriteElementString('command', 'verb', $ns.command, $Command.Verb)
    $Writer.WriteElementString('command', 'noun', $ns.command, $Command.Noun)
    Write-Description $Writer @($Page.Synopsis)
    $Writer.WriteEndElement()

    Write-Description $Writer $Page.Description

    # Syntax: one item per parameter set, the default set first.
    $sets = @($Command.ParameterSets | Sort-Object { -not $_.IsDefault })
    $Writer.WriteStartElement('command', 'syntax', $ns.command)
    foreach ($set in $sets) {
        $Writer.WriteStartElement('command', 'syntaxItem', $ns.command)
        $Writer.WriteElementString('maml', 'name', $ns.maml, $Command.Name)
        foreach ($parameter in Get-SortedSetParameter $set) {
            Write-Parameter $Writer @([pscustomobject]@{ Set = $set.Name; Info = $parameter }) $docs[$parameter.Name] $true
        }
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    # Parameters: each once, in the order of the page, then any the page forgot.
    $names = [System.Collections.Generic.List[string]]::new()
    foreach ($parameter in $Page.Parameters) { if ($Command.Parameters.ContainsKey($parameter.Name) -and -not $names.Contains($parameter.Name)) { $names.Add($Command.Parameters[$parameter.Name].Name) } }
    foreach ($set in $sets) { foreach ($parameter in Get-SortedSetParameter $set) { if (-not $names.Contains($parameter.Name)) { $names.Add($parameter.Name) } } }
    $Writer.WriteStartElement('command', 'parameters', $ns.command)
    foreach ($name in $names) {
        $entries = @(foreach ($set in $sets) {
                $info = $set.Parameters | Where-Object Name -EQ $name
                if ($info) { [pscustomobject]@{ Set = $set.Name; Info = $info } }
            })
        if ($entries.Count -eq 0) { continue }
        Write-Parameter $Writer $entries $docs[$name] $false
    }
    $Writer.WriteEndElement()

    foreach ($kind in @(@{ List = 'inputTypes'; Item = 'inputType'; Types = $Page.Inputs }, @{ List = 'returnValues'; Item = 'returnValue'; Types = $Page.Outputs })) {
        $Writer.WriteStartElement('command', $kind.List, $ns.command)
        foreach ($type in $kind.Types) {
            $Writer.WriteStartElement('command', $kind.Item, $ns.command)
            $Writer.WriteStartElement('dev', 'type', $ns.dev)
            $Writer.WriteElementString('maml', 'name', $ns.maml, $type.Type)
            $Writer.WriteEndElement()
            Write-Description $Writer $type.Description
            $Writer.WriteEndElement()
        }
        $Writer.WriteEndElement()
    }

    $Writer.WriteStartElement('maml', 'alertSet', $ns.maml)
    $Writer.WriteStartElement('maml', 'alert', $ns.maml)
    Write-Para $Writer $Page.Notes
    $Writer.WriteEndElement()
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'examples', $ns.command)
    foreach ($example in $Page.Examples) {
        $Writer.WriteStartElement('command', 'example', $ns.command)
        $Writer.WriteElementString('maml', 'title', $ns.maml, "--------- $($example.Title) ---------")
        $Writer.WriteElementString('dev', 'code', $ns.dev, $example.Code)
        $Writer.WriteStartElement('dev', 'remarks', $ns.dev)
        # An empty paragraph last: Get-Help then leaves a blank line before the next example's title.
        Write-Para $Writer (@($example.Remarks) + '')
        $Writer.WriteEndElement()
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'relatedLinks', $ns.command)
    $online = if ($Page.FrontMatter.Contains('online version')) { $Page.FrontMatter['online version'] } else { '' }
    $links = @()
    if ($online) { $links += [pscustomobject]@{ Text = 'Online Version:'; Uri = $online } }
    foreach ($link in @($links) + @($Page.Links)) {
        $Writer.WriteStartElement('maml', 'navigationLink', $ns.maml)
        $Writer.WriteElementString('maml', 'linkText', $ns.maml, $link.Text)
        $Writer.WriteElementString('maml', 'uri', $ns.maml, $link.Uri)
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteEndElement()
}

New-Item -ItemType Directory -Path $OutputPath -Force | Out-Null
$mamlPath = Join-Path $OutputPath $HelpFileName
$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; IndentChars = '  '; Encoding = [System.Text.UTF8Encoding]::new($false); NewLineChars = "`n" }
$writer = [System.Xml.XmlWriter]::Create($mamlPath, $settings)
try {
    $writer.WriteStartDocument()
    $writer.WriteStartElement('helpItems', 'http://msh')
    $writer.WriteAttributeString('schema', 'maml')
    $documented = 0
    foreach ($command in $commands) {
        $pagePath = Join-Path $DocsPath "$($command.Name).md"
        if (-not (Test-Path -LiteralPath $pagePath)) {
            Write-Warning "$($command.Name) has no help page: write $pagePath (platyPS layout, see Set-IsulaRuntime.md)."
            continue
        }
        try { $page = Read-HelpMarkdown -Path $pagePath }
        catch { Write-Warning "Skipped $pagePath`: $($_.Exception.Message)"; continue }
        if ($page.Name -ne $command.Name) { Write-Warning "$pagePath`: its heading names '$($page.Name)', not '$($command.Name)'." }
        Write-Command $writer $command $page
        $documented++
    }
    $writer.WriteEndElement()
    $writer.WriteEndDocument()
}
finally { $writer.Dispose() }
Write-Host "Help: $mamlPath ($documented of $($commands.Count) commands documented)"

foreach ($topic in Get-ChildItem -LiteralPath $DocsPath -Filter 'about_*.md') {
    $text = ConvertTo-AboutHelpText -Path $topic.FullName
    $target = Join-Path $OutputPath ($topic.BaseName + '.help.txt')
    [System.IO.File]::WriteAllText($target, $text, [System.Text.UTF8Encoding]::new($false))
    Write-Host "Help: $target"
}
