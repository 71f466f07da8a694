# -WhatIf across cmdlets: a "What if:" line per change and, for scripts, the same plan on the information stream.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
}

Describe '-WhatIf plans on the information stream' {
    BeforeEach { $null = New-FakeHost }
    AfterEach { Remove-FakeHost }

    It 'Set-IsulaRuntime -WhatIf writes one PlannedChange per change, tagged IsulaKata.WhatIf, and changes nothing' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $before = Get-Sha256 "$root/etc/isulad/daemon.json"
        $null = Set-IsulaRuntime -Root $root -ThinPoolDevice /dev/mapper/isula-thinpool -WhatIf -InformationVariable plan -WarningAction SilentlyContinue
        $planned = @($plan | Where-Object { $_.Tags -contains 'IsulaKata.WhatIf' } | ForEach-Object MessageData)
        $planned.Count | Should -Be 1
        $planned[0].GetType().FullName | Should -Be 'IsulaKata.Core.PlannedChange'
        $planned[0].Cmdlet | Should -Be 'Set-IsulaRuntime'
        $planned[0].Target | Should -Be '/etc/isulad/daemon.json'
        $planned[0].Action | Should -Match 'devicemapper'
        Get-Sha256 "$root/etc/isulad/daemon.json" | Should -Be $before
    }

    It 'a run without -WhatIf writes no PlannedChange' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $null = Set-IsulaRuntime -Root $root -ThinPoolDevice /dev/mapper/isula-thinpool -InformationVariable plan -WarningAction SilentlyContinue
        @($plan | Where-Object { $_.Tags -contains 'IsulaKata.WhatIf' }).Count | Should -Be 0
    }
}

Describe '-WhatIf returns no object' {
    BeforeEach { $null = New-FakeHost }
    AfterEach { Remove-FakeHost }

    It 'Set-KataHypervisor -WhatIf returns nothing, with changes to plan and with none; the plan is its PlannedChange records' {
        $root = New-TestRoot @{ '/usr/share/defaults/kata-containers/configuration.toml' = 'Kata/kata1-qemu.toml' }
        $file = "$root/usr/share/defaults/kata-containers/configuration.toml"
        $before = Get-Sha256 $file
        $out = @(Set-KataHypervisor -Root $root -Hypervisor StratoVirt -WhatIf -InformationVariable plan -WarningAction SilentlyContinue)
        $out.Count | Should -Be 0
        $planned = @($plan | Where-Object { $_.Tags -contains 'IsulaKata.WhatIf' } | ForEach-Object MessageData)
        $planned.Target | Should -Be @('/usr/local/libexec/isulakata/stratovirt.sh', '/usr/share/defaults/kata-containers/configuration.toml')
        $planned.Cmdlet | Sort-Object -Unique | Should -Be 'Set-KataHypervisor'
        $planned[1].Action | Should -BeLike 'Update: `[hypervisor.stratovirt`] added; *'
        Get-Sha256 $file | Should -Be $before
        # Nothing to change: still no object under -WhatIf, and the object without it.
        $done = Set-KataHypervisor -Root $root -Hypervisor StratoVirt -WarningAction SilentlyContinue
        $done.Changed | Should -BeTrue
        @(Set-KataHypervisor -Root $root -Hypervisor StratoVirt -WhatIf -WarningAction SilentlyContinue).Count | Should -Be 0
        (Set-KataHypervisor -Root $root -Hypervisor StratoVirt -WarningAction SilentlyContinue).Changed | Should -BeFalse
    }

    It 'Set-IsulaRuntime -WhatIf returns nothing when daemon.json already says it all' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.kata-devicemapper.json' }
        @(Set-IsulaRuntime -Root $root -WhatIf -WarningAction SilentlyContinue).Count | Should -Be 0
        (Set-IsulaRuntime -Root $root -WarningAction SilentlyContinue).Changed | Should -BeFalse
    }
}
