BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Pool = '/dev/mapper/isula-thinpool'
    $script:SetId = 'IsulaKata.Commands.SetIsulaRuntimeCommand'

    function New-DaemonRoot {
        # A root whose daemon.json holds exactly $Text (no fixture), and that file's path.
        param([string] $Text)
        $root = New-TestRoot
        $file = Join-Path $root 'etc/isulad/daemon.json'
        New-Item -ItemType Directory (Split-Path $file) | Out-Null
        [System.IO.File]::WriteAllText($file, $Text)
        return $root, $file
    }
}

Describe 'iSulad''s value grammars (deviceset.c, utils_string.c)' {
    BeforeEach {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $file = Join-Path $root 'etc/isulad/daemon.json'
        $hash = Get-Sha256 $file
    }

    Context 'refused: the file stays byte for byte, no stray file' {
        AfterEach {
            Get-Sha256 $file | Should -Be $hash
            @(Get-ChildItem (Split-Path $file) -Force).Count | Should -Be 1
        }

        It 'refuses -MinFreeSpace <Value> (<Why>)' -TestCases @(
            @{ Value = '10'; Why = 'no %' }
            @{ Value = '10.5%'; Why = 'a fraction' }
            @{ Value = '100%'; Why = 'not below 100' }
            @{ Value = '-1%'; Why = 'a sign' }
            @{ Value = ' 10%'; Why = 'a space' }
            @{ Value = '10 %'; Why = 'a space before %' }
            @{ Value = "$([char]0x0663)%"; Why = 'an Arabic-Indic digit' }
            @{ Value = '1e1%'; Why = 'an exponent' }
            @{ Value = '99999999999999999999%'; Why = 'too large' }
        ) {
            $err = { Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -MinFreeSpace $Value } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -Be "InvalidStorageOption,$SetId"
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -BeLike "*isulad says `"Invalid min free space: '$Value'`"*"
        }

        It 'refuses -BaseSize <Value> (<Why>)' -TestCases @(
            @{ Value = '10 G'; Why = 'a space' }
            @{ Value = ' 10G'; Why = 'a leading space' }
            @{ Value = '10GiBs'; Why = 'no such unit' }
            @{ Value = '10E'; Why = 'no exabytes' }
            @{ Value = '.5G'; Why = 'no digit first' }
            @{ Value = '5.G'; Why = 'nothing after the dot' }
            @{ Value = '1.2.3G'; Why = 'two dots' }
            @{ Value = '08G'; Why = 'a leading 0 is octal and 8 is no octal digit' }
            @{ Value = '99999999999999999999'; Why = 'beyond 64 bits' }
            @{ Value = '9223372036854775807K'; Why = 'beyond 64 bits once multiplied' }
            @{ Value = "$([char]0x0661)$([char]0x0660)G"; Why = 'Arabic-Indic digits' }
            @{ Value = '-1G'; Why = 'a sign' }
        ) {
            $err = { Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -BaseSize $Value } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -Be "InvalidStorageOption,$SetId"
            $err.Exception | Should -BeOfType ([IsulaKata.Core.IsulaKataException])
            $err.Exception.Message | Should -BeLike "*isulad says `"Invalid size: '$Value'`"*"
        }

        It 'refuses -BaseSize <Value> as zero' -TestCases @(@{ Value = '0' }, @{ Value = '0.0G' }, @{ Value = '0.5' }, @{ Value = '0K' }) {
            $err = { Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -BaseSize $Value } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -Be "InvalidStorageOption,$SetId"
            $err.Exception.Message | Should -BeLike '*dm.basesize is lower than zero*'
        }

        It 'refuses the storage option <Option> (<Why>)' -TestCases @(
            @{ Option = ' dm.mountopt=nodiscard'; Why = 'keys are not trimmed'; Text = "unknown option: ' dm.mountopt'" }
            @{ Option = 'dm.mountopt =nodiscard'; Why = 'keys are not trimmed'; Text = "unknown option: 'dm.mountopt '" }
            @{ Option = 'DM.mountopt=nodiscard'; Why = 'keys are case-sensitive'; Text = "unknown option: 'DM.mountopt'" }
            @{ Option = 'dm.mountopt='; Why = 'an empty value'; Text = 'Invalid dm.mountopt value' }
            @{ Option = 'devicemapper.mountopt='; Why = 'an empty value'; Text = 'Invalid devicemapper.mountopt value' }
            @{ Option = 'dm.mkfsarg='; Why = 'an empty value'; Text = 'Invalid dm.mkfsarg value' }
            @{ Option = 'dm.mountopt'; Why = 'no ='; Text = "Unable to parse key/value option: 'dm.mountopt'" }
            @{ Option = 'dm.fs=EXT4'; Why = 'only ext4, exactly'; Text = "Invalid filesystem: 'EXT4': not supported" }
        ) {
            $err = { Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -StorageOption $Option } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'InvalidStorageOption,*'
            $err.Exception.Message | Should -BeLike "*$([WildcardPattern]::Escape($Text))*"
            $err.TargetObject | Should -BeExactly $Option
        }

        It 'refuses the runtime <Runtime> (<Why>)' -TestCases @(
            @{ Runtime = ' runc'; Why = 'names are not trimmed' }
            @{ Runtime = 'io.containerd..v2'; Why = 'an empty part' }
        ) {
            { Set-IsulaRuntime -Root $root -Runtime $Runtime } | Should -Throw -ErrorId "InvalidRuntimeName,$SetId"
        }
    }

    It 'accepts -BaseSize <Value> as iSulad does' -TestCases @(
        @{ Value = '10G' }, @{ Value = '10g' }, @{ Value = '10GiB' }, @{ Value = '10gb' }, @{ Value = '1.5G' }, @{ Value = '512M' },
        @{ Value = '10737418240' }, @{ Value = '010G' }, @{ Value = '10b' }, @{ Value = '1KI' }
    ) {
        $result = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -BaseSize $Value -WarningAction SilentlyContinue
        $result.StorageOptions | Should -Contain "dm.basesize=$Value"
    }

    It 'accepts -MinFreeSpace <Value>' -TestCases @(@{ Value = '0%' }, @{ Value = '99%' }, @{ Value = '010%' }) {
        (Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -MinFreeSpace $Value -WarningAction SilentlyContinue).StorageOptions | Should -Contain "dm.min_free_space=$Value"
    }

    It 'drops a refused option already in the file and says what isulad would have said' {
        [System.IO.File]::WriteAllText($file, (Get-Content -Raw $file).Replace('"overlay2.override_kernel_check=true"', '"dm.min_free_space=10"'))
        $result = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -WarningAction SilentlyContinue
        $result.Warnings | Should -Contain "Removed storage option 'dm.min_free_space=10': isulad says `"Invalid min free space: '10'`": it takes whole-number percent below 100 written with '%', e.g. 10% (0% disables the check)."
    }

    It 'says that images under overlay2 are not seen by devicemapper' {
        $result = Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -WarningAction SilentlyContinue
        $result.Warnings -like 'Storage changes from overlay2 to devicemapper: the images stored under overlay2 are not visible to devicemapper.*isula load*' | Should -HaveCount 1
        (Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool).Warnings -like 'Storage changes*' | Should -BeNullOrEmpty
    }
}

Describe 'Option names by iSulad version (strcasecmp before 2.0.15 and in 2.1.0, strcmp after)' {
    BeforeEach {
        $state = New-FakeHost
        $dir = Join-Path $TestDrive ('ver-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
        New-Item -ItemType Directory $dir | Out-Null
        $config = Join-Path $dir 'daemon.json'
        Copy-Item (Join-Path $Fixtures 'daemon.shipped.json') $config
        Set-FakeState config-path $config
    }
    AfterEach { Remove-FakeHost }

    It 'accepts DM.mountopt on iSulad <Version>, and the fake isulad starts with it' -TestCases @(@{ Version = '2.0.14' }, @{ Version = '2.1.0' }) {
        Set-FakeState rpm-installed "iSulad $Version-1.oe1"
        Set-FakeState isulad-version $Version
        $result = Set-IsulaRuntime -ConfigPath $config -ThinPoolDevice $Pool -StorageOption 'DM.mountopt=nodiscard' -Restart -WarningAction SilentlyContinue
        $result.StorageOptions | Should -Contain 'DM.mountopt=nodiscard'
        $result.Verified | Should -BeTrue
        Get-FakeCommand | Should -Contain 'rpm -q --queryformat %{NAME} %{VERSION}-%{RELEASE}\n -- iSulad'
    }

    It 'refuses DM.mountopt on iSulad <Version>' -TestCases @(@{ Version = '2.0.15' }, @{ Version = '2.1.5' }) {
        Set-FakeState rpm-installed "iSulad $Version-1.oe1"
        $hash = Get-Sha256 $config
        $err = { Set-IsulaRuntime -ConfigPath $config -ThinPoolDevice $Pool -StorageOption 'DM.mountopt=nodiscard' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "InvalidStorageOption,$SetId"
        $err.Exception.Message | Should -BeLike "*devicemapper: unknown option: 'DM.mountopt'`" (did you mean 'dm.mountopt'?)*case-sensitive*"
        Get-Sha256 $config | Should -Be $hash
    }

    It 'asks rpm for the version only when a name is not spelt as iSulad spells it' {
        Set-IsulaRuntime -ConfigPath $config -ThinPoolDevice $Pool -StorageOption 'dm.mountopt=nodiscard' -WarningAction SilentlyContinue | Out-Null
        Get-FakeCommand | Where-Object { $_ -like 'rpm*' } | Should -BeNullOrEmpty
    }
}

