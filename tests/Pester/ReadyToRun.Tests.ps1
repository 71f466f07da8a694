# The precompiled (ReadyToRun) copies of the module's assemblies: what the build makes, which one a pwsh loads, and
# that the module still works where precompiled code does not apply (another runtime, another architecture, none).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ModuleDir = Split-Path $ModulePath -Parent
    $script:Lib = Join-Path $ModuleDir 'lib'
    $script:Assemblies = @(Get-ChildItem -LiteralPath $Lib -Filter *.dll | ForEach-Object Name | Sort-Object)
    # PE machine of a ReadyToRun image for Linux: the architecture's machine XOR the Linux marker 0x7B79.
    $script:Machine = @{ x64 = 0x8664 -bxor 0x7B79; arm64 = 0xAA64 -bxor 0x7B79 }
    $script:Major = [Environment]::Version.Major
    $script:Arch = switch ([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture) { 'X64' { 'x64' } 'Arm64' { 'arm64' } default { $null } }

    function Get-PeFacts {
        param([string] $Path)
        $stream = [System.IO.File]::OpenRead($Path)
        try {
            $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
            [pscustomobject]@{
                Machine    = [int] $pe.PEHeaders.CoffHeader.Machine
                ReadyToRun = $pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size -gt 0
                Version    = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe).GetAssemblyDefinition().Version
            }
        }
        finally { $stream.Dispose() }
    }

    function Invoke-ModuleCopy {
        # Imports a module folder in a fresh pwsh, runs Get-IsulaRuntime on a fixture root and reports where the
        # module's assemblies came from.
        param([string] $Manifest)
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $out = Invoke-ChildPwsh -Script @"
Import-Module '$Manifest'
`$config = Get-IsulaRuntime -Root '$root'
'runtime=' + `$config.Runtime
[System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ IsulaKata | ForEach-Object Assemblies | Where-Object { `$_.GetName().Name -eq 'IsulaKata' } | ForEach-Object { 'location=' + `$_.Location }
"@
        @{
            Runtime  = ($out -split "`n" | Where-Object { $_ -like 'runtime=*' }) -replace '^runtime=' | ForEach-Object Trim
            Location = ($out -split "`n" | Where-Object { $_ -like 'location=*' }) -replace '^location=' | ForEach-Object Trim
        }
    }
}

Describe 'The ReadyToRun copies the build makes' {
    It 'has one folder per runtime and architecture, each with every assembly of lib/' -ForEach @(
        @{ Folder = 'r2r-net8-linux-x64' }, @{ Folder = 'r2r-net8-linux-arm64' },
        @{ Folder = 'r2r-net10-linux-x64' }, @{ Folder = 'r2r-net10-linux-arm64' }
    ) {
        @(Get-ChildItem -LiteralPath (Join-Path $Lib $Folder) -Filter *.dll | ForEach-Object Name | Sort-Object) | Should -Be $Assemblies
    }

    It 'holds ReadyToRun images for the folder''s architecture, of the same assembly versions as the IL' -ForEach @(
        @{ Folder = 'r2r-net8-linux-x64'; Arch = 'x64' }, @{ Folder = 'r2r-net8-linux-arm64'; Arch = 'arm64' },
        @{ Folder = 'r2r-net10-linux-x64'; Arch = 'x64' }, @{ Folder = 'r2r-net10-linux-arm64'; Arch = 'arm64' }
    ) {
        foreach ($name in $Assemblies) {
            $il = Get-PeFacts (Join-Path $Lib $name)
            $precompiled = Get-PeFacts (Join-Path $Lib "$Folder/$name")
            $il.ReadyToRun | Should -BeFalse -Because "lib/$name is the IL every runtime can run"
            $precompiled.ReadyToRun | Should -BeTrue -Because "$Folder/$name is precompiled"
            $precompiled.Machine | Should -Be $Machine[$Arch] -Because "$Folder/$name is for linux-$Arch"
            $precompiled.Version | Should -Be $il.Version
        }
    }
}

Describe 'Which copy a pwsh loads' {
    It 'loads the copy made for this runtime and architecture' {
        $result = Invoke-ModuleCopy -Manifest $ModulePath
        $result.Runtime | Should -Be 'runc'
        $expected = if ($Arch -and $Major -in 8, 10) { Join-Path $Lib "r2r-net$Major-linux-$Arch/IsulaKata.dll" } else { Join-Path $Lib 'IsulaKata.dll' }
        $result.Location | Should -Be $expected
    }

    It 'still works where the precompiled code does not apply (a copy made for another runtime in this one''s place)' {
        $copy = Join-Path $TestDrive 'other-runtime'
        Copy-Item -LiteralPath $ModuleDir -Destination $copy -Recurse
        $mine = Join-Path $copy "lib/r2r-net$Major-linux-$Arch"
        $other = if ($Major -eq 10) { 'r2r-net8-linux-x64' } else { 'r2r-net10-linux-x64' }
        if ($Arch -eq 'arm64') { $other = $other -replace 'x64$', 'arm64' }
        New-Item -ItemType Directory -Path $mine -Force | Out-Null
        Copy-Item -Path (Join-Path $copy "lib/$other/*.dll") -Destination $mine -Force
        $result = Invoke-ModuleCopy -Manifest (Join-Path $copy 'IsulaKata.psd1')
        $result.Runtime | Should -Be 'runc'
        $result.Location | Should -Be (Join-Path $mine 'IsulaKata.dll')
    }

    It 'loads the IL from lib/ when no copy was made for this runtime' {
        $copy = Join-Path $TestDrive 'il-only'
        Copy-Item -LiteralPath $ModuleDir -Destination $copy -Recurse
        Get-ChildItem -LiteralPath (Join-Path $copy 'lib') -Directory -Filter 'r2r-*' | Remove-Item -Recurse -Force
        $result = Invoke-ModuleCopy -Manifest (Join-Path $copy 'IsulaKata.psd1')
        $result.Runtime | Should -Be 'runc'
        $result.Location | Should -Be (Join-Path $copy 'lib/IsulaKata.dll')
    }
}
