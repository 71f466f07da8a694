# IsulaKata's cmdlets live in lib/IsulaKata.dll, loaded with Tomlyn and CliWrap into a load context of
# their own (bin/IsulaKata.Loader.dll), so another module's copy of those libraries never clashes with ours.
if (-not ('IsulaKata.Loader.ModuleLoadContext' -as [type])) {
    Add-Type -LiteralPath ([System.IO.Path]::Combine($PSScriptRoot, 'bin', 'IsulaKata.Loader.dll'))
}
$assembly = [IsulaKata.Loader.ModuleLoadContext]::LoadModule([System.IO.Path]::Combine($PSScriptRoot, 'lib'))
Import-Module -Assembly $assembly -Force
