BeforeDiscovery {
    # Without -Hypervisor the test expects what kata's configuration on this host names; these tests need none there.
    $script:KataConfigured = (Test-Path /etc/kata-containers/configuration.toml) -or (Test-Path /usr/share/defaults/kata-containers/configuration.toml)
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Kata = 'io.containerd.kata.v2'

    function Start-FakeIsulad {
        # The fake isulad "runs" (overlay2, no daemon.json needed); the command log starts empty.
        Invoke-Fake systemctl restart isulad
        Clear-Content -LiteralPath (Join-Path $env:ISULAKATA_FAKE_STATE 'commands.log')
    }

    function Get-StandIn {
        # The stand-in processes the fake isula started: objects with Id (container), Role (vm|shim) and ProcessId.
        $log = Join-Path $env:ISULAKATA_FAKE_STATE 'standins.log'
        if (-not (Test-Path -LiteralPath $log)) { return @() }
        @(Get-Content -LiteralPath $log | ForEach-Object {
            $id, $role, $processId = $_ -split ' '
            [pscustomobject]@{ Id = $id; Role = $role; ProcessId = [int]$processId }
        })
    }

    function Test-ProcessGone {
        # Gone means no /proc entry, or a zombie (State Z): the fakes' stand-ins are never reaped here.
        param([int] $ProcessId)
        $stat = Get-Content -LiteralPath "/proc/$ProcessId/stat" -Raw -ErrorAction SilentlyContinue
        if (-not $stat) { return $true }
        $stat.Substring($stat.LastIndexOf(')') + 2, 1) -eq 'Z'
    }

    function Stop-StandIn {
        # Kills whatever stand-in a failed test left behind (each runs in its own process group).
        foreach ($standIn in Get-StandIn) {
            & /bin/kill -KILL -- "-$($standIn.ProcessId)" 2>$null
        }
    }

    function Get-ContainerDir {
        $folder = Join-Path $env:ISULAKATA_FAKE_STATE 'containers'
        if (-not (Test-Path -LiteralPath $folder)) { return @() }
        @(Get-ChildItem -LiteralPath $folder -Directory | ForEach-Object Name)
    }
}

