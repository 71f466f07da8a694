BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Kernel = '/var/lib/kata/vmlinux.bin'

    function New-KernelFile {
        # A small stand-in for a vmlinux: the ELF magic, then deterministic bytes.
        param([string] $Name = 'vmlinux.bin', [int] $Seed = 1, [int] $Length = 300000, [switch] $NotElf)
        $bytes = [byte[]]::new($Length)
        [System.Random]::new($Seed).NextBytes($bytes)
        if (-not $NotElf) { $bytes[0] = 0x7F; $bytes[1] = 0x45; $bytes[2] = 0x4C; $bytes[3] = 0x46 }
        else { $bytes[0] = 0x3C }
        $path = Join-Path $TestDrive ("src-$Seed-" + [guid]::NewGuid().ToString('N').Substring(0, 4) + "-$Name")
        [IO.File]::WriteAllBytes($path, $bytes)
        return $path
    }
}

Describe 'Install-KataGuestKernel judges the format with the one kernel-format check' {
    BeforeAll { . (Join-Path $PSScriptRoot 'Kata.Helpers.ps1') }

    It 'places a <Format> without a warning: StratoVirt''s microvm boots it on x86_64, as QEMU does' -ForEach @(@{ Format = 'bzImage'; Shown = 'bzImage' }, @{ Format = 'Elf'; Shown = 'ELF vmlinux' }) {
        $root = New-TestRoot
        $source = Join-Path $TestDrive "kernel-$Format"
        New-KataKernelFile $source $Format
        $result = Install-KataGuestKernel -Path $source -Root $root -WarningVariable w -WarningAction SilentlyContinue
        $result.Format | Should -Be $Shown
        $w | Should -BeNullOrEmpty
    }

    It 'warns about an arm64 Image on an x86_64 target, for both hypervisors at once' {
        $root = New-TestRoot
        $source = Join-Path $TestDrive 'kernel-arm64'
        New-KataKernelFile $source Arm64Image
        $result = Install-KataGuestKernel -Path $source -Root $root -WarningVariable w -WarningAction SilentlyContinue
        $result.Format | Should -Be 'arm64 Image'
        $w.Message | Should -Be @("'$Kernel' may not boot: it is an arm64 Image, and this is an x86_64 host. Check the file (kata's guest kernel for x86_64).")
    }

    It 'takes the target''s architecture from its kata configuration: an arm64 Image fits an aarch64 target, a bzImage does not' {
        $root = New-KataGenerationRoot eu2-aarch64
        $source = Join-Path $TestDrive 'kernel-arm64-2'
        New-KataKernelFile $source Arm64Image
        Install-KataGuestKernel -Path $source -Root $root -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        $w | Should -BeNullOrEmpty
        $x86 = Join-Path $TestDrive 'kernel-x86'
        New-KataKernelFile $x86 bzImage
        Install-KataGuestKernel -Path $x86 -Root $root -WarningVariable w2 -WarningAction SilentlyContinue | Out-Null
        $w2.Message | Should -Be @("'$Kernel' may not boot: it is an x86 kernel (bzImage), and this is an aarch64 host, where StratoVirt boots an arm64 Image. Check the file (kata's guest kernel for aarch64).")
    }
}

