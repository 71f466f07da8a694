# Test/Set/Get-IsulaKataConfiguration on four test hosts: real sshd in network + mount namespaces, real PowerShell
# remoting over SSH, the fakes of tests/Pester/Fakes/bin first on each host's PATH. Run by Invoke-FleetSuite.ps1.
BeforeAll {
    . (Join-Path $PSScriptRoot '../Pester/Common.ps1')
    $script:Testhosts = Join-Path $PSScriptRoot 'testhosts.sh'
    $script:Dir = Join-Path ([IO.Path]::GetTempPath()) "isulakata-fleet-$PID"
    $script:Shipped = Join-Path $Fixtures 'daemon.shipped.json'
    $script:Version = (Import-PowerShellDataFile $ModulePath).ModuleVersion
    $script:Names = 1..4 | ForEach-Object { "10.213.$_.2" }
    $pwshDll = Join-Path $PSHOME 'pwsh.dll'
    & $Testhosts up $Dir 4 $pwshDll
    if ($LASTEXITCODE -ne 0) { throw "The test hosts could not be made (testhosts.sh up exited $LASTEXITCODE)." }
    # Hosts 1-3 have this IsulaKata in their all-users module path; host 4 has none.
    foreach ($n in 1..3) {
        New-Item -ItemType Directory "$Dir/h$n/modules/IsulaKata" -Force | Out-Null
        Copy-Item -Recurse (Split-Path $ModulePath) "$Dir/h$n/modules/IsulaKata/$Version"
    }
    $script:Ssh = @{ UserName = 'root'; KeyFilePath = "$Dir/client_key"; SSHOption = @{ UserKnownHostsFile = "$Dir/known_hosts" } }
    $script:Document = @{
        Packages = @{}
        Runtime  = @{ ThinPoolDevice = '/dev/mapper/isula-thinpool'; Restart = $true }
    }

    function Reset-Host {
        # Host N as a fresh openEuler install: the shipped daemon.json, packages installed, isulad not failing.
        param([int[]] $N = 1..4)
        foreach ($n in $N) {
            Get-ChildItem "$Dir/h$n/etc-isulad" | Remove-Item -Force
            Copy-Item $Shipped "$Dir/h$n/etc-isulad/daemon.json"
            Set-Content "$Dir/h$n/state/rpm-installed" "iSulad 2.1.5-1`nkata-containers 3.2.0-1`nlib-shim-v2 0.0.1-1"
            Remove-Item "$Dir/h$n/state/fail-if-config-contains", "$Dir/h$n/state/isulad-running" -ErrorAction SilentlyContinue
            Set-Content "$Dir/h$n/state/commands.log" -Value $null
        }
    }
    function Get-HostFile([int] $N) { Get-Sha256 "$Dir/h$N/etc-isulad/daemon.json" }
    function Get-HostCommand([int] $N) { @(Get-Content "$Dir/h$N/state/commands.log") }
    Reset-Host
}

