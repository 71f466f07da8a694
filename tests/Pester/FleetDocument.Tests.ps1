# The fleet cmdlets on this host (no sshd): the document checked against the section cmdlets' own parameters before
# anything runs, and Test/Set/Get-IsulaKataConfiguration through those cmdlets under -Root with the fakes.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    function Get-Refusal {
        # The error record a document is refused with.
        param([hashtable] $Document)
        try { $null = Test-IsulaKataConfiguration -Configuration $Document; return $null } catch { return $_ }
    }
}

Describe 'A configuration document is refused before anything runs' {
    BeforeEach { $state = New-FakeHost }
    AfterEach { Remove-FakeHost }

    It 'refuses an unknown section, naming it and the valid sections' {
        $refusal = Get-Refusal @{ Runtime = @{}; Kernel = @{} }
        $refusal.FullyQualifiedErrorId | Should -Be 'ConfigurationSectionUnknown,IsulaKata.Commands.TestIsulaKataConfigurationCommand'
        $refusal.Exception.Message | Should -Be "(-Configuration), section 'Kernel': there is no such section."
        $refusal.ErrorDetails.RecommendedAction | Should -BeLike '*Packages, ThinPool, Runtime, VhostVsock, GuestKernel, Kata, Verify.'
        Get-FakeCommand | Should -BeNullOrEmpty
    }

    It 'refuses an unknown key, naming the file, the section, the key and the keys read from the cmdlet' {
        $file = Join-Path $TestDrive 'rack.psd1'
        Set-Content $file "@{ Runtime = @{ ThinPoolDevice = '/dev/mapper/isula-thinpool'; Restrat = `$true } }"
        $refusal = try { Set-IsulaKataConfiguration -Path $file; $null } catch { $_ }
        $refusal.FullyQualifiedErrorId | Should -BeLike 'ConfigurationKeyUnknown,*'
        $refusal.Exception.Message | Should -Be "$file, section 'Runtime', key 'Restrat': Set-IsulaRuntime has no such parameter."
        # The keys are Set-IsulaRuntime's own parameters, -Root and the common ones left out.
        $keys = (Get-Command Set-IsulaRuntime).Parameters.Keys | Where-Object { $_ -notin [System.Management.Automation.Cmdlet]::CommonParameters -and $_ -notin 'WhatIf', 'Confirm', 'Root' } | Sort-Object
        $refusal.ErrorDetails.RecommendedAction | Should -Be "Use the keys of Set-IsulaRuntime: $($keys -join ', ')."
        Get-FakeCommand | Should -BeNullOrEmpty
    }

    It 'refuses <Why>' -TestCases @(
        @{ Why = 'a value of the wrong type'; Document = @{ Runtime = @{ TimeoutSeconds = 'soon' } }; Id = 'ConfigurationValueInvalid'; Message = "*key 'TimeoutSeconds': 'soon' is not a Int32." }
        @{ Why = 'a switch given as a string'; Document = @{ Runtime = @{ Restart = 'yes' } }; Id = 'ConfigurationValueInvalid'; Message = "*key 'Restart': a switch takes `$true or `$false, not 'yes'." }
        @{ Why = 'a value the cmdlet''s ValidateRange refuses'; Document = @{ ThinPool = @{ Device = '/dev/vdb'; DataPercent = 100 } }; Id = 'ConfigurationValueInvalid'; Message = "*section 'ThinPool', key 'DataPercent': New-IsulaThinPool refuses 100 (Int32): *" }
        @{ Why = 'a value the cmdlet''s ValidatePattern refuses'; Document = @{ GuestKernel = @{ Path = '/srv/vmlinux'; Sha256 = 'abc' } }; Id = 'ConfigurationValueInvalid'; Message = "*key 'Sha256': Install-KataGuestKernel refuses 'abc'*" }
        @{ Why = 'a missing mandatory key'; Document = @{ Kata = @{ LogLevel = 'info' } }; Id = 'ConfigurationKeyMissing'; Message = "*section 'Kata', key 'Hypervisor': Set-KataHypervisor needs Hypervisor." }
        @{ Why = 'keys of two parameter sets'; Document = @{ GuestKernel = @{ Path = '/srv/vmlinux'; Uri = 'https://example.org/vmlinux' } }; Id = 'ConfigurationKeysConflict'; Message = "*section 'GuestKernel'*" }
        @{ Why = 'a section that is not a hashtable'; Document = @{ Runtime = 'io.containerd.kata.v2' }; Id = 'ConfigurationValueInvalid'; Message = "*section 'Runtime': a section must be a hashtable of keys." }
    ) {
        $refusal = Get-Refusal $Document
        $refusal.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $refusal.Exception.Message | Should -BeLike $Message
        Get-FakeCommand | Should -BeNullOrEmpty
    }

    It 'refuses -WhatIf, -Confirm and -Root as keys: they are the fleet cmdlets'' own parameters' {
        (Get-Refusal @{ Runtime = @{ Root = '/mnt' } }).FullyQualifiedErrorId | Should -BeLike 'ConfigurationKeyUnknown,*'
        (Get-Refusal @{ Runtime = @{ WhatIf = $true } }).FullyQualifiedErrorId | Should -BeLike 'ConfigurationKeyUnknown,*'
    }

    It 'refuses a data file with code in it, running none of it' {
        $file = Join-Path $TestDrive 'code.psd1'
        Set-Content $file "@{ Runtime = @{ Runtime = (New-Item '$TestDrive/ran') } }"
        { Test-IsulaKataConfiguration -Path $file } | Should -Throw -ErrorId 'ConfigurationFileInvalid,*'
        "$TestDrive/ran" | Should -Not -Exist
    }
}

