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