Describe 'Runtime names as iSulad matches them (lower-cased, then strcmp)' {
    BeforeEach {
        $root, $file = New-DaemonRoot "{`n    `"default-runtime`": `"runc`",`n    `"runtimes`": {`n        `"Kata`": {`"path`": `"/usr/bin/kata-runtime`"},`n        `"rund`": {`"path`": `"/usr/bin/rund`"}`n    }`n}`n"
        $hash = Get-Sha256 $file
    }

    It 'refuses a runtime whose only key has capitals, naming the key' {
        $err = { Set-IsulaRuntime -Root $root -Runtime Kata } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "InvalidRuntimeName,$SetId"
        $err.Exception.Message | Should -BeLike "*declares it as 'Kata', but iSulad lower-cases the requested name*never matches*"
        $err.ErrorDetails.RecommendedAction | Should -BeLike "*Rename the key 'Kata'*('kata')*"
        Get-Sha256 $file | Should -Be $hash
    }

    It 'warns about the unreachable key in Set-IsulaRuntime and Get-IsulaRuntime' {
        $expected = "The runtime 'Kata' under `"runtimes`" in '/etc/isulad/daemon.json' can never be used: iSulad lower-cases every requested runtime name and compares it exactly, so a key with capitals never matches. Rename it to 'kata'."
        (Set-IsulaRuntime -Root $root -Runtime RUND -WarningAction SilentlyContinue).Warnings | Should -Contain $expected
        (Get-IsulaRuntime -Root $root -WarningAction SilentlyContinue).Warnings | Should -Contain $expected
        (Get-IsulaRuntime -Root $root -WarningAction SilentlyContinue).Runtime | Should -BeExactly 'rund'
    }
}

