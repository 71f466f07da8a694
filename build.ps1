#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests and packages the IsulaKata module.
.DESCRIPTION
    Build    (default) produces the installable module folder output/IsulaKata/<ModuleVersion>/.
    Test     builds and packs, then runs every Pester test in a child pwsh against that folder and that package,
             then the fleet tests (tests/Fleet: four test hosts in network and mount namespaces with real sshd
             and PowerShell remoting over SSH), then the real-kernel tests (tests/Integration) in a throwaway qemu
             guest (tests/vm/testvm.sh); exits non-zero on failure.
    Package  builds, then produces output/IsulaKata.<ModuleVersion>.nupkg with Publish-PSResource.
    Preview  builds, then shows what the module would do on this machine without changing it.
    The version lives in one place: ModuleVersion in IsulaKata.psd1.
.EXAMPLE
    dotnet tool restore; dotnet tool run pwsh -NoProfile -File ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Preview')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Test only: the tags of Pester tests to run (default: all).
    [string[]] $Tag,

    # Leave out the ReadyToRun copies (lib/r2r-*): a quicker build for development; the module then JIT-compiles.
    [switch] $NoReadyToRun
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$repo = $PSScriptRoot
$manifest = Import-PowerShellDataFile -LiteralPath (Join-Path $repo 'IsulaKata.psd1')
$version = $manifest.ModuleVersion
$output = Join-Path $repo 'output'
$moduleDir = Join-Path $output "IsulaKata/$version"
$source = Join-Path $repo 'src/IsulaKata.PowerShell'