Describe 'The fleet cmdlets on this host' {
    BeforeEach {
        $state = New-FakeHost
        Set-FakeState rpm-installed "iSulad 2.1.5-1`nkata-containers 3.2.0-1`nlib-shim-v2 0.0.1-1`n"
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $document = @{ Packages = @{}; Runtime = @{ ThinPoolDevice = '/dev/mapper/isula-thinpool' }; Verify = @{} }
    }
    AfterEach { Remove-FakeHost }

    It 'Test-IsulaKataConfiguration takes each section''s differences from its cmdlet''s -WhatIf plan and leaves Verify unevaluated' {
        $before = Get-Sha256 "$root/etc/isulad/daemon.json"
        $test = Test-IsulaKataConfiguration -Configuration $document -Root $root
        $test.GetType().FullName | Should -Be 'IsulaKata.Fleet.IsulaKataConfigurationTest'
        $test.InDesiredState | Should -BeFalse
        $test.Sections.Name | Should -Be 'Packages', 'Runtime', 'Verify'
        $test.Sections[0].InDesiredState | Should -BeTrue
        $test.Sections[1].InDesiredState | Should -BeFalse
        $test.Sections[1].Differences.Count | Should -Be 1
        $test.Sections[1].Differences[0].Cmdlet | Should -Be 'Set-IsulaRuntime'
        $test.Sections[1].Differences[0].Target | Should -Be '/etc/isulad/daemon.json'
        $test.Sections[2].InDesiredState | Should -BeNullOrEmpty
        Get-Sha256 "$root/etc/isulad/daemon.json" | Should -Be $before
    }

    It 'Set-IsulaKataConfiguration converges through the cmdlets; the identical second run changes nothing' {
        $document.Remove('Verify')
        $first = Set-IsulaKataConfiguration -Configuration $document -Root $root
        $first.Succeeded | Should -BeTrue
        $first.Changed | Should -BeTrue
        ($first.Sections | ForEach-Object { "$($_.Name)=$($_.Status)" }) | Should -Be 'Packages=Unchanged', 'Runtime=Changed'
        $first.Sections[1].Output.GetType().FullName | Should -Be 'IsulaKata.Isulad.IsulaRuntimeConfig'
        Get-Content -Raw "$root/etc/isulad/daemon.json" | Should -Match '"dm.thinpooldev=/dev/mapper/isula-thinpool"'
        $after = Get-Sha256 "$root/etc/isulad/daemon.json"
        $second = Set-IsulaKataConfiguration -Configuration $document -Root $root
        $second.Changed | Should -BeFalse
        $second.Sections.Status | Should -Be 'Unchanged', 'Unchanged'
        Get-Sha256 "$root/etc/isulad/daemon.json" | Should -Be $after
        @(Get-ChildItem "$root/etc/isulad" -Filter *.bak).Count | Should -Be 1
    }

    It 'Set-IsulaKataConfiguration -WhatIf returns nothing, plans with the section cmdlet''s PlannedChange, changes nothing' {
        $before = Get-Sha256 "$root/etc/isulad/daemon.json"
        $out = @(Set-IsulaKataConfiguration -Configuration $document -Root $root -WhatIf -InformationVariable plan)
        $out.Count | Should -Be 0
        $planned = @($plan | Where-Object { $_.Tags -contains 'IsulaKata.WhatIf' } | ForEach-Object MessageData)
        $planned.Count | Should -Be 1
        $planned[0].Cmdlet | Should -Be 'Set-IsulaRuntime'
        Get-Sha256 "$root/etc/isulad/daemon.json" | Should -Be $before
    }

    It 'a failing section stops the host there; later sections are NotRun and the error keeps the cmdlet''s id' {
        $bad = @{ Runtime = @{ ThinPoolDevice = '/dev/mapper/isula-thinpool'; ConfigPath = '/etc/isulad/missing/daemon.json' }; Kata = @{ Hypervisor = 'StratoVirt' } }
        Set-Content "$root/etc/isulad/daemon.json" '{ "storage-driver": ' -NoNewline
        $bad.Runtime.Remove('ConfigPath')
        $result = Set-IsulaKataConfiguration -Configuration $bad -Root $root -ErrorAction SilentlyContinue -ErrorVariable failure
        $result.Succeeded | Should -BeFalse
        $result.Stage | Should -Be 'Runtime'
        ($result.Sections | ForEach-Object { "$($_.Name)=$($_.Status)" }) | Should -Be 'Runtime=Failed', 'Kata=NotRun'
        $result.Error.FullyQualifiedErrorId | Should -BeLike '*,IsulaKata.Commands.SetIsulaRuntimeCommand'
        $failure.Count | Should -Be 1
    }

    It 'Get-IsulaKataConfiguration returns a document Test-IsulaKataConfiguration finds in desired state, and -AsString a data file' {
        $null = Set-IsulaKataConfiguration -Configuration @{ Packages = @{}; Runtime = @{ ThinPoolDevice = '/dev/mapper/isula-thinpool' } } -Root $root
        $now = Get-IsulaKataConfiguration -Root $root
        $now | Should -BeOfType [hashtable]
        $now.Runtime.ThinPoolDevice | Should -Be '/dev/mapper/isula-thinpool'
        (Test-IsulaKataConfiguration -Configuration $now -Root $root).InDesiredState | Should -BeTrue
        $text = Get-IsulaKataConfiguration -Root $root -AsString
        $file = Join-Path $TestDrive 'now.psd1'
        Set-Content $file $text
        (Test-IsulaKataConfiguration -Path $file -Root $root).InDesiredState | Should -BeTrue
    }

    It 'refuses -Session with -HostName, and SSH parameters without a host' {
        { Test-IsulaKataConfiguration -Configuration @{} -KeyFilePath /tmp/key } | Should -Throw -ErrorId 'FleetHostNameMissing,*'
    }
}

Describe 'Completion of -HostName' {
    It 'offers the Host names of ~/.ssh/config and the plain names of ~/.ssh/known_hosts, keeping a typed user@' {
        $userHome = Join-Path $TestDrive "home"
        New-Item -ItemType Directory "$userHome/.ssh" -Force | Out-Null
        Set-Content "$userHome/.ssh/config" "Host node1 node2`n    User root`nHost *.lab`n"
        Set-Content "$userHome/.ssh/known_hosts" "node3,10.0.0.3 ssh-ed25519 AAAA`n[node4]:2222 ssh-ed25519 AAAA`n|1|hashed= ssh-ed25519 AAAA`n"
        $saved = $env:HOME
        try {
            $env:HOME = $userHome
            $line = 'Test-IsulaKataConfiguration -Configuration @{} -HostName root@node'
            $names = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        }
        finally { $env:HOME = $saved }
        $names | Should -Be 'root@node1', 'root@node2', 'root@node3', 'root@node4:2222'
    }
}
