BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Qf = 'rpm -q --queryformat %{NAME} %{VERSION}-%{RELEASE}\n --'

    function Use-FakeBinOnly {
        # PATH holds only the named fake programs (plus the helper they source), so a test can take dnf or rpm away.
        param([string[]] $Program)
        $bin = Join-Path $TestDrive ('bin-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
        New-Item -ItemType Directory -Path $bin | Out-Null
        foreach ($name in @('_record') + $Program) {
            New-Item -ItemType SymbolicLink -Path (Join-Path $bin $name) -Target (Join-Path $FakeBin $name) | Out-Null
        }
        # The tools the fake scripts use, so that no real rpm, dnf or yum of this machine can be found.
        foreach ($tool in 'bash', 'cat', 'grep', 'dirname', 'basename') {
            New-Item -ItemType SymbolicLink -Path (Join-Path $bin $tool) -Target (Get-Command $tool -CommandType Application | Select-Object -First 1).Source | Out-Null
        }
        $env:PATH = $bin
    }
}

Describe 'Install-IsulaKataPackage with dnf' {
    BeforeEach { $state = New-FakeHost }
    AfterEach { Remove-FakeHost }

    It 'installs only what rpm says is missing, in one dnf call, and reports each package' {
        Set-FakeState rpm-installed "iSulad 2.1.5-8.oe2203sp3`n"
        $result = @(Install-IsulaKataPackage)
        Get-FakeCommand | Should -Be @(
            "$Qf iSulad kata-containers lib-shim-v2"
            'dnf install -y -- kata-containers lib-shim-v2'
            "$Qf kata-containers lib-shim-v2")
        $result.Count | Should -Be 3
        $result[0].PSObject.TypeNames[0] | Should -Be 'IsulaKata.Packages.IsulaKataPackage'
        $result.Name | Should -Be @('iSulad', 'kata-containers', 'lib-shim-v2')
        $result.Version | Should -Be @('2.1.5-8.oe2203sp3', '2.1.0-25.oe2203sp3', '0.0.1-15.oe2203sp3')
        $result.Installed | Should -Be @($true, $true, $true)
        $result.InstalledNow | Should -Be @($false, $true, $true)
        $result.PackageManager | Select-Object -Unique | Should -Be 'dnf'
    }

    It 'runs no installer when everything is there' {
        Set-FakeState rpm-installed "iSulad 2.1.5-8.oe2203sp3`nkata-containers 2.1.0-25.oe2203sp3`nlib-shim-v2 0.0.1-15.oe2203sp3`n"
        $result = Install-IsulaKataPackage
        Get-FakeCommand | Should -Be @("$Qf iSulad kata-containers lib-shim-v2")
        $result.InstalledNow | Should -Be @($false, $false, $false)
    }

    It 'installs the packages named by -Name' {
        $result = Install-IsulaKataPackage -Name stratovirt
        Get-FakeCommand | Should -Be @("$Qf stratovirt", 'dnf install -y -- stratovirt', "$Qf stratovirt")
        $result.Version | Should -Be '2.3.0-2.oe2203sp3'
        $result.InstalledNow | Should -BeTrue
    }

    It 'installs nothing with -WhatIf and says what is missing' {
        Set-FakeState rpm-installed "iSulad 2.1.5-8.oe2203sp3`n"
        $result = Install-IsulaKataPackage -WhatIf
        Get-FakeCommand | Should -Be @("$Qf iSulad kata-containers lib-shim-v2")
        $result.Installed | Should -Be @($true, $false, $false)
        $result.InstalledNow | Should -Be @($false, $false, $false)
        $result[1].Version | Should -BeNullOrEmpty
        Get-Content -LiteralPath (Join-Path $state 'rpm-installed') | Should -Be @('iSulad 2.1.5-8.oe2203sp3')
    }

    It 'quotes dnf when it fails' {
        Set-FakeState dnf-fails "Error: Failed to download metadata for repo 'OS': Cannot download repomd.xml: Cannot download repodata/repomd.xml: All mirrors were tried"
        $err = { Install-IsulaKataPackage } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'PackageInstallFailed,IsulaKata.Commands.InstallIsulaKataPackageCommand'
        $err.Exception.Message | Should -Match ([regex]::Escape("'dnf install -y -- iSulad kata-containers lib-shim-v2' failed with exit code 1:"))
        $err.Exception.Message | Should -Match "Failed to download metadata for repo 'OS'"
        $err.ErrorDetails.RecommendedAction | Should -Match 'dnf repolist'
        $err.TargetObject | Should -Be 'dnf install -y -- iSulad kata-containers lib-shim-v2'
    }

    It 'fails on a package no repository has' {
        $err = { Install-IsulaKataPackage -Name no-such-package } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'PackageInstallFailed,IsulaKata.Commands.InstallIsulaKataPackageCommand'
        $err.Exception.Message | Should -Match 'Unable to find a match: no-such-package'
    }

    It 'fails when dnf succeeds but rpm still does not have the package' {
        Set-FakeState dnf-installs-nothing
        $err = { Install-IsulaKataPackage -Name lib-shim-v2 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'PackageInstallFailed,IsulaKata.Commands.InstallIsulaKataPackageCommand'
        $err.Exception.Message | Should -Be "'dnf install -y lib-shim-v2' succeeded, but rpm still does not know lib-shim-v2."
    }

    It 'completes -Name with the packages of the procedure' {
        $line = 'Install-IsulaKataPackage -Name li'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('lib-shim-v2')
    }
}

Describe 'Install-IsulaKataPackage without dnf, rpm or both' {
    BeforeEach { $state = New-FakeHost }
    AfterEach { Remove-FakeHost }

    It 'uses yum where there is no dnf' {
        Use-FakeBinOnly rpm, yum
        $result = Install-IsulaKataPackage -Name iSulad
        Get-FakeCommand | Should -Be @("$Qf iSulad", 'yum install -y -- iSulad', "$Qf iSulad")
        $result.PackageManager | Should -Be 'yum'
        $result.InstalledNow | Should -BeTrue
    }

    It 'stops with NotAnRpmHost where there is no rpm' {
        Use-FakeBinOnly dnf
        $err = { Install-IsulaKataPackage } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'NotAnRpmHost,IsulaKata.Commands.InstallIsulaKataPackageCommand'
        $err.CategoryInfo.Category | Should -Be 'NotInstalled'
        $err.ErrorDetails.RecommendedAction | Should -Match "this distribution's own tools"
        Get-FakeCommand | Should -BeNullOrEmpty
    }

    It 'stops with PackageManagerNotFound where there is rpm but neither dnf nor yum' {
        Use-FakeBinOnly rpm
        $err = { Install-IsulaKataPackage -WhatIf } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'PackageManagerNotFound,IsulaKata.Commands.InstallIsulaKataPackageCommand'
        Get-FakeCommand | Should -BeNullOrEmpty
    }
}
