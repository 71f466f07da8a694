# The package users install: output/IsulaKata.<version>.nupkg, made by `./build.ps1 -Task Package` (the Test task
# makes it before the tests run). It is installed the way a user installs it, with PSResourceGet from a repository,
# into a throwaway home: its own XDG folders, so neither the user's modules nor their repositories are touched.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $script:Repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:Version = (Import-PowerShellDataFile -LiteralPath (Join-Path $Repo 'IsulaKata.psd1')).ModuleVersion
    $script:Output = Join-Path $Repo 'output'
    $script:Package = Join-Path $Output "IsulaKata.$Version.nupkg"
    $script:Built = Join-Path $Output "IsulaKata/$Version"
    if (-not (Test-Path -LiteralPath $Package)) { throw "No package at '$Package': run ./build.ps1 -Task Package (the Test task does)." }

    $zip = [System.IO.Compression.ZipFile]::OpenRead($Package)
    try {
        $script:Entries = @($zip.Entries | ForEach-Object FullName)
        $reader = [System.IO.StreamReader]::new(($zip.Entries | Where-Object FullName -EQ 'IsulaKata.nuspec').Open())
        try { [xml] $script:Nuspec = $reader.ReadToEnd() } finally { $reader.Dispose() }
    }
    finally { $zip.Dispose() }
    # NuGet's own parts of any package, beside the module's files.
    $script:NuGetParts = '^(_rels/\.rels|\[Content_Types\]\.xml|IsulaKata\.nuspec|package/services/metadata/core-properties/[0-9a-f]+\.psmdcp)$'
    $script:ModuleFiles = @($Entries | Where-Object { $_ -notmatch $NuGetParts } | Sort-Object)
}

Describe 'The package' {
    It 'holds exactly the built module folder' {
        $built = @(Get-ChildItem -LiteralPath $Built -Recurse -File | ForEach-Object { [System.IO.Path]::GetRelativePath($Built, $_.FullName) -replace '\\', '/' } | Sort-Object)
        $ModuleFiles | Should -Be $built
    }

    It 'holds what a user needs: manifest, module, assemblies, formats, help, licence' {
        foreach ($needed in 'IsulaKata.psd1', 'IsulaKata.psm1', 'LICENSE', 'lib/IsulaKata.dll', 'lib/Tomlyn.dll', 'lib/CliWrap.dll',
            'bin/IsulaKata.Loader.dll', 'Formats/Isulad.Format.ps1xml', 'en-US/IsulaKata.dll-Help.xml', 'en-US/about_IsulaKata.help.txt') {
            $ModuleFiles | Should -Contain $needed
        }
        $manifest = Import-PowerShellDataFile -LiteralPath (Join-Path $Repo 'IsulaKata.psd1')
        foreach ($format in $manifest.FormatsToProcess) { $ModuleFiles | Should -Contain ($format -replace '\\', '/') }
    }

    It 'holds nothing a user does not need (symbols, build metadata, XML docs, tests, sources, PowerShell itself)' {
        $unwanted = $ModuleFiles | Where-Object {
            $_ -match '\.(pdb|deps\.json|runtimeconfig\.json|cs|csproj|md|Tests\.ps1|nupkg)$' -or
            $_ -match '^lib/.*\.xml$' -or $_ -match '(^|/)(tests?|obj|staging|docs|src)/' -or
            $_ -match '(^|/)(System\.Management\.Automation|Microsoft\.PowerShell\.[^/]*)\.dll$'
        }
        $unwanted | Should -BeNullOrEmpty
    }

    It 'carries the Gallery metadata in its nuspec' {
        $metadata = $Nuspec.package.metadata
        $metadata.id | Should -Be 'IsulaKata'
        $metadata.version | Should -Be $Version
        $metadata.description | Should -Not -BeNullOrEmpty
        $metadata.authors | Should -Not -BeNullOrEmpty
        $metadata.projectUrl | Should -Match '^https://'
        $metadata.licenseUrl | Should -Match '^https://'
        $tags = $metadata.tags -split '\s+'
        foreach ($tag in 'Linux', 'PSEdition_Core', 'PSModule') { $tags | Should -Contain $tag }
    }
}