Describe 'Install-KataGuestKernel -Path' {
    BeforeEach {
        $root = New-TestRoot
        $target = Join-Path $root $Kernel.TrimStart('/')
        $source = New-KernelFile
    }

    It 'places the kernel atomically with mode 0644 and returns it with its hash' {
        $result = Install-KataGuestKernel -Path $source -Root $root
        Get-Sha256 $target | Should -Be (Get-Sha256 $source)
        (Get-Item $target).UnixMode | Should -Be '-rw-r--r--'
        if ((id -u) -eq '0') { stat -c '%u:%g' $target | Should -Be '0:0' }
        $result.Path | Should -Be $Kernel
        $result.Name | Should -Be 'vmlinux.bin'
        $result.Length | Should -Be 300000
        $result.Sha256 | Should -Be (Get-Sha256 $source)
        $result.UnixMode | Should -Be '-rw-r--r--'
        $result.Format | Should -Be 'ELF vmlinux'
        $result.Source | Should -Be $source
        $result.Changed | Should -BeTrue
        $result.BackupPath | Should -BeNullOrEmpty
        $result.Root | Should -Be $root
        (Get-ChildItem -Force (Split-Path $target)).Name | Should -Be @('vmlinux.bin')
    }

    It 'writes nothing when the same kernel is already there' {
        Install-KataGuestKernel -Path $source -Root $root | Out-Null
        $stamp = (Get-Item $target).LastWriteTimeUtc
        $second = Install-KataGuestKernel -Path $source -Root $root
        $second.Changed | Should -BeFalse
        $second.Sha256 | Should -Be (Get-Sha256 $source)
        (Get-Item $target).LastWriteTimeUtc | Should -Be $stamp
        (Get-ChildItem -Force (Split-Path $target)).Name | Should -Be @('vmlinux.bin')
    }

    It 'replaces another kernel and keeps it as a backup' {
        Install-KataGuestKernel -Path $source -Root $root | Out-Null
        $old = Get-Sha256 $target
        $newer = New-KernelFile -Seed 2
        $result = Install-KataGuestKernel -Path $newer -Root $root
        $result.Changed | Should -BeTrue
        $result.BackupPath | Should -Match '^/var/lib/kata/vmlinux\.bin\.isulakata-\d{14}\.bak$'
        Get-Sha256 (Join-Path $root $result.BackupPath.TrimStart('/')) | Should -Be $old
        Get-Sha256 $target | Should -Be (Get-Sha256 $newer)
    }

    It 'checks -Sha256 and places nothing when it differs' {
        $wrong = '0' * 64
        try { Install-KataGuestKernel -Path $source -Sha256 $wrong -Root $root } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'KernelChecksumMismatch,IsulaKata.Commands.InstallKataGuestKernelCommand'
        $err.Exception.Message | Should -Be "'$source' has SHA-256 $(Get-Sha256 $source), not the expected $wrong; nothing was written."
        Test-Path $target | Should -BeFalse
        (Install-KataGuestKernel -Path $source -Sha256 (Get-Sha256 $source).ToLowerInvariant() -Root $root).Changed | Should -BeTrue
    }

    It 'places at another -Destination, and takes a file from the pipeline' {
        $result = Get-Item $source | Install-KataGuestKernel -Destination /opt/kata/share/kata-containers/vmlinux.container -Root $root
        $result.Path | Should -Be '/opt/kata/share/kata-containers/vmlinux.container'
        Get-Sha256 (Join-Path $root 'opt/kata/share/kata-containers/vmlinux.container') | Should -Be (Get-Sha256 $source)
    }

    It '-WhatIf places nothing' {
        $result = Install-KataGuestKernel -Path $source -Root $root -WhatIf
        $result | Should -BeNullOrEmpty
        Test-Path (Join-Path $root 'var') | Should -BeFalse
    }

    It 'warns about a file that is not a kernel, and refuses an empty one or a missing one' {
        $odd = New-KernelFile -NotElf -Seed 3
        Install-KataGuestKernel -Path $odd -Root $root -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        $w.Message | Should -Be @("'$Kernel' may not boot: it is neither an ELF vmlinux, a bzImage, a PE kernel nor an arm64 Image. Check the file (kata's guest kernel for x86_64).")

        $empty = Join-Path $TestDrive 'empty.bin'
        [IO.File]::WriteAllBytes($empty, [byte[]]::new(0))
        { Install-KataGuestKernel -Path $empty -Root $root } | Should -Throw -ErrorId 'KernelFileEmpty,IsulaKata.Commands.InstallKataGuestKernelCommand'
        { Install-KataGuestKernel -Path (Join-Path $TestDrive 'nothing-here') -Root $root } | Should -Throw -ErrorId 'KernelSourceNotFound,IsulaKata.Commands.InstallKataGuestKernelCommand'
        Get-Sha256 $target | Should -Be (Get-Sha256 $odd)
    }

    It 'refuses a relative -Destination' {
        { Install-KataGuestKernel -Path $source -Destination vmlinux.bin -Root $root } | Should -Throw -ErrorId 'PathNotAbsolute,IsulaKata.Commands.InstallKataGuestKernelCommand'
    }
}

