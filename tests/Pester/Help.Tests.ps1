# Every exported cmdlet is documented, its docs agree with the code, and the built help really loads in pwsh.
# The cmdlets come from the built module, so a cmdlet added later is covered (and fails here until documented).

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $cmdlets = @(Get-Command -Module IsulaKata -CommandType Cmdlet | Sort-Object Name | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    . (Join-Path $Repo 'src/IsulaKata.PowerShell/Help/HelpMarkdown.ps1')
    $script:Docs = Join-Path $Repo 'docs/en-US'
    $script:Module = Get-Module IsulaKata
    $script:Common = [System.Collections.Generic.HashSet[string]]::new([string[]][System.Management.Automation.Cmdlet]::CommonParameters, [StringComparer]::OrdinalIgnoreCase)

    function Get-Normalized { param([string] $Text) ($Text -replace '\s+', ' ').Trim() }

    function Get-TypeDisplayName {
        param([type] $Type)
        if ($Type.IsArray) { return (Get-TypeDisplayName $Type.GetElementType()) + '[]' }
        $underlying = [Nullable]::GetUnderlyingType($Type)
        if ($underlying) { return Get-TypeDisplayName $underlying }
        return $Type.Name
    }

    function Get-ExampleProblem {
        # For code shown to users: parse errors, and parameters given to one of the module's cmdlets that it lacks.
        param([string] $Code, [string] $Where)
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref] $tokens, [ref] $errors)
        foreach ($parseError in $errors) { "$Where does not parse: $($parseError.Message)" }
        foreach ($commandAst in $ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] }, $true)) {
            $name = $commandAst.GetCommandName()
            if (-not $name -or -not $Module.ExportedCmdlets.ContainsKey($name)) { continue }
            $known = @($Module.ExportedCmdlets[$name].Parameters.Values | ForEach-Object { $_.Name; $_.Aliases })
            foreach ($parameter in $commandAst.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] }) {
                if ($known -notcontains $parameter.ParameterName) { "$Where gives $name -$($parameter.ParameterName), which $name does not have" }
            }
        }
    }

    function Test-InvokesCommand {
        param([string] $Code, [string] $Name)
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref] $null, [ref] $null)
        [bool] $ast.Find({ param($node) $node -is [System.Management.Automation.Language.CommandAst] -and $node.GetCommandName() -eq $Name }, $true)
    }

    # Get-Help, as a user sees it: a fresh pwsh that imports the built module and asks for every cmdlet's full help.
    $moduleLiteral = $ModulePath -replace "'", "''"
    $json = Invoke-ChildPwsh @"