Describe 'Installing the package with PSResourceGet' {
    BeforeAll {
        # A throwaway home: PSResourceGet keeps its repository list, and installs CurrentUser modules, under
        # XDG_DATA_HOME; pwsh looks for CurrentUser modules there too.
        $throwawayHome = Join-Path $TestDrive 'home'
        $environment = @{
            HOME            = $throwawayHome
            XDG_DATA_HOME   = Join-Path $throwawayHome '.local/share'
            XDG_CONFIG_HOME = Join-Path $throwawayHome '.config'
            XDG_CACHE_HOME  = Join-Path $throwawayHome '.cache'
            PSModulePath    = $null
        }
        New-Item -ItemType Directory -Path $environment.XDG_DATA_HOME, $environment.XDG_CONFIG_HOME, $environment.XDG_CACHE_HOME -Force | Out-Null
        $userModules = Join-Path $environment.XDG_DATA_HOME 'powershell/Modules'
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }

        $installed = Invoke-ChildPwsh -Environment $environment @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name IsulaKataLocal -Uri '$($Output -replace "'", "''")' -Trusted
Install-PSResource -Name IsulaKata -Version '$Version' -Repository IsulaKataLocal -Scope CurrentUser -TrustRepository -Quiet
`$resource = Get-InstalledPSResource -Name IsulaKata -Scope CurrentUser
`$manifest = Test-ModuleManifest -Path (Join-Path `$resource.InstalledLocation 'IsulaKata/$Version/IsulaKata.psd1')
[ordered]@{
    InstalledLocation    = `$resource.InstalledLocation
    Repository           = `$resource.Repository
    Version              = [string] `$manifest.Version
    Tags                 = @(`$manifest.Tags)
    LicenseUri           = [string] `$manifest.LicenseUri
    ProjectUri           = [string] `$manifest.ProjectUri
    Description          = `$manifest.Description
    CompatiblePSEditions = @(`$manifest.CompatiblePSEditions)
    Repositories         = @(Get-PSResourceRepository | ForEach-Object Name)
} | ConvertTo-Json
"@ | ConvertFrom-Json

        # A fresh pwsh, same throwaway home: what a user gets after installing.
        $used = Invoke-ChildPwsh -Environment $environment @"
`$ErrorActionPreference = 'Stop'
Import-Module IsulaKata
`$module = Get-Module IsulaKata
`$config = Get-IsulaRuntime -Root '$($root -replace "'", "''")'
[ordered]@{
    ModuleBase    = `$module.ModuleBase
    Version       = [string] `$module.Version
    Cmdlets       = @(`$module.ExportedCmdlets.Keys | Sort-Object)
    Runtime       = `$config.Runtime
    StorageDriver = `$config.StorageDriver
    ConfigPath    = `$config.ConfigPath
    Root          = `$config.Root
    TypeName      = `$config.GetType().FullName
    Synopsis      = [string] (Get-Help Set-IsulaRuntime).Synopsis
    AfterForce    = @(Import-Module IsulaKata -Force -PassThru | ForEach-Object { `$_.ExportedCmdlets.Keys } | Sort-Object)
    AfterRemove   = @(Remove-Module IsulaKata; Import-Module IsulaKata -PassThru | ForEach-Object { `$_.ExportedCmdlets.Keys } | Sort-Object)
    Callable      = [bool] (Get-Command Get-IsulaRuntime -ErrorAction SilentlyContinue)
} | ConvertTo-Json
"@ | ConvertFrom-Json
    }

    It 'installs into the user''s module folder from a folder repository' {
        $installed.InstalledLocation | Should -Be $userModules
        $installed.Repository | Should -Be 'IsulaKataLocal'
        Join-Path $userModules "IsulaKata/$Version/IsulaKata.psd1" | Should -Exist
        Join-Path $userModules "IsulaKata/$Version/lib/IsulaKata.pdb" | Should -Not -Exist
    }

    It 'left the user''s own repository list alone (the throwaway home got the registration)' {
        $installed.Repositories | Should -Contain 'IsulaKataLocal'
        Join-Path $environment.XDG_DATA_HOME 'PSResourceGet/PSResourceRepository.xml' | Should -Exist
    }

    It 'passes Test-ModuleManifest with the Gallery metadata' {
        $installed.Version | Should -Be $Version
        $installed.Tags | Should -Contain 'Linux'
        $installed.Tags | Should -Contain 'PSEdition_Core'
        $installed.LicenseUri | Should -Match '^https://.+'
        $installed.ProjectUri | Should -Match '^https://.+'
        $installed.Description | Should -Match 'openEuler'
        $installed.CompatiblePSEditions | Should -Be @('Core')
    }

    It 'imports by name in a fresh pwsh and runs a cmdlet' {
        $used.ModuleBase | Should -Be (Join-Path $userModules "IsulaKata/$Version")
        $used.Version | Should -Be $Version
        $used.Cmdlets | Should -Be @((Import-PowerShellDataFile -LiteralPath (Join-Path $Repo 'IsulaKata.psd1')).CmdletsToExport | Sort-Object)
        $used.TypeName | Should -Be 'IsulaKata.Isulad.IsulaRuntimeConfig'
        $used.Runtime | Should -Be 'runc'
        $used.StorageDriver | Should -Be 'overlay2'
        $used.ConfigPath | Should -Be '/etc/isulad/daemon.json'
        $used.Root | Should -Be $root
    }

    It 'keeps its cmdlets when imported again with -Force, or removed and imported again, in one session' {
        $used.AfterForce | Should -Be $used.Cmdlets
        $used.AfterRemove | Should -Be $used.Cmdlets
        $used.Callable | Should -BeTrue
    }

    It 'brings its help along' {
        $page = Get-Content -LiteralPath (Join-Path $Repo 'docs/en-US/Set-IsulaRuntime.md')
        $synopsis = $page[([Array]::IndexOf($page, '## SYNOPSIS') + 1)]
        $used.Synopsis | Should -Be $synopsis
    }
}