Describe 'Install-KataGuestKernel -Uri' {
    BeforeAll {
        # A web server on a free loopback port, serving /vmlinux.bin; it logs each request path and stops
        # by itself after two minutes at the latest.
        $script:Served = New-KernelFile -Seed 7 -Length 1500000
        $script:RequestLog = Join-Path $TestDrive 'requests.log'
        $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $probe.Start()
        $port = $probe.LocalEndpoint.Port
        $probe.Stop()
        $script:BaseUri = "http://127.0.0.1:$port"
        $ready = Join-Path $TestDrive 'server-ready'
        $script:Server = Start-ThreadJob -ArgumentList "$BaseUri/", $Served, $RequestLog, $ready -ScriptBlock {
            param($prefix, $file, $log, $ready)
            $listener = [System.Net.HttpListener]::new()
            $listener.Prefixes.Add($prefix)
            $listener.Start()
            Set-Content -LiteralPath $ready -Value ''
            $deadline = [DateTime]::UtcNow.AddMinutes(2)
            try {
                while ([DateTime]::UtcNow -lt $deadline) {
                    $next = $listener.GetContextAsync()
                    while (-not $next.Wait(100)) { if ([DateTime]::UtcNow -ge $deadline) { return } }
                    $context = $next.Result
                    Add-Content -LiteralPath $log -Value $context.Request.Url.AbsolutePath
                    if ($context.Request.Url.AbsolutePath -eq '/vmlinux.bin') {
                        $bytes = [IO.File]::ReadAllBytes($file)
                        $context.Response.ContentLength64 = $bytes.Length
                        $context.Response.OutputStream.Write($bytes, 0, $bytes.Length)
                    }
                    else {
                        $context.Response.StatusCode = 404
                    }
                    $context.Response.Close()
                }
            }
            finally { $listener.Stop(); $listener.Close() }
        }
        $wait = [DateTime]::UtcNow.AddSeconds(20)
        while (-not (Test-Path $ready) -and [DateTime]::UtcNow -lt $wait) { Start-Sleep -Milliseconds 50 }
        Test-Path $ready | Should -BeTrue
    }
    AfterAll {
        $Server | Stop-Job -PassThru | Remove-Job -Force
    }
    BeforeEach {
        $root = New-TestRoot
        $target = Join-Path $root $Kernel.TrimStart('/')
        Set-Content -LiteralPath $RequestLog -Value $null
    }

    It 'downloads over http, verifies -Sha256 and places the kernel' {
        $result = Install-KataGuestKernel -Uri "$BaseUri/vmlinux.bin" -Sha256 (Get-Sha256 $Served) -Root $root -ProgressAction SilentlyContinue
        $result.Changed | Should -BeTrue
        $result.Sha256 | Should -Be (Get-Sha256 $Served)
        $result.Length | Should -Be 1500000
        $result.Source | Should -Be "$BaseUri/vmlinux.bin"
        Get-Sha256 $target | Should -Be (Get-Sha256 $Served)
        (Get-Item $target).UnixMode | Should -Be '-rw-r--r--'
        @(Get-Content $RequestLog) | Should -Be @('/vmlinux.bin')
        Get-ChildItem ([IO.Path]::GetTempPath()) -Filter 'isulakata-kernel-*' | Should -BeNullOrEmpty
    }

    It 'does not download at all when -Sha256 says the kernel is already there' {
        Install-KataGuestKernel -Uri "$BaseUri/vmlinux.bin" -Root $root -ProgressAction SilentlyContinue | Out-Null
        Set-Content -LiteralPath $RequestLog -Value $null
        $again = Install-KataGuestKernel -Uri "$BaseUri/vmlinux.bin" -Sha256 (Get-Sha256 $Served) -Root $root
        $again.Changed | Should -BeFalse
        @(Get-Content $RequestLog) | Where-Object { $_ } | Should -BeNullOrEmpty
    }

    It 'downloads without -Sha256 but writes nothing when the kernel there is the same' {
        Install-KataGuestKernel -Uri "$BaseUri/vmlinux.bin" -Root $root -ProgressAction SilentlyContinue | Out-Null
        $stamp = (Get-Item $target).LastWriteTimeUtc
        $again = Install-KataGuestKernel -Uri "$BaseUri/vmlinux.bin" -Root $root -ProgressAction SilentlyContinue
        $again.Changed | Should -BeFalse
        (Get-Item $target).LastWriteTimeUtc | Should -Be $stamp
        (Get-ChildItem -Force (Split-Path $target)).Name | Should -Be @('vmlinux.bin')
    }

    It 'places nothing when the download does not match -Sha256' {
        { Install-KataGuestKernel -Uri "$BaseUri/vmlinux.bin" -Sha256 ('A' * 64) -Root $root -ProgressAction SilentlyContinue } | Should -Throw -ErrorId 'KernelChecksumMismatch,IsulaKata.Commands.InstallKataGuestKernelCommand'
        Test-Path $target | Should -BeFalse
        Get-ChildItem ([IO.Path]::GetTempPath()) -Filter 'isulakata-kernel-*' | Should -BeNullOrEmpty
    }

    It 'says what the server answered for a missing file' {
        try { Install-KataGuestKernel -Uri "$BaseUri/no-such-kernel" -Root $root -ProgressAction SilentlyContinue } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'KernelDownloadFailed,IsulaKata.Commands.InstallKataGuestKernelCommand'
        $err.Exception.Message | Should -Be "GET $BaseUri/no-such-kernel answered 404 Not Found; nothing was written."
        Test-Path $target | Should -BeFalse
    }

    It '-WhatIf downloads nothing and places nothing' {
        Install-KataGuestKernel -Uri "$BaseUri/vmlinux.bin" -Root $root -WhatIf | Should -BeNullOrEmpty
        @(Get-Content $RequestLog) | Where-Object { $_ } | Should -BeNullOrEmpty
        Test-Path $target | Should -BeFalse
    }

    It 'takes a file:// URI' {
        $uri = [Uri]::new($Served).AbsoluteUri
        $result = Install-KataGuestKernel -Uri $uri -Root $root
        $result.Source | Should -Be $uri
        Get-Sha256 $target | Should -Be (Get-Sha256 $Served)
    }

    It 'refuses other schemes' {
        { Install-KataGuestKernel -Uri 'ftp://127.0.0.1/vmlinux.bin' -Root $root } | Should -Throw -ErrorId 'UnsupportedUriScheme,IsulaKata.Commands.InstallKataGuestKernelCommand'
    }
}