Describe 'Test-SecureContainer on a working host (fake isula with stand-in VM processes)' {
    BeforeEach {
        $state = New-FakeHost
        Start-FakeIsulad
    }
    AfterEach {
        Stop-StandIn
        Remove-FakeHost
    }

    It 'finds the StratoVirt VM and the shim in /proc, measures them, and removes the container' -Skip:$KataConfigured {
        $result = Test-SecureContainer

        $result.PSObject.TypeNames[0] | Should -Be 'IsulaKata.Proof.SecureContainerTest'
        $result.Passed | Should -BeTrue
        $result.Failures | Should -BeNullOrEmpty
        $result.ContainerId | Should -Match '^[0-9a-f]{64}$'
        $result.Name | Should -Match '^isulakata-proof-[0-9a-f]{8}-1$'
        $result.Image | Should -Be 'busybox'
        $result.Runtime | Should -Be $Kata
        $result.ExpectedRuntime | Should -Be $Kata
        $result.Hypervisor | Should -Be 'StratoVirt'
        $result.ExpectedHypervisor | Should -BeNullOrEmpty
        $vm = Get-StandIn | Where-Object Role -EQ vm
        $shim = Get-StandIn | Where-Object Role -EQ shim
        $vm.Id | Should -Be $result.ContainerId
        $result.HypervisorProcessId | Should -Be $vm.ProcessId
        $result.ShimProcessId | Should -Be $shim.ProcessId
        $result.HypervisorCommandLine | Should -BeLike "*stratovirt -name sandbox-$($result.ContainerId) -machine microvm*"
        $result.StartMilliseconds | Should -BeGreaterOrEqual 0
        $result.MemoryOverheadBytes | Should -BeGreaterThan 100KB
        $result.MemorySource | Should -Be 'Pss'
        $result.Removed | Should -BeTrue
        $result.Root | Should -Be '/'

        Get-FakeCommand | Should -Be @(
            "isula run -tid --runtime $Kata --name $($result.Name) busybox sh"
            "isula inspect -f {{ json .HostConfig.Runtime }} $($result.ContainerId)"
            "isula rm -f $($result.ContainerId)")
        Test-ProcessGone $vm.ProcessId | Should -BeTrue
        Test-ProcessGone $shim.ProcessId | Should -BeTrue
        Get-ContainerDir | Should -BeNullOrEmpty
    }

    It 'leaves the container and its processes running with -Keep (the shim''s comm is cut to 15 characters)' {
        $result = Test-SecureContainer -Keep
        $result.Passed | Should -BeTrue
        $result.Removed | Should -BeFalse
        Get-FakeCommand | Where-Object { $_ -like 'isula rm*' } | Should -BeNullOrEmpty
        Get-ContainerDir | Should -Be @($result.ContainerId)
        Test-ProcessGone $result.HypervisorProcessId | Should -BeFalse
        Test-ProcessGone $result.ShimProcessId | Should -BeFalse
        # What makes matching by comm wrong: the kernel shows the shim as "containerd-shim", and its executable is bash.
        (Get-Content -LiteralPath "/proc/$($result.ShimProcessId)/comm") | Should -Be 'containerd-shim'
        Split-Path -Leaf (Get-Item -LiteralPath "/proc/$($result.ShimProcessId)/exe").LinkTarget | Should -Be 'bash'
    }

    It 'finds a QEMU VM by argv[0] when its executable is not called qemu' {
        Set-FakeState hypervisor qemu-system-x86_64
        $result = Test-SecureContainer -Hypervisor Qemu
        $result.Passed | Should -BeTrue
        $result.Hypervisor | Should -Be 'Qemu'
        $result.ExpectedHypervisor | Should -Be 'Qemu'
        $vm = Get-StandIn | Where-Object Role -EQ vm
        $result.HypervisorProcessId | Should -Be $vm.ProcessId
        Test-ProcessGone $vm.ProcessId | Should -BeTrue
    }

    It 'accepts any known hypervisor without -Hypervisor (no kata config to say which)' -Skip:$KataConfigured {
        Set-FakeState hypervisor qemu-system-x86_64
        $result = Test-SecureContainer
        $result.Passed | Should -BeTrue
        $result.Hypervisor | Should -Be 'Qemu'
        $result.ExpectedHypervisor | Should -BeNullOrEmpty
    }

    It 'starts -Count containers side by side, measures each, then removes them all' {
        $all = @(Test-SecureContainer -Count 3)
        $all.Count | Should -Be 4
        $all[3] | Should -BeOfType ([IsulaKata.Proof.SecureContainerSummary])
        $results = @($all[0..2])
        $results | ForEach-Object { $_ | Should -BeOfType ([IsulaKata.Proof.SecureContainerTest]) }
        $results.Passed | Should -Be @($true, $true, $true)
        @($results.ContainerId | Select-Object -Unique).Count | Should -Be 3
        @($results.HypervisorProcessId | Select-Object -Unique).Count | Should -Be 3
        $token = $results[0].Name -replace '-1$'
        $results.Name | Should -Be @("$token-1", "$token-2", "$token-3")
        $ids = $results.ContainerId
        Get-FakeCommand | Should -Be @(
            foreach ($n in 0..2) {
                "isula run -tid --runtime $Kata --name $token-$($n + 1) busybox sh"
                "isula inspect -f {{ json .HostConfig.Runtime }} $($ids[$n])"
            }
            foreach ($n in 0..2) { "isula rm -f $($ids[$n])" })
        Get-StandIn | ForEach-Object { Test-ProcessGone $_.ProcessId | Should -BeTrue }
        Get-ContainerDir | Should -BeNullOrEmpty
    }

    It 'takes Runtime and Hypervisor by property name' {
        $result = [pscustomobject]@{ Runtime = $Kata; Hypervisor = 'stratovirt' } | Test-SecureContainer
        $result.Passed | Should -BeTrue
        $result.ExpectedHypervisor | Should -Be 'StratoVirt'
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $piped = Set-IsulaRuntime -Root $root -WarningAction SilentlyContinue | Test-SecureContainer
        $piped.ExpectedRuntime | Should -Be $Kata
        $piped.Passed | Should -BeTrue
        $kata = New-TestRoot @{ '/usr/share/defaults/kata-containers/configuration.toml' = 'Kata/kata1-qemu.toml' }
        $configured = Get-KataHypervisor -Root $kata -WarningAction SilentlyContinue | Test-SecureContainer
        $configured.ExpectedHypervisor | Should -Be 'Qemu'
        $configured.Passed | Should -BeFalse
        $configured.Failures.Check | Should -Be @('HypervisorProcess')
    }
}

