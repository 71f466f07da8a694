@{
    RootModule           = 'IsulaKata.psm1'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Core')
    GUID                 = '4a41dee4-46cb-4933-a9c8-219400db9cff'
    Author               = 'IsulaKata contributors'
    CompanyName          = 'IsulaKata'
    Copyright            = '(c) 2026 IsulaKata contributors. MIT License.'
    Description          = 'Prepares openEuler hosts to run secure containers with iSulad, the kata shim v2 runtime (containerd-shim-kata-v2) and the StratoVirt or QEMU hypervisor: LVM thin pool storage, daemon.json, kata configuration, vhost_vsock, and a proof that containers really run in a VM. Safe by default: -WhatIf everywhere, backups, atomic writes, refusals before any disk is touched.'
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @(
        'Formats/Fleet.Format.ps1xml'
        'Formats/Host.Format.ps1xml'
        'Formats/Isulad.Format.ps1xml'
        'Formats/Journal.Format.ps1xml'
        'Formats/Kata.Format.ps1xml'
        'Formats/Storage.Format.ps1xml'
    )
    CmdletsToExport      = @(
        'Enable-VhostVsock'
        'Get-IsulaKataChange'
        'Get-IsulaKataConfiguration'
        'Get-IsulaRuntime'
        'Get-IsulaThinPool'
        'Get-KataHypervisor'
        'Install-IsulaKataPackage'
        'Install-KataGuestKernel'
        'New-IsulaThinPool'
        'Remove-IsulaThinPool'
        'Reset-IsulaKataHost'
        'Set-IsulaKataConfiguration'
        'Set-IsulaRuntime'
        'Set-KataHypervisor'
        'Test-IsulaKataConfiguration'
        'Test-IsulaKataHost'
        'Test-SecureContainer'
        'Undo-IsulaKataChange'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Linux', 'PSEdition_Core', 'iSulad', 'kata-containers', 'StratoVirt', 'QEMU', 'openEuler', 'LVM', 'containers', 'secure-containers',
                             'PSCommand_Enable-VhostVsock', 'PSCommand_Get-IsulaKataChange', 'PSCommand_Get-IsulaKataConfiguration', 'PSCommand_Get-IsulaRuntime', 'PSCommand_Get-IsulaThinPool', 'PSCommand_Get-KataHypervisor', 'PSCommand_Install-IsulaKataPackage', 'PSCommand_Install-KataGuestKernel', 'PSCommand_New-IsulaThinPool', 'PSCommand_Remove-IsulaThinPool', 'PSCommand_Reset-IsulaKataHost', 'PSCommand_Set-IsulaKataConfiguration', 'PSCommand_Set-IsulaRuntime', 'PSCommand_Set-KataHypervisor', 'PSCommand_Test-IsulaKataConfiguration', 'PSCommand_Test-IsulaKataHost', 'PSCommand_Test-SecureContainer', 'PSCommand_Undo-IsulaKataChange')
            LicenseUri   = 'https://github.com/isulakata/IsulaKata/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/isulakata/IsulaKata'
            ReleaseNotes = 'See https://github.com/isulakata/IsulaKata/blob/main/CHANGELOG.md'
        }
    }
}