Describe 'Shim v2 support is checked before io.containerd.kata.v2 is set' {
    BeforeEach {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.shipped.json' }
        $file = Join-Path $root 'etc/isulad/daemon.json'
        $hash = Get-Sha256 $file
        New-Item -ItemType Directory (Join-Path $root 'usr/bin'), (Join-Path $root 'usr/lib64') | Out-Null
        $isulad = Join-Path $root 'usr/bin/isulad'
    }

    It 'refuses when isulad was built without shim v2 and lib-shim-v2 is missing, naming both' {
        [System.IO.File]::WriteAllText($isulad, "`x7fELF ... liblcr.so libisula_libutils.so ...")
        $err = { Set-IsulaRuntime -Root $root } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "ShimV2Unsupported,$SetId"
        $err.CategoryInfo.Category | Should -Be 'NotInstalled'
        $err.Exception.Message | Should -BeLike "*'/usr/bin/isulad' was built without shim v2 support (it does not link libshim_v2.so)*"
        $err.Exception.Message | Should -BeLike '*libshim_v2.so (package lib-shim-v2) is in none of*'
        Get-Sha256 $file | Should -Be $hash
    }

    It 'refuses when only the library is missing' {
        [System.IO.File]::WriteAllText($isulad, "`x7fELF ... libshim_v2.so ...")
        $err = { Set-IsulaRuntime -Root $root } | Should -Throw -PassThru
        $err.Exception.Message | Should -Not -BeLike '*built without*'
        $err.Exception.Message | Should -BeLike '*package lib-shim-v2*'
    }

    It 'sets the runtime when both are there, and does not check for runc' {
        [System.IO.File]::WriteAllText($isulad, "`x7fELF ... libshim_v2.so ...")
        Set-Content (Join-Path $root 'usr/lib64/libshim_v2.so') 'lib'
        (Set-IsulaRuntime -Root $root).Runtime | Should -Be 'io.containerd.kata.v2'
        Remove-Item (Join-Path $root 'usr/lib64/libshim_v2.so')
        (Set-IsulaRuntime -Root $root -Runtime runc).Runtime | Should -Be 'runc'
    }
}