Describe 'Test-SecureContainer measures the whole sandbox' {
    BeforeEach {
        $state = New-FakeHost
        Start-FakeIsulad
    }
    AfterEach {
        Stop-StandIn
        Remove-FakeHost
    }

    It 'counts the <Helper> helper with the VM and the shim, each named' -TestCases @(
        @{ Helper = 'virtiofsd'; Hypervisor = 'qemu-system-x86_64'; VmName = 'qemu-system-x86_64'; Expected = 'Qemu' }
        @{ Helper = 'vhost_user_fs'; Hypervisor = 'stratovirt'; VmName = 'stratovirt'; Expected = 'StratoVirt' }
    ) {
        Set-FakeState hypervisor $Hypervisor
        Set-FakeState virtiofs $Helper
        $result = Test-SecureContainer -Hypervisor $Expected
        $result.Passed | Should -BeTrue
        $standIns = Get-StandIn
        $result.SandboxProcesses.Role | Should -Be @('VM', 'Shim', 'Helper')
        $result.SandboxProcesses.Name | Should -Be @($VmName, 'containerd-shim-kata-v2', $Helper)
        $result.SandboxProcesses.ProcessId | Should -Be @(($standIns | Where-Object Role -EQ vm).ProcessId, ($standIns | Where-Object Role -EQ shim).ProcessId, ($standIns | Where-Object Role -EQ helper).ProcessId)
        $result.SandboxProcesses | ForEach-Object { $_.MemoryBytes | Should -BeGreaterThan 100KB }
        $result.MemoryOverheadBytes | Should -Be ($result.SandboxProcesses.MemoryBytes | Measure-Object -Sum).Sum
        $standIns | ForEach-Object { Test-ProcessGone $_.ProcessId | Should -BeTrue }
    }

    It 'reports runtime-rs''s Dragonball VM as the shim''s own (no separate VM process)' -Skip:$KataConfigured {
        Set-FakeState hypervisor dragonball
        $result = Test-SecureContainer
        $result.Passed | Should -BeTrue
        $result.Hypervisor | Should -Be 'Dragonball'
        $result.VmInShim | Should -BeTrue
        $result.HypervisorProcessId | Should -Be $result.ShimProcessId
        $result.VcpuThreads | Should -Be @('db_vcpu0')
        $result.SandboxProcesses.Role | Should -Be @('VM+Shim')
        $result.SandboxProcesses.Name | Should -Be @('containerd-shim-kata-v2')
        $result.MemoryOverheadBytes | Should -Be $result.SandboxProcesses[0].MemoryBytes
    }

    It 'fails a Dragonball VM when -Hypervisor asks for another' {
        Set-FakeState hypervisor dragonball
        $result = Test-SecureContainer -Hypervisor StratoVirt
        $result.Passed | Should -BeFalse
        $result.Failures.Check | Should -Be @('HypervisorProcess')
        $result.Failures[0].Reason | Should -BeLike "The container runs in a VM inside the shim (process $($result.ShimProcessId), vCPU threads db_vcpu0: runtime-rs with Dragonball), not in StratoVirt."
    }

    It 'adds a summary to -Count: start time and memory as min, median and p95' {
        $all = @(Test-SecureContainer -Count 4)
        $results = @($all | Where-Object { $_ -is [IsulaKata.Proof.SecureContainerTest] })
        $summary = @($all | Where-Object { $_ -is [IsulaKata.Proof.SecureContainerSummary] })
        $summary.Count | Should -Be 1
        $all[-1] | Should -Be $summary[0]
        $summary = $summary[0]
        $summary.Count | Should -Be 4
        $summary.Passed | Should -Be 4
        $summary.Hypervisor | Should -Be 'StratoVirt'
        $summary.Image | Should -Be 'busybox'
        $summary.Runtime | Should -Be $Kata
        $starts = @($results.StartMilliseconds | Sort-Object)
        $memory = @($results.MemoryOverheadBytes | Sort-Object)
        $summary.StartMillisecondsMin | Should -Be $starts[0]
        $summary.StartMillisecondsMedian | Should -Be (($starts[1] + $starts[2]) / 2)
        $summary.StartMillisecondsP95 | Should -Be $starts[3]
        $summary.MemoryOverheadBytesMin | Should -Be $memory[0]
        $summary.MemoryOverheadBytesMedian | Should -Be (($memory[1] + $memory[2]) / 2)
        $summary.MemoryOverheadBytesP95 | Should -Be $memory[3]
        (Test-SecureContainer | Where-Object { $_ -is [IsulaKata.Proof.SecureContainerSummary] }) | Should -BeNullOrEmpty
    }

    It 'refuses an -Image that is no image reference' -TestCases @(@{ Image = '-rf' }, @{ Image = 'busy box' }) {
        { Test-SecureContainer -Image $Image } | Should -Throw -ErrorId 'ParameterArgumentValidationError,IsulaKata.Commands.TestSecureContainerCommand'
        Get-FakeCommand | Should -BeNullOrEmpty
    }
}