function Invoke-Native {
    # Runs a program (first argument) with the other arguments as they are, and stops the build when it fails.
    $program, $arguments = $args
    Write-Host "> $program $($arguments -join ' ')" -ForegroundColor DarkGray
    & $program @arguments
    if ($LASTEXITCODE -ne 0) { throw "'$program $($arguments -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Get-ChildPwsh {
    # The pwsh this build runs in (the dotnet tool), started fresh: dotnet <PSHOME>/pwsh.dll.
    $pwshDll = Join-Path $PSHOME 'pwsh.dll'
    if ((Split-Path -Leaf ([Environment]::ProcessPath)) -eq 'dotnet' -and (Test-Path $pwshDll)) {
        return @([Environment]::ProcessPath, $pwshDll)
    }
    return @([Environment]::ProcessPath)
}

function Invoke-Build {
    $staging = Join-Path $output 'staging'
    Remove-Item -LiteralPath $staging, $moduleDir -Recurse -Force -ErrorAction SilentlyContinue
    Invoke-Native dotnet publish (Join-Path $source 'IsulaKata.PowerShell.csproj') -c $Configuration -o (Join-Path $staging 'lib') "-p:Version=$version" --nologo -v quiet
    Invoke-Native dotnet publish (Join-Path $source 'Loader/IsulaKata.Loader.csproj') -c $Configuration -o (Join-Path $staging 'bin') "-p:Version=$version" --nologo -v quiet

    New-Item -ItemType Directory -Path (Join-Path $moduleDir 'lib'), (Join-Path $moduleDir 'bin'), (Join-Path $moduleDir 'Formats') -Force | Out-Null
    # Only what a user needs: no pdb, no deps.json, no XML docs.
    Copy-Item (Join-Path $staging 'lib/*.dll') (Join-Path $moduleDir 'lib')
    Copy-Item (Join-Path $staging 'bin/IsulaKata.Loader.dll') (Join-Path $moduleDir 'bin')
    if (-not $NoReadyToRun) { Invoke-ReadyToRun -Lib (Join-Path $moduleDir 'lib') }
    Copy-Item (Join-Path $repo 'IsulaKata.psd1'), (Join-Path $source 'Module/IsulaKata.psm1'), (Join-Path $repo 'LICENSE') $moduleDir
    Copy-Item (Join-Path $source 'Formats/*.Format.ps1xml') (Join-Path $moduleDir 'Formats')
    Remove-Item -LiteralPath $staging -Recurse -Force

    # Help (en-US/IsulaKata.dll-Help.xml and about_*.help.txt) from docs/en-US; the generator imports the built
    # module to read its cmdlets, so it runs in a child pwsh and this one never loads the module's assemblies.
    $child = Get-ChildPwsh
    & $child[0] @($child | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $source 'Help/New-ModuleHelp.ps1') `
        -ModulePath (Join-Path $moduleDir 'IsulaKata.psd1') -DocsPath (Join-Path $repo 'docs/en-US')
    if ($LASTEXITCODE -ne 0) { throw "The help generator failed (exit code $LASTEXITCODE)." }

    $null = Test-ModuleManifest -Path (Join-Path $moduleDir 'IsulaKata.psd1')
    Write-Host "Built $moduleDir"
}

function Invoke-ReadyToRun {
    # Precompiles the module's assemblies (lib/*.dll) with crossgen2 into lib/r2r-net<major>-linux-<arch>/ for the
    # .NET versions of PowerShell 7.4 (net8) and 7.6 (net10), on x64 and arm64. ReadyToRun code is used only by the
    # runtime major it was compiled for, so the loader (Loader/ModuleLoadContext.cs) picks the folder of the running
    # runtime and architecture and falls back to the IL in lib/ anywhere else. Each copy still holds the IL, so a copy
    # the runtime rejects only costs JIT time, never correctness.
    param([Parameter(Mandatory)] [string] $Lib)
    $project = Join-Path $source 'ReadyToRun/ReadyToRun.csproj'
    $props = ([xml](Get-Content -Raw -LiteralPath $project)).Project.PropertyGroup
    $hostArch = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture.ToString().ToLowerInvariant()
    $buildRid = "linux-$hostArch"
    Invoke-Native dotnet restore $project "-p:BuildRid=$buildRid" --nologo -v quiet
    $nugetRoot = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    # The SMA reference assembly the module compiles against (PowerShellStandard.Library): calls into PowerShell stay
    # outside the version bubble and are bound when the module loads.
    $sma = Get-ChildItem (Join-Path $nugetRoot 'powershellstandard.library/*/lib/netstandard2.0/System.Management.Automation.dll') | Select-Object -Last 1
    $assemblies = @(Get-ChildItem -LiteralPath $Lib -Filter *.dll)
    $jobs = foreach ($runtime in @(@{ Major = 8; Version = $props.Net8Version }, @{ Major = 10; Version = $props.Net10Version })) {
        $crossgen = Join-Path $nugetRoot "microsoft.netcore.app.crossgen2.$buildRid/$($runtime.Version)/tools/crossgen2"
        if (-not (Test-Path -LiteralPath $crossgen)) { throw "crossgen2 $($runtime.Version) was not restored to '$crossgen'." }
        foreach ($arch in 'x64', 'arm64') {
            $framework = Join-Path $nugetRoot "microsoft.netcore.app.runtime.linux-$arch/$($runtime.Version)/runtimes/linux-$arch/lib/net$($runtime.Major).0"
            if (-not (Test-Path -LiteralPath $framework)) { throw ".NET runtime pack linux-$arch $($runtime.Version) was not restored to '$framework'." }
            $target = Join-Path $Lib "r2r-net$($runtime.Major)-linux-$arch"
            New-Item -ItemType Directory -Path $target -Force | Out-Null
            foreach ($assembly in $assemblies) {
                [pscustomobject]@{
                    Crossgen = $crossgen; Arch = $arch; Target = Join-Path $target $assembly.Name
                    Arguments = @($assembly.FullName, '-o', (Join-Path $target $assembly.Name)) +
                        @($assemblies | Where-Object Name -NE $assembly.Name | ForEach-Object { '-r', $_.FullName }) +
                        @('-r', (Join-Path $framework '*.dll'), '-r', $sma.FullName, '--targetos:linux', "--targetarch:$arch", '-O')
                }
            }
        }
    }
    $failed = $jobs | ForEach-Object -ThrottleLimit ([Environment]::ProcessorCount) -Parallel {
        $log = & $_.Crossgen @($_.Arguments) 2>&1
        if ($LASTEXITCODE -ne 0) { "crossgen2 $($_.Arguments -join ' ') failed (exit code $LASTEXITCODE): $($log -join [Environment]::NewLine)" }
    }
    if ($failed) { throw ($failed -join [Environment]::NewLine) }
    Write-Host "ReadyToRun: $($jobs.Count) assemblies in $(@($jobs.Target | Split-Path -Parent | Sort-Object -Unique).Count) folders"
}

function Invoke-Test {
    # The host suite's own tools beyond a base Debian: jq (the fake systemctl checks daemon.json as isulad does).
    $tools = [ordered]@{ jq = 'jq' }
    $missing = @($tools.Keys | Where-Object { -not (Get-Command $_ -ErrorAction SilentlyContinue) } | ForEach-Object { $tools[$_] })
    if ($missing -and (id -u) -eq '0' -and (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Host "Installing $($missing -join ', ') for the tests (apt-get)."
        $env:DEBIAN_FRONTEND = 'noninteractive'
        apt-get update -qq | Out-Null
        apt-get install -y -qq --no-install-recommends @missing | Out-Null
    }
    Invoke-Native dotnet restore (Join-Path $repo 'tests/TestDependencies.csproj') --nologo -v quiet
    $pesterVersion = ([xml](Get-Content -Raw (Join-Path $repo 'tests/TestDependencies.csproj'))).Project.PropertyGroup.PesterVersion
    $nugetRoot = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $pester = Join-Path $nugetRoot "pester/$pesterVersion/tools/Pester.psd1"
    if (-not (Test-Path -LiteralPath $pester)) { throw "Pester $pesterVersion was not restored to '$pester'." }

    $child = Get-ChildPwsh
    $runner = Join-Path $repo 'tests/Invoke-PesterSuite.ps1'
    $arguments = @('-NoProfile', '-NonInteractive', '-File', $runner, '-PesterPath', $pester,
        '-ModulePath', (Join-Path $moduleDir 'IsulaKata.psd1'), '-TestPath', (Join-Path $repo 'tests/Pester'),
        '-SummaryPath', (Join-Path $output 'host-summary.txt'))
    if ($Tag) { $arguments += @('-Tag', ($Tag -join ',')) }
    & $child[0] @($child | Select-Object -Skip 1) @arguments
    if ($LASTEXITCODE -ne 0) {
        Write-Host "Tests failed (exit code $LASTEXITCODE)." -ForegroundColor Red
        exit 1
    }
}

function Write-TestTotal {
    # One closing line for the host suite and the VM suite together.
    $passed, $failed, $skipped = (Get-Content -LiteralPath (Join-Path $output 'host-summary.txt')).Split(' ') | ForEach-Object { [int]$_ }
    $vmResults = Join-Path $output 'vm-results/integration.xml'
    if (-not $Tag -and (Test-Path -LiteralPath $vmResults)) {
        $vm = ([xml](Get-Content -Raw -LiteralPath $vmResults)).'test-results'
        $vmFailed = [int]$vm.failures + [int]$vm.errors
        $passed += [int]$vm.total - $vmFailed - [int]$vm.skipped - [int]$vm.'not-run'
        $failed += $vmFailed
        $skipped += [int]$vm.skipped + [int]$vm.'not-run'
    }
    $fleetSummary = Join-Path $output 'fleet-summary.txt'
    if (-not $Tag -and (Test-Path -LiteralPath $fleetSummary)) {
        $fleetPassed, $fleetFailed, $fleetSkipped = (Get-Content -LiteralPath $fleetSummary).Split(' ') | ForEach-Object { [int]$_ }
        $passed += $fleetPassed; $failed += $fleetFailed; $skipped += $fleetSkipped
    }
    Write-Host ''
    Write-Host "total: $passed passed, $failed failed, $skipped skipped"
}

function Invoke-SuiteScript {
    # Runs one of the suites that come after the host suite (a script taking -ModulePath and -PesterPath) in a child
    # pwsh; stops the build when it fails. Where such a suite cannot run it prints a loud "SKIPPED: <reason>" itself.
    param([string] $Name, [string] $Script, [hashtable] $More = @{})
    if ($Tag) {
        Write-Host "$Name not selected: -Tag was given." -ForegroundColor Yellow
        return
    }
    $pesterVersion = ([xml](Get-Content -Raw (Join-Path $repo 'tests/TestDependencies.csproj'))).Project.PropertyGroup.PesterVersion
    $nugetRoot = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $arguments = @('-ModulePath', (Join-Path $moduleDir 'IsulaKata.psd1'), '-PesterPath', (Join-Path $nugetRoot "pester/$pesterVersion/tools/Pester.psd1"))
    foreach ($key in $More.Keys) { $arguments += @("-$key", $More[$key]) }
    $child = Get-ChildPwsh
    & $child[0] @($child | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $repo $Script) @arguments
    if ($LASTEXITCODE -ne 0) {
        Write-Host "$Name failed (exit code $LASTEXITCODE)." -ForegroundColor Red
        exit 1
    }
}

function Invoke-FleetTest {
    # The fleet tests (tests/Fleet) after the host suite: real sshd in network and mount namespaces, PowerShell remoting
    # over SSH; their counts go into the closing total.
    $fleetSummary = Join-Path $output 'fleet-summary.txt'
    Remove-Item -LiteralPath $fleetSummary -ErrorAction SilentlyContinue
    Invoke-SuiteScript -Name 'Fleet tests (tests/Fleet)' -Script 'tests/Fleet/Invoke-FleetSuite.ps1' -More @{ SummaryPath = $fleetSummary }
}

function Invoke-VmTest {
    # The real-kernel tests (tests/Integration) in a throwaway qemu guest, after the host suite. Where qemu cannot run
    # at all they print a loud "SKIPPED: <reason>"; any other problem fails the build. Run with every test only.
    Invoke-SuiteScript -Name 'VM tests (tests/Integration)' -Script 'tests/Integration/Invoke-VmSuite.ps1'
}

function Invoke-Package {
    # output/IsulaKata.<version>.nupkg, packed by Publish-PSResource from the built module folder (nothing else goes
    # in: the Build task already left out pdb, deps.json and XML docs). Publishing needs a registered repository, so a
    # child pwsh registers a temporary folder repository in a temporary PSResourceGet store (XDG_DATA_HOME points
    # into the work folder): the user's own repositories are never read or changed, even if the build is killed.
    $nupkg = Join-Path $output "IsulaKata.$version.nupkg"
    $work = Join-Path ([System.IO.Path]::GetTempPath()) "isulakata-package-$([guid]::NewGuid().ToString('N'))"
    $repository = Join-Path $work 'repository'
    New-Item -ItemType Directory -Path $repository, (Join-Path $work 'data') -Force | Out-Null
    $script = @'
param($ModuleDir, $Repository)
$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name IsulaKataBuild -Uri $Repository -Trusted
try { Publish-PSResource -Path $ModuleDir -Repository IsulaKataBuild }
finally { Unregister-PSResourceRepository -Name IsulaKataBuild }
'@
    $scriptPath = Join-Path $work 'publish.ps1'
    Set-Content -LiteralPath $scriptPath -Value $script
    $savedData = $env:XDG_DATA_HOME
    try {
        $env:XDG_DATA_HOME = Join-Path $work 'data'
        $child = Get-ChildPwsh
        & $child[0] @($child | Select-Object -Skip 1) -NoProfile -NonInteractive -File $scriptPath -ModuleDir $moduleDir -Repository $repository
        if ($LASTEXITCODE -ne 0) { throw "Publish-PSResource failed (exit code $LASTEXITCODE)." }
        $built = Join-Path $repository "IsulaKata.$version.nupkg"
        if (-not (Test-Path -LiteralPath $built)) { throw "Publish-PSResource did not produce '$built'." }
        Move-Item -LiteralPath $built -Destination $nupkg -Force
    }
    finally {
        $env:XDG_DATA_HOME = $savedData
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }
    Write-Host "Packed $nupkg"
}

function Invoke-Preview {
    $child = Get-ChildPwsh
    & $child[0] @($child | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $repo 'tests/Show-Preview.ps1') -ModulePath (Join-Path $moduleDir 'IsulaKata.psd1')
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

switch ($Task) {
    'Build' { Invoke-Build }
    # The package tests install the package, so Test packs it too.
    'Test' { Invoke-Build; Invoke-Package; Invoke-Test; Invoke-FleetTest; Invoke-VmTest; Write-TestTotal }
    'Package' { Invoke-Build; Invoke-Package }
    'Preview' { Invoke-Build; Invoke-Preview }
}