Describe 'daemon.json read as a tokenizer reads it' {
    It 'removes only the trailing comma when a comment holds a quote (<Name>)' -TestCases @(
        @{ Name = 'line comment'; Comment = "// don't touch`n" }
        @{ Name = 'block comment'; Comment = "/* a `"quote, ] */`n" }
    ) {
        $root, $file = New-DaemonRoot "{`n    $Comment    `"registry-mirrors`": [`"keep,]this`", `"x\`",]`",],`n    `"default-runtime`": `"runc`"`n}`n"
        $result = Set-IsulaRuntime -Root $root -Runtime runc -WarningAction SilentlyContinue
        $result.Warnings | Should -Be @("Repaired '/etc/isulad/daemon.json': removed a trailing comma at line 3, column 47 (iSulad rejects trailing commas).")
        Get-Content -Raw $file | Should -BeExactly "{`n    $Comment    `"registry-mirrors`": [`"keep,]this`", `"x\`",]`"],`n    `"default-runtime`": `"runc`"`n}`n"
    }

    It 'refuses duplicate keys, naming the key and both lines, and leaves the file alone' {
        $text = "{`n    `"default-runtime`": `"runc`",`n    `"storage-driver`": `"overlay2`",`n    `"default-runtime`": `"lcr`"`n}`n"
        $root, $file = New-DaemonRoot $text
        $err = { Set-IsulaRuntime -Root $root } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "DaemonJsonDuplicateKey,$SetId"
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -BeLike "*sets `"default-runtime`" twice (line 2 and line 4)*"
        Get-Content -Raw $file | Should -BeExactly $text
        @(Get-ChildItem (Split-Path $file)).Count | Should -Be 1
        { Get-IsulaRuntime -Root $root } | Should -Throw -ErrorId 'DaemonJsonDuplicateKey,IsulaKata.Commands.GetIsulaRuntimeCommand'
    }

    It 'refuses a lone surrogate escape (<Where>) with InvalidData, file untouched' -TestCases @(
        @{ Where = 'a value'; Text = "{`n    `"group`": `"\ud800`",`n    `"default-runtime`": `"runc`"`n}`n"; Line = 2 }
        @{ Where = 'a nested key'; Text = "{`n    `"default-runtime`": `"runc`",`n    `"log-opts`": {`"\udc00x`": 1}`n}`n"; Line = 3 }
        @{ Where = 'an array'; Text = "{`n    `"storage-opts`": [`"ok`", `"\ud800`"]`n}`n"; Line = 2 }
    ) {
        $root, $file = New-DaemonRoot $Text
        $err = { Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "DaemonJsonInvalid,$SetId"
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -BeLike "*at line $Line, *not valid Unicode*"
        Get-Content -Raw $file | Should -BeExactly $Text
        { Get-IsulaRuntime -Root $root } | Should -Throw -ErrorId 'DaemonJsonInvalid,IsulaKata.Commands.GetIsulaRuntimeCommand'
    }
}

Describe 'The fake isulad refuses what isulad refuses' {
    BeforeEach {
        $state = New-FakeHost
        $config = Join-Path $TestDrive ('fake-' + [guid]::NewGuid().ToString('N').Substring(0, 6) + '.json')
        Set-FakeState config-path $config
    }
    AfterEach { Remove-FakeHost }

    It 'does not start with <Option> and says why in the journal' -TestCases @(
        @{ Option = 'dm.min_free_space=10'; Text = "Invalid min free space: '10'" }
        @{ Option = 'dm.basesize=10 G'; Text = "Invalid size: '10 G'" }
        @{ Option = 'DM.fs=ext4'; Text = "devicemapper: unknown option: 'DM.fs'" }
        @{ Option = 'dm.fs=xfs'; Text = "Invalid filesystem: 'xfs': not supported" }
    ) {
        Set-Content $config "{ `"storage-driver`": `"devicemapper`", `"storage-opts`": [`"dm.thinpooldev=$Pool`", `"$Option`"] }"
        Invoke-Fake systemctl restart isulad 2>$null
        $LASTEXITCODE | Should -Be 1
        (Invoke-Fake journalctl -u isulad) -join "`n" | Should -BeLike "*$([WildcardPattern]::Escape($Text))*"
        Test-Path (Join-Path $state 'isulad-running') | Should -BeFalse
    }

    It 'does not start when a -s flag of the service is refused' {
        Set-Content $config "{ `"storage-driver`": `"devicemapper`", `"storage-opts`": [`"dm.thinpooldev=$Pool`"] }"
        $sysconfig = Join-Path $TestDrive 'iSulad.sysconfig'
        Set-Content $sysconfig "OPTIONS='-s dm.min_free_space=5'"
        Set-FakeState sysconfig-path $sysconfig
        Invoke-Fake systemctl restart isulad 2>$null
        $LASTEXITCODE | Should -Be 1
        Get-Content (Join-Path $state 'isulad-error') | Should -BeLike "*Invalid min free space: '5'*"
        Set-Content $sysconfig "OPTIONS='--storage-driver=overlay2'"
        Invoke-Fake systemctl restart isulad 2>$null
        $LASTEXITCODE | Should -Be 1
        Get-Content (Join-Path $state 'isulad-error') | Should -BeLike "*Overlay2: unknown option: 'dm.thinpooldev'*"
    }

    It 'refuses an unknown --runtime after lower-casing it, like isulad' {
        Set-Content $config "{ `"runtimes`": { `"Kata`": {}, `"rund`": {} } }"
        Invoke-Fake systemctl restart isulad
        Invoke-Fake isula run -tid --runtime Kata busybox sh 2>&1 | Should -Be 'Error response from daemon: Invalid runtime name (kata).'
    }
}

Describe 'Set-IsulaRuntime -Restart reports what the rollback really did' {
    BeforeEach {
        $state = New-FakeHost
        $dir = Join-Path $TestDrive ('rb-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
        New-Item -ItemType Directory $dir | Out-Null
        $config = Join-Path $dir 'daemon.json'
        Copy-Item (Join-Path $Fixtures 'daemon.shipped.json') $config
        Set-FakeState config-path $config
        $original = Get-Sha256 $config
    }
    AfterEach { Remove-FakeHost }

    It 'says isulad was restarted with the restored file only when that restart succeeded' {
        Set-FakeState fail-if-config-contains devicemapper
        $err = { Set-IsulaRuntime -ConfigPath $config -ThinPoolDevice $Pool -Restart -WarningAction SilentlyContinue } | Should -Throw -PassThru
        $lines = $err.Exception.Message -split "`n"
        $lines[0] | Should -BeLike "'systemctl restart isulad' failed with exit code 1*"
        $lines | Where-Object { $_ -match "^'$([regex]::Escape($config))' was restored from '.+\.bak'\.$" } | Should -HaveCount 1
        $err.Exception.Message | Should -BeLike '*isulad was restarted with the restored file (systemctl restart isulad succeeded).*'
        Get-Sha256 $config | Should -Be $original
    }

    It 'says isulad is down when the restart with the restored file fails too, keeping the first failure first' {
        Set-FakeState fail-if-config-contains '"group"'
        $err = { Set-IsulaRuntime -ConfigPath $config -ThinPoolDevice $Pool -Restart -WarningAction SilentlyContinue } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "IsuladRestartFailed,$SetId"
        ($err.Exception.Message -split "`n")[0] | Should -BeLike "'systemctl restart isulad' failed with exit code 1*"
        $err.Exception.Message | Should -BeLike "*Restarting isulad with the restored file failed too*isulad is down.*"
        $err.Exception.Message | Should -Not -BeLike '*isulad was restarted*'
        Get-Sha256 $config | Should -Be $original
    }

    It 'keeps the original failure when the restore itself fails' {
        Set-FakeState fail-if-config-contains devicemapper
        Set-FakeState delete-on-restart "$dir/*.bak"
        $err = { Set-IsulaRuntime -ConfigPath $config -ThinPoolDevice $Pool -Restart -WarningAction SilentlyContinue } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "IsuladRestartFailed,$SetId"
        ($err.Exception.Message -split "`n")[0] | Should -BeLike "'systemctl restart isulad' failed with exit code 1*"
        $err.Exception.Message | Should -BeLike "*Restoring '$config' failed, so it still holds the new configuration*"
        $err.Exception.InnerException | Should -Not -BeNullOrEmpty
        $err.ErrorDetails.RecommendedAction | Should -BeLike "Restore '$config' from *by hand*"
        Get-FakeCommand | Where-Object { $_ -eq 'systemctl restart isulad' } | Should -HaveCount 1
    }
}