Describe 'Test-SecureContainer recognises iSulad''s own error texts' {
    BeforeEach {
        $state = New-FakeHost
        Start-FakeIsulad
    }
    AfterEach {
        Stop-StandIn
        Remove-FakeHost
    }

    It 'advises on <Name>' -TestCases @(
        @{ Name = 'the missing shim'; Mode = 'run-fails'; Text = 'Start container error: runtime error: 2a2b: create shim: exec containerd-shim-kata-v2 failed: No such file or directory'; Fix = "iSulad could not run containerd-shim-kata-v2: it is not on isulad's PATH*Install kata-containers*" }
        @{ Name = 'an image pull failure'; Mode = 'create-fails'; Text = "Unable to find image 'busybox' locally`nFailed to pull image busybox with error: registry-1.docker.io: connection timed out"; Fix = "The image 'busybox' is not on this host and could not be pulled*overlay2 to devicemapper*isula load -i*-Image*" }
    ) {
        Set-FakeState $Mode $Text
        $result = Test-SecureContainer
        $result.Passed | Should -BeFalse
        $result.Failures[0].Check | Should -Be 'Run'
        $result.Failures[0].Fix | Should -BeLike $Fix
    }

    It 'advises on isulad going away after the first container started (the first isula run found it answering)' {
        Set-FakeState create-fails 'Can not connect with server.Is the iSulad daemon running on the host?'
        Set-FakeState create-fails-after 1
        $all = @(Test-SecureContainer -Count 2)
        $all[0].Passed | Should -BeTrue
        $all[1].Passed | Should -BeFalse
        $all[1].Failures.Check | Should -Be @('Run')
        $all[1].Failures[0].Fix | Should -BeLike "isulad stopped answering during the test (isula says 'Can not connect with server')*"
        $all[1].Removed | Should -BeTrue
        # The second container never reached isulad: it is not looked up, only the first is removed.
        $token = $all[0].Name -replace '-1$'
        Get-FakeCommand | Should -Be @(
            "isula run -tid --runtime $Kata --name $token-1 busybox sh"
            "isula inspect -f {{ json .HostConfig.Runtime }} $($all[0].ContainerId)"
            "isula run -tid --runtime $Kata --name $token-2 busybox sh"
            "isula rm -f $($all[0].ContainerId)")
    }

    It 'advises on Invalid runtime name, as the fake isulad answers for an unknown runtime' {
        $result = Test-SecureContainer -Runtime Kata-Unknown
        $result.Failures[0].Reason | Should -BeLike '*Invalid runtime name (kata-unknown).*'
        $result.Failures[0].Fix | Should -BeLike "iSulad does not know the runtime 'kata-unknown' (it lower-cases the name and matches it exactly)*lib-shim-v2*lower case under `"runtimes`"*"
    }
}

Describe 'Test-SecureContainer when a check fails: a result, and everything removed' {
    BeforeEach {
        $state = New-FakeHost
        Start-FakeIsulad
    }
    AfterEach {
        Stop-StandIn
        Remove-FakeHost
    }

    It 'reports a container iSulad runs with another runtime' {
        Set-FakeState inspect-runtime runc
        $result = Test-SecureContainer
        $result.Passed | Should -BeFalse
        $result.Runtime | Should -Be 'runc'
        $result.Failures.Check | Should -Be @('Runtime')
        $result.Failures[0].Reason | Should -Be "iSulad runs the container with runtime 'runc', not '$Kata'."
        $result.Failures[0].Fix | Should -Match 'containerd-shim-kata-v2'
        $result.Removed | Should -BeTrue
        Get-FakeCommand | Select-Object -Last 1 | Should -Be "isula rm -f $($result.ContainerId)"
        Get-StandIn | ForEach-Object { Test-ProcessGone $_.ProcessId | Should -BeTrue }
    }

    It 'reports a container that runs in no VM' {
        Set-FakeState no-vm
        $result = Test-SecureContainer
        $result.Passed | Should -BeFalse
        $result.Failures.Check | Should -Be @('HypervisorProcess')
        $result.Failures[0].Reason | Should -Be "No stratovirt or qemu* process carries the container id $($result.ContainerId), and its shim runs no vCPU thread: the container does not run in a VM."
        $result.Failures[0].Fix | Should -Match 'Test-IsulaKataHost'
        $result.HypervisorProcessId | Should -BeNullOrEmpty
        $result.MemoryOverheadBytes | Should -BeNullOrEmpty
        $result.ShimProcessId | Should -Be (Get-StandIn | Where-Object Role -EQ shim).ProcessId
        $result.Removed | Should -BeTrue
        Test-ProcessGone $result.ShimProcessId | Should -BeTrue
    }

    It 'reports a VM of another hypervisor than -Hypervisor asks for' {
        Set-FakeState hypervisor qemu-system-x86_64
        $result = Test-SecureContainer -Hypervisor StratoVirt
        $result.Passed | Should -BeFalse
        $result.Failures.Check | Should -Be @('HypervisorProcess')
        $vm = Get-StandIn | Where-Object Role -EQ vm
        $result.Failures[0].Reason | Should -Be "The container runs in a Qemu VM (process $($vm.ProcessId)), not StratoVirt."
        $result.Failures[0].Fix | Should -Be 'Configure kata for StratoVirt (Set-KataHypervisor -Hypervisor StratoVirt), or test with -Hypervisor Qemu.'
        Test-ProcessGone $vm.ProcessId | Should -BeTrue
    }

    It 'reports a failed isula run and removes the container it created' {
        Set-FakeState run-fails 'Start container error: runtime error: create sandbox failed: Could not access KVM kernel module: No such file or directory'
        $result = Test-SecureContainer
        $result.Passed | Should -BeFalse
        $result.Failures.Check | Should -Be @('Run')
        $result.Failures[0].Reason | Should -Match ([regex]::Escape("'isula run -tid --runtime $Kata --name $($result.Name) busybox sh' failed with exit code 1:"))
        $result.Failures[0].Reason | Should -Match 'Could not access KVM kernel module'
        $result.Failures[0].Fix | Should -Match '/dev/kvm'
        $result.ContainerId | Should -Match '^[0-9a-f]{64}$'
        $result.StartMilliseconds | Should -BeNullOrEmpty
        $result.Removed | Should -BeTrue
        Get-FakeCommand | Should -Be @(
            "isula run -tid --runtime $Kata --name $($result.Name) busybox sh"
            "isula rm -f $($result.ContainerId)")
        Get-ContainerDir | Should -BeNullOrEmpty
    }

    It 'looks the container up by name when isula run failed before printing an id, and removes nothing that is not there' {
        Set-FakeState create-fails 'Failed to pull image busybox with error: registry-1.docker.io: connection timed out'
        $result = Test-SecureContainer
        $result.Passed | Should -BeFalse
        $result.ContainerId | Should -BeNullOrEmpty
        $result.Failures.Check | Should -Be @('Run')
        $result.Failures[0].Fix | Should -Match 'isula pull busybox'
        $result.Removed | Should -BeTrue
        Get-FakeCommand | Should -Be @(
            "isula run -tid --runtime $Kata --name $($result.Name) busybox sh"
            "isula inspect -f {{ json .Id }} $($result.Name)")
    }

    It 'removes a container whose isula run timed out, found by its name' {
        Set-FakeState hang-on run
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $result = Test-SecureContainer -TimeoutSeconds 1
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 20
        $result.Passed | Should -BeFalse
        $result.Failures.Check | Should -Be @('Run')
        $result.Failures[0].Reason | Should -Match 'did not finish within 1 seconds'
        # The container exists from the moment the fake created it; on a loaded machine the 1 s may end before its
        # processes started, so its id comes from what the fake created, not from the stand-ins.
        $created = Get-Content -LiteralPath (Join-Path $state 'created.log') | Select-Object -First 1
        $created | Should -Match '^[0-9a-f]{64}$'
        $result.Removed | Should -BeTrue
        Get-FakeCommand | Should -Be @(
            "isula run -tid --runtime $Kata --name $($result.Name) busybox sh"
            "isula inspect -f {{ json .Id }} $($result.Name)"
            "isula rm -f $created")
        Get-StandIn | ForEach-Object { Test-ProcessGone $_.ProcessId | Should -BeTrue }
        Get-ContainerDir | Should -BeNullOrEmpty
    }

    It 'reports a failed removal with the command to run by hand' {
        Set-FakeState rm-fails 'Failed to remove container: device or resource busy'
        $result = Test-SecureContainer
        $result.Passed | Should -BeFalse
        $result.Removed | Should -BeFalse
        $result.Failures.Check | Should -Be @('Cleanup')
        $result.Failures[0].Reason | Should -Match 'device or resource busy'
        $result.Failures[0].Fix | Should -Be "Remove the container by hand: isula rm -f $($result.ContainerId)"
        Test-ProcessGone $result.HypervisorProcessId | Should -BeFalse
        Get-ContainerDir | Should -Be @($result.ContainerId)
    }

    It 'removes the container when the user presses Ctrl+C, even while an isula command hangs' {
        Set-FakeState hang-on inspect
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript("Import-Module '$ModulePath'; Test-SecureContainer")
            $handle = $shell.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not (Get-FakeCommand | Where-Object { $_ -like 'isula inspect*' }) -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 50
            }
            Start-Sleep -Milliseconds 200
            $shell.Stop()
            { $shell.EndInvoke($handle) } | Should -Throw
        }
        finally { $shell.Dispose() }

        $vm = Get-StandIn | Where-Object Role -EQ vm
        Get-FakeCommand | Select-Object -Last 1 | Should -Be "isula rm -f $($vm.Id)"
        Test-ProcessGone $vm.ProcessId | Should -BeTrue
        Get-ContainerDir | Should -BeNullOrEmpty
    }
}

Describe 'Test-SecureContainer on an unusable host' {
    AfterEach { Remove-FakeHost }

    It 'stops with IsuladNotRunning when the daemon does not answer, and starts nothing' {
        $state = New-FakeHost
        $err = { Test-SecureContainer } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'IsuladNotRunning,IsulaKata.Commands.TestSecureContainerCommand'
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err.Exception.Message | Should -Match ([regex]::Escape('Can not connect with server.Is the iSulad daemon running on the host?'))
        $err.ErrorDetails.RecommendedAction | Should -Match 'systemctl start isulad'
        # The first `isula run` is the question: nothing is asked before it, and nothing is looked up after it.
        $commands = @(Get-FakeCommand)
        $commands.Count | Should -Be 1
        $commands[0] | Should -Match '^isula run -tid --runtime io\.containerd\.kata\.v2 --name isulakata-proof-[0-9a-f]{8}-1 busybox sh$'
    }

    It 'stops with IsulaNotFound when isula is not installed' {
        $empty = Join-Path $TestDrive 'empty-bin'
        New-Item -ItemType Directory -Path $empty -Force | Out-Null
        $saved = $env:PATH
        try {
            $env:PATH = $empty
            $err = { Test-SecureContainer } | Should -Throw -PassThru
        }
        finally { $env:PATH = $saved }
        $err.FullyQualifiedErrorId | Should -Be 'IsulaNotFound,IsulaKata.Commands.TestSecureContainerCommand'
        $err.CategoryInfo.Category | Should -Be 'NotInstalled'
        $err.ErrorDetails.RecommendedAction | Should -Match 'Install-IsulaKataPackage'
    }
}

Describe 'Test-SecureContainer -WhatIf' {
    It 'runs no command and shows the ones it would run' {
        $state = New-FakeHost
        try {
            Start-FakeIsulad
            Test-SecureContainer -WhatIf -Count 2 | Should -BeNullOrEmpty
            Get-FakeCommand | Should -BeNullOrEmpty
            Get-ContainerDir | Should -BeNullOrEmpty

            $out = & (Get-Process -Id $PID).Path (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'; Test-SecureContainer -Image alpine -Hypervisor Qemu -WhatIf" 2>&1
            $text = $out -join "`n"
            $text | Should -Match ([regex]::Escape("What if: Performing the operation `"isula run -tid --runtime $Kata --name isulakata-proof-") + '[0-9a-f]{8}-1' +
                [regex]::Escape(" alpine sh; isula inspect -f '{{ json .HostConfig.Runtime }}' <id>; isula rm -f <id>`" on target `"container 'isulakata-proof-"))
            Get-FakeCommand | Should -BeNullOrEmpty
        }
        finally { Remove-FakeHost }
    }
}