AfterAll {
    Get-PSSession | Remove-PSSession -ErrorAction SilentlyContinue
    if ($script:Dir) { & $Testhosts down $Dir; Remove-Item -LiteralPath $Dir -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'Fleet over SSH' {
    It 'refuses a bad key in the document before any host is touched' {
        $bad = @{ Runtime = @{ ThinPoolDevice = '/dev/mapper/isula-thinpool'; Restrat = $true } }
        $refusal = { Set-IsulaKataConfiguration -Configuration $bad -HostName $Names @Ssh } | Should -Throw -PassThru
        $refusal.FullyQualifiedErrorId | Should -BeLike 'ConfigurationKeyUnknown,*'
        $refusal.Exception.Message | Should -BeLike "*section 'Runtime', key 'Restrat'*"
        foreach ($n in 1..4) {
            Get-Content "$Dir/h$n/sshd.log" | Where-Object { $_ -like 'Accepted*' } | Should -BeNullOrEmpty
            Get-HostFile $n | Should -Be (Get-Sha256 $Shipped)
        }
    }

    It 'with -NoModuleCopy fails the host without IsulaKata at Stage Module, and the others answer' {
        $tests = @(Test-IsulaKataConfiguration -Configuration $Document -HostName $Names @Ssh -NoModuleCopy -ErrorAction SilentlyContinue -ErrorVariable failures)
        $tests.Count | Should -Be 4
        $byName = @{}; $tests | ForEach-Object { $byName[$_.ComputerName] = $_ }
        $byName['10.213.4.2'].Stage | Should -Be 'Module'
        $byName['10.213.4.2'].Error.FullyQualifiedErrorId | Should -Be 'FleetModuleMissing'
        foreach ($name in $Names[0..2]) {
            $byName[$name].GetType().FullName | Should -Be 'IsulaKata.Fleet.IsulaKataConfigurationTest'
            $byName[$name].InDesiredState | Should -BeFalse
            $byName[$name].Sections.Name | Should -Be 'Packages', 'Runtime'
            $byName[$name].Sections[1].Differences[0].GetType().FullName | Should -Be 'IsulaKata.Core.PlannedChange'
            $byName[$name].Sections[1].Differences.Cmdlet | Should -Contain 'Set-IsulaRuntime'
            $byName[$name].PSComputerName | Should -Be $name
        }
        @($failures).Count | Should -Be 1
        Test-Path "$Dir/h4/modules/IsulaKata" | Should -BeFalse
    }

    It 'reads a host without IsulaKata (Test-, Set- -WhatIf) through a temporary copy, and installs nothing there' {
        $tests = @(Test-IsulaKataConfiguration -Configuration $Document -HostName $Names @Ssh)
        $tests.Count | Should -Be 4
        $fourth = $tests | Where-Object ComputerName -EQ '10.213.4.2'
        $fourth.GetType().FullName | Should -Be 'IsulaKata.Fleet.IsulaKataConfigurationTest'
        $fourth.Error | Should -BeNullOrEmpty
        $fourth.InDesiredState | Should -BeFalse
        $fourth.Sections.Name | Should -Be 'Packages', 'Runtime'
        $out = @(Set-IsulaKataConfiguration -Configuration $Document -HostName $Names @Ssh -WhatIf -InformationVariable plan)
        $out.Count | Should -Be 0
        @($plan | Where-Object { $_.Tags -contains 'IsulaKata.WhatIf' -and $_.Source -eq '10.213.4.2' }).Count | Should -BeGreaterThan 0
        # The copy lived in the host's temporary folder for the run and is gone; the module path holds nothing.
        Test-Path "$Dir/h4/modules/IsulaKata" | Should -BeFalse
        @(Get-ChildItem -Force "$Dir/h4/tmp" -Filter 'isulakata-*') | Should -BeNullOrEmpty
        foreach ($n in 1..4) { Get-HostFile $n | Should -Be (Get-Sha256 $Shipped) }
    }

    It 'converges every host (copying the module to the host without it); a second identical run changes nothing anywhere' {
        $first = @(Set-IsulaKataConfiguration -Configuration $Document -HostName $Names @Ssh)
        $first.Count | Should -Be 4
        foreach ($result in $first) {
            $result.GetType().FullName | Should -Be 'IsulaKata.Fleet.IsulaKataHostResult'
            $result.Succeeded | Should -BeTrue -Because "$($result.ComputerName): $($result.Error)"
            $result.Changed | Should -BeTrue
            $result.Stage | Should -Be 'Runtime'
            $result.ModuleVersion | Should -Be ([version] $Version)
            ($result.Sections | ForEach-Object { "$($_.Name)=$($_.Status)" }) | Should -Be 'Packages=Unchanged', 'Runtime=Changed'
            $result.Sections[1].Output.GetType().FullName | Should -Be 'IsulaKata.Isulad.IsulaRuntimeConfig'
            $result.Sections[1].Output.Restarted | Should -BeTrue
        }
        foreach ($n in 1..4) {
            Get-Content -Raw "$Dir/h$n/etc-isulad/daemon.json" | Should -Match '"dm.thinpooldev=/dev/mapper/isula-thinpool"'
            Get-HostCommand $n | Should -Contain 'systemctl restart isulad'
        }
        # The copy on host 4: this version, every file identical to the module folder running here.
        $source = Split-Path $ModulePath
        $copied = "$Dir/h4/modules/IsulaKata/$Version"
        $expected = Get-ChildItem -Recurse -File $source | ForEach-Object { "$([IO.Path]::GetRelativePath($source, $_.FullName)) $(Get-Sha256 $_.FullName)" }
        $actual = Get-ChildItem -Recurse -File $copied | ForEach-Object { "$([IO.Path]::GetRelativePath($copied, $_.FullName)) $(Get-Sha256 $_.FullName)" }
        $actual | Should -Be $expected
        @(Get-ChildItem -Force "$Dir/h4/modules/IsulaKata").Name | Should -Be @($Version)

        $before = 1..4 | ForEach-Object { Get-HostFile $_ }
        1..4 | ForEach-Object { Set-Content "$Dir/h$_/state/commands.log" -Value $null }
        $second = @(Set-IsulaKataConfiguration -Configuration $Document -HostName $Names @Ssh)
        $second.Count | Should -Be 4
        foreach ($result in $second) {
            $result.Succeeded | Should -BeTrue
            $result.Changed | Should -BeFalse
            $result.Sections.Status | Should -Be 'Unchanged', 'Unchanged'
        }
        foreach ($n in 1..4) {
            Get-HostFile $n | Should -Be $before[$n - 1]
            @(Get-ChildItem "$Dir/h$n/etc-isulad" -Filter '*.bak').Count | Should -Be 1 -Because 'only the first run kept a backup'
            Get-HostCommand $n | Where-Object { $_ -like 'systemctl restart*' } | Should -BeNullOrEmpty
        }
    }

    Context 'on open sessions' {
        BeforeAll {
            # In host order (New-PSSession returns them as they open): the waves of -BatchSize follow this order.
            $script:Sessions = New-PSSession -HostName $Names -UserName root -KeyFilePath "$Dir/client_key" -Options @{ UserKnownHostsFile = "$Dir/known_hosts" } | Sort-Object ComputerName
        }
        AfterAll { $Sessions | Remove-PSSession }

        It '-WhatIf returns no object, plans every host, and changes no file on any host' {
            Reset-Host
            $before = 1..4 | ForEach-Object { Get-HostFile $_ }
            $out = @(Set-IsulaKataConfiguration -Configuration $Document -Session $Sessions -WhatIf -InformationVariable plan)
            $out.Count | Should -Be 0
            $planned = @($plan | Where-Object { $_.Tags -contains 'IsulaKata.WhatIf' })
            ($planned.Source | Sort-Object -Unique) | Should -Be ($Sessions.ComputerName | Sort-Object -Unique)
            $planned | ForEach-Object { $_.MessageData.GetType().FullName } | Sort-Object -Unique | Should -Be 'IsulaKata.Core.PlannedChange'
            @($planned | Where-Object { $_.MessageData.Target -eq '/etc/isulad/daemon.json' }).Count | Should -Be 4
            foreach ($n in 1..4) {
                Get-HostFile $n | Should -Be $before[$n - 1]
                Get-HostCommand $n | Where-Object { $_ -like 'systemctl restart*' } | Should -BeNullOrEmpty
            }
        }

        It 'a host whose isulad refuses to restart stops at Runtime with daemon.json rolled back; the others converge (-ErrorAction Stop keeps them)' {
            Reset-Host
            Set-Content "$Dir/h2/state/fail-if-config-contains" 'devicemapper' -NoNewline
            $stopped = $null
            try { $null = Set-IsulaKataConfiguration -Configuration $Document -Session $Sessions -ErrorAction Stop -OutVariable results }
            catch { $stopped = $_ }
            $stopped.FullyQualifiedErrorId | Should -BeLike 'IsuladRestartFailed,*' -Because 'the failed host''s error is written, after every result'
            $results.Count | Should -Be 4
            $failed = $results | Where-Object ComputerName -EQ '10.213.2.2'
            $failed.Succeeded | Should -BeFalse
            $failed.Stage | Should -Be 'Runtime'
            $failed.Error.FullyQualifiedErrorId | Should -BeLike 'IsuladRestartFailed,*'
            ($failed.Sections | ForEach-Object { "$($_.Name)=$($_.Status)" }) | Should -Be 'Packages=Unchanged', 'Runtime=Failed'
            Get-HostFile 2 | Should -Be (Get-Sha256 $Shipped)
            foreach ($n in 1, 3, 4) {
                ($results | Where-Object ComputerName -EQ "10.213.$n.2").Succeeded | Should -BeTrue
                Get-Content -Raw "$Dir/h$n/etc-isulad/daemon.json" | Should -Match 'isula-thinpool'
            }
        }

        It '-BatchSize 2 -MaxFailure 1 with a failing host in the first wave leaves the second wave NotStarted' {
            Reset-Host
            Set-Content "$Dir/h1/state/fail-if-config-contains" 'devicemapper' -NoNewline
            $results = @(Set-IsulaKataConfiguration -Configuration $Document -Session $Sessions -BatchSize 2 -MaxFailure 1 -ErrorAction SilentlyContinue)
            $results.Count | Should -Be 4
            ($results | Where-Object ComputerName -EQ '10.213.1.2').Stage | Should -Be 'Runtime'
            ($results | Where-Object ComputerName -EQ '10.213.1.2').Succeeded | Should -BeFalse
            ($results | Where-Object ComputerName -EQ '10.213.2.2').Succeeded | Should -BeTrue
            foreach ($n in 3, 4) {
                $result = $results | Where-Object ComputerName -EQ "10.213.$n.2"
                $result.Stage | Should -Be 'NotStarted'
                $result.Succeeded | Should -BeFalse
                Get-HostFile $n | Should -Be (Get-Sha256 $Shipped)
                Get-HostCommand $n | Should -BeNullOrEmpty
            }
        }

        It 'Get-IsulaKataConfiguration round-trips: each host finds its own document in desired state' {
            Reset-Host
            $null = Set-IsulaKataConfiguration -Configuration $Document -Session $Sessions
            $documents = @(Get-IsulaKataConfiguration -Session $Sessions)
            $documents.Count | Should -Be 4
            foreach ($document in $documents) {
                $document | Should -BeOfType [hashtable]
                $document.Runtime.ThinPoolDevice | Should -Be '/dev/mapper/isula-thinpool'
                $session = $Sessions | Where-Object ComputerName -EQ $document.PSComputerName
                $test = Test-IsulaKataConfiguration -Configuration $document -Session $session
                $test.InDesiredState | Should -BeTrue -Because ($test.Sections | Out-String)
            }
        }
    }

    It 'Ctrl+C (Stop) stops every host''s remote pipeline and keeps where each host got in $IsulaKataFleetResult' {
        Reset-Host
        foreach ($n in 1..4) { Set-Content "$Dir/h$n/state/never-answers" '' }
        $slow = @{ Packages = @{}; Runtime = @{ ThinPoolDevice = '/dev/mapper/isula-thinpool'; Restart = $true; TimeoutSeconds = 300 } }
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript("Import-Module '$ModulePath'").AddStatement().AddCommand('Set-IsulaKataConfiguration').
                AddParameter('Configuration', $slow).AddParameter('HostName', $Names).AddParameter('UserName', 'root').
                AddParameter('KeyFilePath', "$Dir/client_key").AddParameter('SSHOption', @{ UserKnownHostsFile = "$Dir/known_hosts" })
            $running = $shell.BeginInvoke()
            # Wait until every host waits for its isulad (the fake restart never answers).
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            while ([DateTime]::UtcNow -lt $deadline -and @(1..4 | Where-Object { (Get-HostCommand $_) -contains 'systemctl restart isulad' }).Count -lt 4) { Start-Sleep -Milliseconds 250 }
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $shell.Stop()
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 60 -Because 'stopping does not wait for the 300-second restart timeout'
            $shell.Runspace.SessionStateProxy.PSVariable.GetValue('IsulaKataFleetResult') | Set-Variable kept
            @($kept).Count | Should -Be 4
            foreach ($result in $kept) {
                $result.Succeeded | Should -BeFalse
                $result.Stage | Should -Be 'Runtime'
                $result.Sections[0].Name | Should -Be 'Packages'
                $result.Sections[0].Status | Should -Be 'Unchanged'
            }
            # No remote pipeline is left running.
            $deadline = [DateTime]::UtcNow.AddSeconds(15)
            while ([DateTime]::UtcNow -lt $deadline -and @(Get-Process -Name dotnet | Where-Object { $_.CommandLine -like '*-sshs*' }).Count -gt 0) { Start-Sleep -Milliseconds 250 }
            @(Get-Process -Name dotnet | Where-Object { $_.CommandLine -like '*-sshs*' }).Count | Should -Be 0
        }
        finally {
            $shell.Dispose()
            foreach ($n in 1..4) { Remove-Item "$Dir/h$n/state/never-answers" -ErrorAction SilentlyContinue }
        }
    }

    It 'a host whose sshd is stopped fails at Stage Connect; the others converge' {
        Reset-Host
        & $Testhosts stop $Dir 3
        try {
            $results = @(Set-IsulaKataConfiguration -Configuration $Document -HostName $Names @Ssh -ErrorAction SilentlyContinue)
        }
        finally {
            & $Testhosts start $Dir 3
        }
        $results.Count | Should -Be 4
        $down = $results | Where-Object ComputerName -EQ '10.213.3.2'
        $down.Succeeded | Should -BeFalse
        $down.Stage | Should -Be 'Connect'
        $down.Error | Should -Not -BeNullOrEmpty
        Get-HostFile 3 | Should -Be (Get-Sha256 $Shipped)
        foreach ($n in 1, 2, 4) {
            ($results | Where-Object ComputerName -EQ "10.213.$n.2").Succeeded | Should -BeTrue
            Get-Content -Raw "$Dir/h$n/etc-isulad/daemon.json" | Should -Match 'isula-thinpool'
        }
    }
}
