# IsulaKata's cmdlets live in lib/IsulaKata.dll, loaded with Tomlyn and CliWrap into a load context of
# their own (bin/IsulaKata.Loader.dll), so another module's copy of those libraries never clashes with ours.
# The loader is loaded with LoadFromAssemblyPath rather than Add-Type, which costs a few hundred ms at import.
$loaderType = 'IsulaKata.Loader.ModuleLoadContext' -as [type]
if (-not $loaderType) {
    $loaderPath = [System.IO.Path]::Combine($PSScriptRoot, 'bin', 'IsulaKata.Loader.dll')
    $loaderType = [System.Runtime.Loader.AssemblyLoadContext]::Default.LoadFromAssemblyPath($loaderPath).GetType('IsulaKata.Loader.ModuleLoadContext')
}
$binaryModule = Import-Module -Assembly $loaderType::LoadModule([System.IO.Path]::Combine($PSScriptRoot, 'lib')) -Force -PassThru
# Removing this module does not remove the binary module it imported: pwsh keeps it in its module table, and the next
# Import-Module IsulaKata (-Force included) would then get it back without its cmdlets. Remove it with this module.
$ExecutionContext.SessionState.Module.OnRemove = { Remove-Module -ModuleInfo $binaryModule -Force }