`$ErrorActionPreference = 'Stop'
Import-Module '$moduleLiteral'
`$help = [ordered]@{}
# pwsh sets a cmdlet's HelpFile to the path of the file it loaded for it (the first documented cmdlet asked for;
# the others then come from its cache and keep the bare file name).
foreach (`$command in Get-Command -Module IsulaKata -CommandType Cmdlet) {
    `$null = Get-Help `$command.Name
    if ([System.IO.Path]::IsPathRooted(`$command.HelpFile)) { `$help['(help file)'] = [ordered]@{ Cmdlet = `$command.Name; HelpFile = `$command.HelpFile }; break }
}
foreach (`$command in Get-Command -Module IsulaKata -CommandType Cmdlet) {
    `$full = Get-Help `$command.Name -Full
    `$help[`$command.Name] = [ordered]@{
        Text     = `$full | Out-String -Width 4096
        Synopsis = [string] `$full.Synopsis
        Examples = @(`$full.examples.example).Count
    }
}
`$about = Get-Help about_IsulaKata
`$help['about_IsulaKata'] = [ordered]@{ Text = `$about | Out-String -Width 4096; Category = [string] `$about.Category }
`$help | ConvertTo-Json -Depth 4
"@
    $script:Rendered = $json | ConvertFrom-Json -AsHashtable
}

Describe 'Help of <Name>' -ForEach $cmdlets {
    BeforeAll {
        $command = Get-Command $Name
        $pagePath = Join-Path $Docs "$Name.md"
        $page = if (Test-Path -LiteralPath $pagePath) { Read-HelpMarkdown -Path $pagePath }
        $documented = @{}
        if ($page) { foreach ($parameter in $page.Parameters) { $documented[$parameter.Name] = $parameter } }
        $parameters = @($command.Parameters.Values | Where-Object { -not $Common.Contains($_.Name) })
    }

    It 'has a page docs/en-US/<Name>.md in platyPS layout' {
        $pagePath | Should -Exist -Because "every exported cmdlet needs a help page (copy the layout of docs/en-US/Set-IsulaRuntime.md)"
        $page.Name | Should -BeExactly $Name
        $page.FrontMatter['external help file'] | Should -Be 'IsulaKata.dll-Help.xml'
        $page.FrontMatter['Module Name'] | Should -Be 'IsulaKata'
        $missing = @('SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS') | Where-Object { $page.Sections -notcontains $_ }
        $missing | Should -BeNullOrEmpty -Because 'a platyPS page has these sections'
        $page.Synopsis | Should -Not -BeNullOrEmpty
        $page.Description | Should -Not -BeNullOrEmpty
        $page.Inputs | Should -Not -BeNullOrEmpty -Because "INPUTS names a type (or 'None')"
        $page.Outputs | Should -Not -BeNullOrEmpty -Because "OUTPUTS names a type (or 'None')"
    }

    It 'describes every parameter, including -WhatIf and -Confirm where the cmdlet has them' {
        $undocumented = @($parameters | Where-Object { -not $documented.ContainsKey($_.Name) } | ForEach-Object { "-$($_.Name)" })
        $undocumented | Should -BeNullOrEmpty -Because "each parameter needs a '### -Name' section"
        $empty = @($parameters | Where-Object { $documented.ContainsKey($_.Name) -and -not ($documented[$_.Name].Description -join '').Trim() } | ForEach-Object { "-$($_.Name)" })
        $empty | Should -BeNullOrEmpty -Because 'a parameter section needs a description above its yaml block'
    }

    It 'documents no parameter the cmdlet does not have' {
        $stale = @($documented.Keys | Where-Object { -not $command.Parameters.ContainsKey($_) } | ForEach-Object { "-$_" })
        $stale | Should -BeNullOrEmpty
    }

    It 'gives each parameter the metadata the cmdlet declares (type, sets, aliases, required, position, pipeline, wildcards)' {
        $allSets = @($command.ParameterSets.Name)
        $problems = foreach ($parameter in $parameters) {
            $doc = $documented[$parameter.Name]
            if (-not $doc) { continue }
            $yaml = $doc.Metadata
            $where = "-$($parameter.Name)"
            $inSets = @($command.ParameterSets | Where-Object { $_.Parameters.Name -contains $parameter.Name })
            $infos = @($inSets | ForEach-Object { $_.Parameters | Where-Object Name -EQ $parameter.Name })
            if ($yaml.Count -eq 0) { "$where has no yaml block"; continue }

            $type = Get-TypeDisplayName $parameter.ParameterType
            if ($yaml['Type'] -notin @($type, $parameter.ParameterType.FullName)) { "$where Type is '$($yaml['Type'])', the cmdlet's is '$type'" }

            $sets = if ($inSets.Count -eq $allSets.Count) { '(All)' } else { ($inSets.Name | Sort-Object) -join ', ' }
            $pageSets = if ($yaml['Parameter Sets'] -eq '(All)') { '(All)' } else { (($yaml['Parameter Sets'] -split ',\s*' | ForEach-Object { $_.Trim() }) | Sort-Object) -join ', ' }
            if ($pageSets -ne $sets -and -not ($sets -eq '(All)' -and $pageSets -eq (($allSets | Sort-Object) -join ', '))) { "$where Parameter Sets is '$($yaml['Parameter Sets'])', the cmdlet's is '$sets'" }

            $aliases = (@($parameter.Aliases) | Sort-Object) -join ', '
            $pageAliases = (@($yaml['Aliases'] -split ',\s*' | Where-Object { $_ }) | Sort-Object) -join ', '
            if ($pageAliases -ne $aliases) { "$where Aliases is '$($yaml['Aliases'])', the cmdlet's is '$aliases'" }

            $required = @($infos.IsMandatory | Select-Object -Unique)
            if ($required.Count -eq 1 -and $yaml['Required'] -ne $required[0].ToString()) { "$where Required is '$($yaml['Required'])', the cmdlet's is '$($required[0])'" }

            $positions = @($infos | ForEach-Object { if ($_.Position -ge 0) { [string] $_.Position } else { 'Named' } } | Select-Object -Unique)
            if ($positions.Count -eq 1 -and $yaml['Position'] -ne $positions[0]) { "$where Position is '$($yaml['Position'])', the cmdlet's is '$($positions[0])'" }

            $ways = @(if ($infos | Where-Object ValueFromPipeline) { 'ByValue' }; if ($infos | Where-Object ValueFromPipelineByPropertyName) { 'ByPropertyName' })
            $pipeline = if ($ways) { "True ($($ways -join ', '))" } else { 'False' }
            $pageWays = @([regex]::Matches($yaml['Accept pipeline input'], 'By(Value|PropertyName)').Value | Sort-Object)
            $pageAccepts = $yaml['Accept pipeline input'] -match '^\s*True'
            if ($pageAccepts -ne [bool] $ways -or (($pageWays -join ',') -ne (($ways | Sort-Object) -join ','))) {
                "$where Accept pipeline input is '$($yaml['Accept pipeline input'])', the cmdlet's is '$pipeline'"
            }

            $wildcards = [bool]($parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
            if ($yaml['Accept wildcard characters'] -ne $wildcards.ToString()) { "$where Accept wildcard characters is '$($yaml['Accept wildcard characters'])', the cmdlet's is '$wildcards'" }
        }
        @($problems) | Should -BeNullOrEmpty
    }

    It 'has at least two examples that run <Name>' {
        $running = @($page.Examples | Where-Object { Test-InvokesCommand $_.Code $Name })
        $running.Count | Should -BeGreaterOrEqual 2
    }

    It 'names in its examples only parameters that exist' {
        $problems = for ($i = 0; $i -lt $page.Examples.Count; $i++) {
            Get-ExampleProblem $page.Examples[$i].Code "Example $($i + 1) ('$($page.Examples[$i].Title)')"
        }
        @($problems) | Should -BeNullOrEmpty
    }

    It 'lists the output types the cmdlet declares' {
        $declared = @($command.OutputType.Name)
        $declared | Should -Not -BeNullOrEmpty -Because 'every cmdlet declares [OutputType]'
        $declared | Where-Object { $page.Outputs.Type -notcontains $_ } | Should -BeNullOrEmpty
    }

    It 'shows, in Get-Help -Full in a fresh pwsh, the synopsis of its page (the MAML loaded)' {
        $Rendered.Contains($Name) | Should -BeTrue
        # Without the MAML, pwsh makes help from the metadata, whose synopsis is the syntax.
        Get-Normalized $Rendered[$Name].Synopsis | Should -BeExactly (Get-Normalized $page.Synopsis)
    }

    It 'shows, in Get-Help -Full, the description, every parameter with its description, inputs, outputs and notes' {
        $text = Get-Normalized $Rendered[$Name].Text
        $expected = @($page.Description) + @($page.Notes) + @(@($page.Inputs) + @($page.Outputs) | ForEach-Object { $_.Type; $_.Description })
        foreach ($parameter in $parameters) {
            $expected += "-$($parameter.Name) "
            $expected += @($documented[$parameter.Name].Description)
        }
        $absent = @($expected | Where-Object { $_ } | Where-Object { -not $text.Contains((Get-Normalized $_)) })
        $absent | Should -BeNullOrEmpty
    }

    It 'shows, in Get-Help -Full, every example with its code and remarks' {
        $text = Get-Normalized $Rendered[$Name].Text
        $Rendered[$Name].Examples | Should -Be $page.Examples.Count
        $absent = @(foreach ($example in $page.Examples) {
                foreach ($piece in @($example.Title, $example.Code) + @($example.Remarks)) {
                    if ($piece -and -not $text.Contains((Get-Normalized $piece))) { $piece }
                }
            })
        $absent | Should -BeNullOrEmpty
    }
}

Describe 'Where pwsh finds the help' {
    It 'loads en-US/IsulaKata.dll-Help.xml from the module folder: the file every cmdlet names, in its culture folder' {
        $Module.ExportedCmdlets.Values | ForEach-Object HelpFile | Select-Object -Unique | Should -Be 'IsulaKata.dll-Help.xml'
        $Rendered.Contains('(help file)') | Should -BeTrue -Because 'Get-Help found a help file for at least one cmdlet'
        $Rendered['(help file)'].HelpFile | Should -Be (Join-Path $Module.ModuleBase 'en-US/IsulaKata.dll-Help.xml')
    }
}

Describe 'The docs folder' {
    It 'has a page only for cmdlets the module exports' {
        $pages = Get-ChildItem -LiteralPath $Docs -Filter '*-*.md' | ForEach-Object BaseName
        $pages | Where-Object { -not $Module.ExportedCmdlets.ContainsKey($_) } | Should -BeNullOrEmpty
    }
}

Describe 'about_IsulaKata' {
    BeforeAll {
        $topic = Join-Path $Module.ModuleBase 'en-US/about_IsulaKata.help.txt'
        $text = Get-Normalized $Rendered['about_IsulaKata'].Text
    }

    It 'is shown by Get-Help about_IsulaKata in a fresh pwsh' {
        $Rendered['about_IsulaKata'].Category | Should -Be 'HelpFile'
        $Rendered['about_IsulaKata'].Text | Should -Match '(?m)^TOPIC\s+about_IsulaKata'
        foreach ($heading in 'SHORT DESCRIPTION', 'LONG DESCRIPTION', 'SAFETY', 'PITFALLS THE MODULE GUARDS AGAINST') {
            $Rendered['about_IsulaKata'].Text | Should -Match "(?m)^$heading\s*$"
        }
    }

    It 'shows the two pipelines of the procedure' {
        $text | Should -BeLike '*New-IsulaThinPool -Device /dev/vdb | Set-IsulaRuntime -Restart*'
        $text | Should -BeLike '*Set-IsulaRuntime | Set-KataHypervisor -Hypervisor StratoVirt | Test-SecureContainer*'
    }

    It 'explains the safety nets and the pitfalls' {
        foreach ($subject in '-WhatIf', '-Root', 'isulakata-yyyyMMddHHmmss.bak', 'Rollback', 'Trailing comma', 'wrong kata table',
            'Several active hypervisor tables', '/etc versus /usr/share', 'Unquoted $@', 'vhost_vsock not persisted',
            'overlay2 options left over', 'pvcreate -f wipes signatures', 'Metadata sizing') {
            $text | Should -BeLike "*$([WildcardPattern]::Escape($subject))*"
        }
    }

    It 'names every exported cmdlet' {
        $Module.ExportedCmdlets.Keys | Where-Object { -not $text.Contains($_) } | Should -BeNullOrEmpty
    }

    It 'gives the module''s cmdlets only parameters they have, in every code block' {
        $blocks = @(ConvertFrom-HelpMarkdownBlock (Get-Content -LiteralPath (Join-Path $Docs 'about_IsulaKata.md')) | Where-Object Kind -EQ 'Code')
        $blocks.Count | Should -BeGreaterOrEqual 2
        $problems = for ($i = 0; $i -lt $blocks.Count; $i++) { Get-ExampleProblem ($blocks[$i].Lines -join "`n") "Code block $($i + 1)" }
        @($problems) | Should -BeNullOrEmpty
    }

    It 'fits 80 columns' {
        Get-Content -LiteralPath $topic | Where-Object Length -GT 80 | Should -BeNullOrEmpty
    }
}

Describe 'The help generator (New-ModuleHelp.ps1) on a fixture module' {
    BeforeAll {
        $fixtureModule = Join-Path $TestDrive 'HelpFixture'
        Copy-Item -LiteralPath (Join-Path $Fixtures 'HelpModule') -Destination $fixtureModule -Recurse
        $generator = Join-Path $Repo 'src/IsulaKata.PowerShell/Help/New-ModuleHelp.ps1'
        $quoted = @{ Generator = $generator; Module = (Join-Path $fixtureModule 'HelpFixture.psm1'); Docs = (Join-Path $fixtureModule 'docs'); Out = (Join-Path $fixtureModule 'en-US') }
        foreach ($key in @($quoted.Keys)) { $quoted[$key] = $quoted[$key] -replace "'", "''" }
        $output = Invoke-ChildPwsh @"
`$ErrorActionPreference = 'Stop'
& '$($quoted.Generator)' -ModulePath '$($quoted.Module)' -DocsPath '$($quoted.Docs)' -OutputPath '$($quoted.Out)' -HelpFileName HelpFixture-Help.xml 3>&1 | ForEach-Object { "OUT: `$_" }
Import-Module '$($quoted.Module)' -Force
'HELP-START'
Get-Help Get-HelpFixture -Full | Out-String -Width 4096
"@
        $generatorOutput, $helpText = $output -split 'HELP-START', 2
        [xml] $maml = Get-Content -Raw -LiteralPath (Join-Path $fixtureModule 'en-US/HelpFixture-Help.xml')
        $ns = [System.Xml.XmlNamespaceManager]::new($maml.NameTable)
        $ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
        $ns.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')
        $ns.AddNamespace('dev', 'http://schemas.microsoft.com/maml/dev/2004/10')
        $ns.AddNamespace('msh', 'http://msh')
        $command = $maml.SelectSingleNode('/msh:helpItems/command:command', $ns)
        function Get-MamlParameter { param([string] $Name) $command.SelectSingleNode("command:parameters/command:parameter[maml:name='$Name']", $ns) }
    }

    It 'writes one command per documented command and warns about the rest' {
        @($maml.SelectNodes('/msh:helpItems/command:command', $ns)).Count | Should -Be 1
        $command.SelectSingleNode('command:details/command:name', $ns).InnerText | Should -Be 'Get-HelpFixture'
        $generatorOutput | Should -Match 'Set-HelpFixture has no help page'
        $generatorOutput | Should -Match 'documents -Ghost, which Get-HelpFixture does not have'
    }

    It 'writes one syntax item per parameter set, default set first, positional then mandatory then optional' {
        $items = @($command.SelectNodes('command:syntax/command:syntaxItem', $ns))
        $items.Count | Should -Be 2
        @($items[0].SelectNodes('command:parameter/maml:name', $ns).InnerText) | Should -Be @('Name', 'Count', 'Force', 'Limit', 'WhatIf', 'Confirm')
        @($items[1].SelectNodes('command:parameter/maml:name', $ns).InnerText) | Should -Be @('Path', 'Count', 'Force', 'Limit', 'WhatIf', 'Confirm')
        $items[1].SelectSingleNode("command:parameter[maml:name='Count']", $ns).required | Should -Be 'true'
        $items[0].SelectSingleNode("command:parameter[maml:name='Count']", $ns).required | Should -Be 'false'
        $items[0].SelectSingleNode("command:parameter[maml:name='Force']/command:parameterValue", $ns) | Should -BeNullOrEmpty -Because 'a switch shows no value in the syntax'
    }

    It 'takes parameter metadata from the command and default values and descriptions from the page' {
        $name = Get-MamlParameter 'Name'
        $name.required | Should -Be 'true'
        $name.position | Should -Be '0'
        $name.pipelineInput | Should -Be 'True (ByValue)'
        $name.globbing | Should -Be 'true'
        $name.aliases | Should -Be 'N, Label'
        $name.variableLength | Should -Be 'true'
        $name.SelectSingleNode('command:parameterValue', $ns).InnerText | Should -Be 'String[]'
        $name.SelectSingleNode('dev:type/maml:name', $ns).InnerText | Should -Be 'System.String[]'
        (Get-MamlParameter 'Path').pipelineInput | Should -Be 'True (ByPropertyName)'
        $count = Get-MamlParameter 'Count'
        $count.required | Should -Be 'false' -Because 'Get-Help shows required only as true or false'
        $count.position | Should -Be 'named'
        $count.SelectSingleNode('dev:defaultValue', $ns).InnerText | Should -Be '3'
        @($count.SelectNodes('maml:description/maml:para', $ns).InnerText) | Should -Be @('How many.', 'Second paragraph of the description.', 'Mandatory in parameter set ByPath; optional in ByName.')
        (Get-MamlParameter 'Limit').SelectSingleNode('command:parameterValue', $ns).InnerText | Should -Be 'Int32'
        (Get-MamlParameter 'Force').SelectSingleNode('command:parameterValue', $ns).InnerText | Should -Be 'SwitchParameter'
        Get-MamlParameter 'Ghost' | Should -BeNullOrEmpty
        @($command.SelectNodes('command:parameters/command:parameter/maml:name', $ns).InnerText) | Should -Be @('Name', 'Path', 'Count', 'Force', 'Limit', 'WhatIf', 'Confirm')
    }

    It 'turns the prose into paragraphs: wrapped lines joined, list items apart, links as text' {
        @($command.SelectNodes('maml:description/maml:para', $ns).InnerText) | Should -Be @(
            'The first paragraph, written over three lines with `code` and a link (https://example.org/x) and a page.'
            '- The first item of a list, continued.'
            '- The second item.')
        $command.SelectSingleNode('command:details/maml:description/maml:para', $ns).InnerText | Should -Be 'Gets fixtures by name or by path.'
    }

    It 'writes examples with their code and remarks, inputs, outputs, notes and links' {
        $examples = @($command.SelectNodes('command:examples/command:example', $ns))
        $examples.Count | Should -Be 2
        $examples[0].SelectSingleNode('maml:title', $ns).InnerText | Should -Match 'Example 1: By name'
        $examples[0].SelectSingleNode('dev:code', $ns).InnerText | Should -Be 'Get-HelpFixture -Name alpha, beta -Count 2'
        @($examples[0].SelectNodes('dev:remarks/maml:para', $ns).InnerText) | Should -Be @('Gets two fixtures.', '')
        $examples[1].SelectSingleNode('dev:code', $ns).InnerText | Should -Be "'alpha' | Get-HelpFixture |`n    Select-Object -First 1"
        @($examples[1].SelectNodes('dev:remarks/maml:para', $ns).InnerText) | Should -Be @('Some introduction.', '    alpha', 'The remark after the output.', '')
        $command.SelectSingleNode('command:inputTypes/command:inputType/dev:type/maml:name', $ns).InnerText | Should -Be 'System.String[]'
        $command.SelectSingleNode('command:returnValues/command:returnValue/dev:type/maml:name', $ns).InnerText | Should -Be 'System.String'
        $command.SelectSingleNode('maml:alertSet/maml:alert/maml:para', $ns).InnerText | Should -Be 'Error ids: FixtureMissing.'
        $links = @($command.SelectNodes('command:relatedLinks/maml:navigationLink', $ns))
        @($links | ForEach-Object { $_.SelectSingleNode('maml:linkText', $ns).InnerText }) | Should -Be @('Online Version:', 'Set-HelpFixture', 'Fixture site')
        @($links | ForEach-Object { $_.SelectSingleNode('maml:uri', $ns).InnerText }) | Should -Be @('https://example.org/help/Get-HelpFixture', '', 'https://example.org/fixtures')
    }

    It 'writes MAML that Get-Help displays, both parameter sets included' {
        $text = Get-Normalized $helpText
        foreach ($expected in @(
                'Get-HelpFixture [-Name] <String[]> [-Count <Int32>] [-Force] [-Limit <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]'
                'Get-HelpFixture [-Path] <String> -Count <Int32> [-Force] [-Limit <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]'
                'Gets fixtures by name or by path.'
                '-Count <Int32> How many. Second paragraph of the description. Mandatory in parameter set ByPath; optional in ByName. Required? false Position? named Default value 3'
                'Accept pipeline input? True (ByValue) Aliases N, Label Accept wildcard characters? true'
                'Get-HelpFixture -Name alpha, beta -Count 2 Gets two fixtures.')) {
            $text | Should -BeLike "*$([WildcardPattern]::Escape($expected))*"
        }
    }
}

Describe 'Read-HelpMarkdown on a broken page' {
    It 'names the page and the problem when a code block is never closed' {
        $page = Join-Path $TestDrive 'Broken-Page.md'
        Set-Content -LiteralPath $page -Value "# Broken-Page`n`n## EXAMPLES`n`n### Example 1`n``````powershell`nBroken-Page`n"
        { Read-HelpMarkdown -Path $page } | Should -Throw '*never closed*'
    }
}
