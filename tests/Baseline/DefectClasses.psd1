# The defect classes issue 12 measured on main at 82eb2ea (section 1, in its order) and the tests of tests/Pester that
# cover each. Read by Invoke-Baseline.ps1. File: the test file; It: the It's title as written (with its <Placeholders>),
# a -like pattern that must match exactly one It of that file; Case: only the cases whose expanded name is like this;
# Note: why the test fails on the old commit, when that is not plain from the class.
@{
    Classes = @(
        @{
            Class = 'Hangs on a FIFO where a config file, /etc/sysconfig/iSulad, the wrapper or -Path is expected; a device replaced by a file'
            Tests = @(
                @{ File = 'Trust.Tests.ps1'; It = 'refuses a <Kind> at daemon.json in Get-IsulaRuntime and Set-IsulaRuntime*' }
                @{ File = 'Adversarial.Tests.ps1'; It = 'refuses a <Kind> at <Target> in <Command>, at once*' }
                @{ File = 'Adversarial.Tests.ps1'; It = 'refuses a FIFO at <Target>, which <Command> reads, at once*' }
                @{ File = 'Trust.Tests.ps1'; It = 'refuses a FIFO where Install-KataGuestKernel expects -Path*' }
            )
        }
        @{
            Class = 'Raw .NET errors: a folder or a parent file in the path, NUL, a full disk, no root, -Destination a folder, a lone surrogate, -BaseSize, TOML deeper than 64, a short download'
            Tests = @(
                @{ File = 'Trust.Tests.ps1'; It = 'refuses a parent that is a file*' }
                @{ File = 'Trust.Tests.ps1'; It = 'refuses a path holding NUL*' }
                @{ File = 'Trust.Tests.ps1'; It = 'fails with DiskFull*' }
                @{ File = 'Trust.Tests.ps1'; It = 'reports permission denied to a user who is not root*' }
                @{ File = 'Trust.Tests.ps1'; It = 'refuses a folder as -Destination*' }
                @{ File = 'IsuladRules.Tests.ps1'; It = 'refuses a lone surrogate escape*' }
                @{ File = 'Trust.Tests.ps1'; It = 'refuses -BaseSize <Value> (<Why>) with a project error*' }
                @{ File = 'KataGenerations.Tests.ps1'; It = 'refuses TOML nested deeper than 64*' }
                @{ File = 'Trust.Tests.ps1'; It = 'reports a download shorter than its Content-Length*' }
            )
        }
        @{
            Class = '-ConfigPath / writes its temp file in the parent of -Root'
            Tests = @(
                @{ File = 'Trust.Tests.ps1'; It = 'refuses -ConfigPath / without writing anything*' }
            )
        }
        @{
            Class = 'A failed write leaves its .bak (a full disk; a 0444 file owned by the caller)'
            Tests = @(
                @{ File = 'Trust.Tests.ps1'; It = 'fails with DiskFull*' }
                @{ File = 'Adversarial.Tests.ps1'; It = 'leaves every file as it was (or writes it whole) with <Free> bytes free*' }
                @{ File = 'Trust.Tests.ps1'; It = 'replaces a 0444 file of the user who runs it*' }
            )
        }
        @{
            Class = 'Ctrl+C leaves the host in between (a stray backup, a wrapper without its configuration)'
            Tests = @(
                @{ File = 'Adversarial.Tests.ps1'; It = 'leaves daemon.json as it was or as asked when Set-IsulaRuntime -Restart is stopped*' }
                @{ File = 'Adversarial.Tests.ps1'; It = 'stops Set-KataHypervisor <When>, leaving*'; Case = '*throwing*'; Note = 'Run on main''s own engine (HostContext.Create with four arguments, KataHypervisorConfigurator.Apply). A log line that throws right after the wrapper is written leaves the wrapper with the configuration unchanged; right after the backup, a stray .bak; right after the configuration is written, the rollback removes the wrapper the configuration names.' }
                @{ File = 'Adversarial.Tests.ps1'; It = 'stops Set-KataHypervisor <When>, leaving*'; Case = '*(from before the wrapper*' }
                @{ File = 'Adversarial.Tests.ps1'; It = 'stops Enable-VhostVsock <When>*'; Case = '*throwing*'; Note = 'Run on main''s engine by its names (IsulaKata.Host.KernelModules: Load, then Persist, as main''s cmdlet did; main had no Enable). A log line that throws between the backup and the rename leaves the backup behind.' }
                @{ File = 'Adversarial.Tests.ps1'; It = 'stops Enable-VhostVsock <When>*'; Case = '*modprobe*' }
                @{ File = 'Trust.Tests.ps1'; It = 'writes nothing when stopped during the download' }
            )
        }
        @{
            Class = 'The trailing-comma repair changes a string when a comment holds a quote'
            Tests = @(
                @{ File = 'IsuladRules.Tests.ps1'; It = 'removes only the trailing comma when a comment holds a quote*' }
            )
        }
        @{
            Class = 'Two hypervisors active after Set-KataHypervisor (a sub-table or dotted keys of the other)'
            Tests = @(
                @{ File = 'KataGenerations.Tests.ps1'; It = 'comments out a sub-table <Shape> of the other hypervisor too' }
                @{ File = 'KataGenerations.Tests.ps1'; It = 'Get-KataHypervisor counts a hypervisor defined by a sub-table or dotted keys' }
            )
        }
        @{
            Class = '-WrapperPath not normalised (a wrapper over the binary that execs itself, a trailing slash); any "$@" script taken for ours'
            Tests = @(
                @{ File = 'KataGenerations.Tests.ps1'; It = 'refuses <Path>, which is the StratoVirt binary itself*' }
                @{ File = 'KataGenerations.Tests.ps1'; It = 'refuses a path ending in a slash' }
                @{ File = 'KataGenerations.Tests.ps1'; It = 'writes a normalised path into the configuration' }
                @{ File = 'KataGenerations.Tests.ps1'; It = 'does not replace a script that only looks like a wrapper*' }
            )
        }
        @{
            Class = 'Invalid UTF-8 silently turned into U+FFFD; valid TOML holding U+FFFD refused'
            Tests = @(
                @{ File = 'Trust.Tests.ps1'; It = 'refuses a daemon.json holding bytes that are not UTF-8*' }
                @{ File = 'KataGenerations.Tests.ps1'; It = 'refuses to edit a file that is not UTF-8*' }
                @{ File = 'KataGenerations.Tests.ps1'; It = 'accepts valid TOML holding U+FFFD and keeps it' }
            )
        }
        @{
            Class = 'Only the last of duplicate JSON keys is edited'
            Tests = @(
                @{ File = 'IsuladRules.Tests.ps1'; It = 'refuses duplicate keys*' }
            )
        }
        @{
            Class = 'No project error id, category, target or advice for: read-only file system, a dangling or escaping symlink; a BOM or CRLF not kept'
            Tests = @(
                @{ File = 'Trust.Tests.ps1'; It = 'fails with ReadOnlyFileSystem*' }
                @{ File = 'Trust.Tests.ps1'; It = 'refuses to write through a dangling symbolic link' }
                @{ File = 'IsulaRuntime.Tests.ps1'; It = 'refuses a symlink that leads outside the root*' }
                @{ File = 'Trust.Tests.ps1'; It = 'keeps a byte order mark, and the backup holds the original bytes' }
                @{ File = 'KataGenerations.Tests.ps1'; It = 'keeps a byte order mark and CRLF line ends' }
            )
        }
        @{
            Class = 'No one translation: an unexpected exception type reaches the user'
            Tests = @(
                @{ File = 'Adversarial.Tests.ps1'; It = 'ends every call on every mutated input*' }
            )
        }
        @{
            Class = 'A bad value from the pipeline stops the whole pipeline'
            Tests = @(
                @{ File = 'Trust.Tests.ps1'; It = 'writes an error for the one bad -Root from the pipeline*' }
            )
        }
        @{
            Class = '-WhatIf differs across cmdlets; Set-IsulaRuntime -Restart -WhatIf hides the restart'
            Tests = @(
                @{ File = 'WhatIf.Tests.ps1'; It = 'Set-IsulaRuntime -WhatIf writes one PlannedChange per change*'; Note = 'main had no PlannedChange type: -WhatIf wrote "What if:" lines only, and Set-IsulaRuntime its own. That absence is the defect: issue 12 asked for one -WhatIf output across cmdlets (decided: no output objects, one PlannedChange per change on the information stream).' }
                @{ File = 'IsuladRules.Tests.ps1'; It = 'announces only the restart when the file is already right*' }
            )
        }
        @{
            Class = 'IsuladConfigurator.Rollback says "restarted" unchecked and loses the original failure'
            Tests = @(
                @{ File = 'IsuladRules.Tests.ps1'; It = 'says isulad was restarted with the restored file only when that restart succeeded' }
                @{ File = 'IsuladRules.Tests.ps1'; It = 'says isulad is down when the restart with the restored file fails too*' }
                @{ File = 'IsuladRules.Tests.ps1'; It = 'keeps the original failure when the restore itself fails' }
            )
        }
        @{
            Class = 'Install-KataGuestKernel verifies other bytes than it places (reads the source twice)'
            Tests = @(
                @{ File = 'Trust.Tests.ps1'; It = 'places exactly the bytes -Sha256 names*' }
            )
        }
        @{
            Class = 'Injection: package names before --; wrapper path, binary path, log level, kernel path not validated or quoted'
            Tests = @(
                @{ File = 'Trust.Tests.ps1'; It = 'refuses <Name> before running anything' }
                @{ File = 'KataGenerations.Tests.ps1'; It = 'quotes a binary path holding <Name> in the wrapper*' }
                @{ File = 'KataGenerations.Tests.ps1'; It = 'refuses a newline in <Parameter>'; Note = 'main refused these values too, as PathNotAbsolute (a project error): nothing was injected; it fails on main by the error id only.' }
                @{ File = 'KataGenerations.Tests.ps1'; It = 'refuses a log level that is not one of StratoVirt''s' }
            )
        }
        @{
            Class = 'The folder lock not close-on-exec; -Root confinement open to a symlink swapped in after the check'
            Tests = @(
                @{ File = 'Trust.Tests.ps1'; It = 'is held on a close-on-exec descriptor*' }
                @{ File = 'Trust.Tests.ps1'; It = 'writes into the folder it opened, never through the link swapped in*' }
            )
        }
        @{
            Class = 'Get-KataHypervisor | Get-IsulaRuntime reads kata''s TOML as daemon.json'
            Tests = @(
                @{ File = 'IsulaRuntime.Tests.ps1'; It = 'does not read kata''s configuration.toml as daemon.json*' }
            )
        }
    )
}
