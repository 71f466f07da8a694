# IsulaKata's cmdlets live in lib/IsulaKata.dll, loaded with Tomlyn and CliWrap into a load context of
# their own (bin/IsulaKata.Loader.dll), so another module's copy of those libraries never clashes with ours.
if (-not ('IsulaKata.Loader.ModuleLoadContext' -as [type])) {
    Add-Type -LiteralPath ([System.IO.Path]::Combine($PSScriptRoot, 'bin', 'IsulaKata.Loader.dll'))
}
$assembly = [IsulaKata.Loader.ModuleLoadContext]::LoadModule([System.IO.Path]::Combine($PSScriptRoot, 'lib'))
$inner = Import-Module -Assembly $assembly -Force -PassThru
# Import-Module -Force of an already loaded IsulaKata removes the old module and runs this file again; the binary
# module imported here is then not re-exported on its own, so export its cmdlets explicitly.
$addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod('AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
foreach ($cmdlet in $inner.ExportedCmdlets.Values) {
    $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmdlet))
}