Describe 'Set-IsulaRuntime -WhatIf shows every change and returns nothing' {
    It 'announces only the restart when the file is already right but isulad runs otherwise' {
        $state = New-FakeHost
        try {
            $config = Join-Path $TestDrive 'whatif-restart.json'
            Copy-Item (Join-Path $Fixtures 'daemon.shipped.json') $config
            Set-FakeState config-path $config
            Invoke-Fake systemctl restart isulad
            Copy-Item -Force (Join-Path $Fixtures 'daemon.kata-devicemapper.json') $config
            Clear-Content (Join-Path $state 'commands.log')
            $out = Set-IsulaRuntime -ConfigPath $config -ThinPoolDevice $Pool -Restart -WhatIf -InformationVariable plan -WarningAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $plan.MessageData.Target | Should -Be @('isulad')
            Get-FakeCommand | Should -Be @('isula info')
        }
        finally { Remove-FakeHost }
    }

    It 'returns nothing when there is nothing to change' {
        $root = New-TestRoot @{ '/etc/isulad/daemon.json' = 'daemon.kata-devicemapper.json' }
        Set-IsulaRuntime -Root $root -ThinPoolDevice $Pool -WhatIf -InformationVariable plan | Should -BeNullOrEmpty
        $plan | Should -BeNullOrEmpty
    }
}
