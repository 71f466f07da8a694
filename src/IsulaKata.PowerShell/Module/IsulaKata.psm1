# IsulaKata's cmdlets live in lib/IsulaKata.dll, loaded with Tomlyn and CliWrap into a load context of
# their own (bin/IsulaKata.Loader.dll), so another module's copy of those libraries never clashes with ours.
# The loader is loaded with LoadFromAssemblyPath rather than Add-Type, which costs a few hundred ms at import.
$loaderType = 'IsulaKata.Loader.ModuleLoadContext' -as [type]
if (-not $loaderType) {
    $loaderPath = [System.IO.Path]::Combine($PSScriptRoot, 'bin', 'IsulaKata.Loader.dll')
    $loaderType = [System.Runtime.Loader.AssemblyLoadContext]::Default.LoadFromAssemblyPath($loaderPath).GetType('IsulaKata.Loader.ModuleLoadContext')
}
Import-Module -Assembly $loaderType::LoadModule([System.IO.Path]::Combine($PSScriptRoot, 'lib')) -Force
