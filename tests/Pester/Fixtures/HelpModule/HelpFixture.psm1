# A tiny script module for the help generator's own tests: two parameter sets, a mandatory positional parameter
# that takes pipeline input by value and wildcards and has aliases, one taken by property name, a parameter mandatory
# in one set only, a switch, a nullable value, ShouldProcess; and a second command without a help page.
function Get-HelpFixture {
    <# .ExternalHelp HelpFixture-Help.xml #>
    [CmdletBinding(DefaultParameterSetName = 'ByName', SupportsShouldProcess)]
    [OutputType([string])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ParameterSetName = 'ByName')]
        [SupportsWildcards()]
        [Alias('N', 'Label')]
        [string[]] $Name,

        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName, ParameterSetName = 'ByPath')]
        [string] $Path,

        [Parameter(ParameterSetName = 'ByName')]
        [Parameter(Mandatory, ParameterSetName = 'ByPath')]
        [int] $Count = 3,

        [switch] $Force,

        [Nullable[int]] $Limit
    )
    process { "$Name$Path" }
}

function Set-HelpFixture {
    param([string] $Value)
    $Value
}

Export-ModuleMember -Function Get-HelpFixture, Set-HelpFixture
