# Dot-sourced by Storage.Tests.ps1 after Common.ps1: a fake machine for the thin pool engine (a /dev, /sys and /proc
# tree with real device nodes), the fake lvm's state, and the probe command lines the tests expect.

$script:Pvs = 'pvs --reportformat json --units b --nosuffix -o pv_name,vg_name,pv_size,vg_size,vg_free,vg_extent_size'
$script:Vgs = 'vgs --reportformat json --units b --nosuffix -o vg_name,vg_size,vg_free,vg_extent_size,pv_name'
$script:Lvs = 'lvs --reportformat json --units b --nosuffix -o lv_name,vg_name,lv_attr,lv_size,data_percent,metadata_percent,lv_metadata_size,chunk_size,lv_profile,seg_monitor'
$script:LvmConfig = 'lvmconfig --typeconfig full config/profile_dir allocation/physical_extent_size activation/thin_pool_autoextend_threshold activation/thin_pool_autoextend_percent'
$script:LvsWithGroup = "$($script:Lvs),vg_size,vg_free,vg_extent_size"

function Get-EngineError {
    # Runs an engine call and returns the IsulaKataException it threw (unwrapped from PowerShell's method errors), or $null.
    param([Parameter(Mandatory)] [scriptblock] $Script)
    try { & $Script | Out-Null } catch {
        $e = $_.Exception
        while ($e -and $e -isnot [IsulaKata.Core.IsulaKataException]) { $e = $e.InnerException }
        return $e
    }
    return $null
}

function New-LiveTree {
    # A machine's /dev, /sys and /proc as the engine reads them: the root disk vda1 mounted on /, no swap.
    $live = Join-Path $TestDrive ('live-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
    foreach ($dir in 'dev', 'sys/dev/block', 'sys/class/block', 'sys/devices/virtual/block', 'proc/self') {
        New-Item -ItemType Directory -Path (Join-Path $live $dir) -Force | Out-Null
    }
    Set-Content -LiteralPath (Join-Path $live 'proc/self/mountinfo') -Value @(
        '22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro'
        '23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw'
        '24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw')
    Set-Content -LiteralPath (Join-Path $live 'proc/swaps') -Value "Filename`t`t`t`tType`t`tSize`t`tUsed`t`tPriority"
    return $live
}

function Add-FakeDisk {
    # A virtio disk as the kernel shows it: a block device node, /sys/dev/block/M:m and /sys/class/block links to its
    # /sys/devices folder (dev, size, ro, holders/), partitions as sub-folders with a 'partition' file.
    param(
        [Parameter(Mandatory)] [string] $Live, [Parameter(Mandatory)] [string] $Name, [int] $Major = 254, [Parameter(Mandatory)] [int] $Minor,
        [long] $SizeBytes = 4GB, [int[]] $Partitions = @(), [string[]] $Holders = @(), [switch] $ReadOnly, [string] $ById)
    $devices = "devices/pci0000:00/0000:00:$('{0:x2}' -f $Minor).0/virtio$Minor/block/$Name"
    $sys = Join-Path $Live "sys/$devices"
    New-Item -ItemType Directory -Path (Join-Path $sys 'holders') -Force | Out-Null
    Set-Content -LiteralPath "$sys/dev" -Value "${Major}:$Minor"
    Set-Content -LiteralPath "$sys/size" -Value ($SizeBytes / 512)
    Set-Content -LiteralPath "$sys/ro" -Value ([int][bool]$ReadOnly)
    ln -s "../../$devices" (Join-Path $Live "sys/dev/block/${Major}:$Minor")
    ln -s "../../$devices" (Join-Path $Live "sys/class/block/$Name")
    mknod (Join-Path $Live "dev/$Name") b $Major $Minor
    foreach ($holder in $Holders) {
        New-Item -ItemType Directory -Path "$sys/holders/$holder", (Join-Path $Live "sys/devices/virtual/block/$holder/dm") -Force | Out-Null
        Set-Content -LiteralPath (Join-Path $Live "sys/devices/virtual/block/$holder/dm/name") -Value "fake-$holder"
        ln -s "../../devices/virtual/block/$holder" (Join-Path $Live "sys/class/block/$holder")
    }
    foreach ($number in $Partitions) {
        $part = "$Name$number"
        New-Item -ItemType Directory -Path "$sys/$part/holders" -Force | Out-Null
        Set-Content -LiteralPath "$sys/$part/partition" -Value $number
        Set-Content -LiteralPath "$sys/$part/dev" -Value "${Major}:$($Minor + $number)"
        Set-Content -LiteralPath "$sys/$part/size" -Value 2048
        Set-Content -LiteralPath "$sys/$part/ro" -Value 0
        ln -s "../../$devices/$part" (Join-Path $Live "sys/dev/block/${Major}:$($Minor + $number)")
        ln -s "../../$devices/$part" (Join-Path $Live "sys/class/block/$part")
        mknod (Join-Path $Live "dev/$part") b $Major ($Minor + $number)
    }
    if ($ById) {
        New-Item -ItemType Directory -Path (Join-Path $Live 'dev/disk/by-id') -Force | Out-Null
        ln -s "../../$Name" (Join-Path $Live "dev/disk/by-id/$ById")
    }
}

function New-ThinPoolCreator {
    # The engine as the cmdlet builds it, except that /dev, /sys and /proc are read from the fake tree.
    param([Parameter(Mandatory)] [string] $Live)
    $none = [System.Threading.CancellationToken]::None
    $log = [Action[string]] { param($message) }
    $context = [IsulaKata.Core.HostContext]::Create('/', $log, $none, $null)
    $system = [IsulaKata.Storage.LiveSystem]::new([IsulaKata.Core.HostFiles]::new($Live, $log, $none, $null))
    [IsulaKata.Storage.ThinPoolCreator]::new($context, $system)
}

function New-PoolRequest {
    param([string[]] $Devices, [string] $VolumeGroup = 'isula', [string] $Name = 'thinpool', [int] $DataPercent = 95, [int] $MetadataPercent = 1,
        [string] $ChunkSize = '64K', [int] $Threshold = 80, [int] $Percent = 20, [switch] $Force)
    [IsulaKata.Storage.ThinPoolRequest]@{
        Devices = [string[]]$Devices; VolumeGroup = $VolumeGroup; Name = $Name; DataPercent = $DataPercent; MetadataPercent = $MetadataPercent
        ChunkSize = $ChunkSize; AutoExtendThreshold = $Threshold; AutoExtendPercent = $Percent; Force = [bool]$Force
    }
}

function Clear-FakeCommand { Clear-Content -LiteralPath (Join-Path $env:ISULAKATA_FAKE_STATE 'commands.log') }

function Invoke-FakeLvm {
    # Runs a fake lvm command with its arguments as they are (Invoke-Fake would bind -n and --x as its own parameters).
    $rest = @($args | Select-Object -Skip 1)
    & (Join-Path $script:FakeBin $args[0]) @rest
}

function New-FakePool {
    # A pool the fake lvm already holds, built the way New-IsulaThinPool builds one, with its profile; clears the log.
    param([Parameter(Mandatory)] [string[]] $Device, [string] $VolumeGroup = 'isula', [string] $Name = 'thinpool',
        [int] $Threshold = 80, [int] $Percent = 20, [switch] $NoProfile)
    Invoke-FakeLvm pvcreate @Device | Out-Null
    Invoke-FakeLvm vgcreate $VolumeGroup @Device | Out-Null
    Invoke-FakeLvm lvcreate --yes --wipesignatures y -n $Name -l 95%VG $VolumeGroup | Out-Null
    Invoke-FakeLvm lvcreate --yes --wipesignatures y -n "${Name}meta" -l 1%VG $VolumeGroup | Out-Null
    Invoke-FakeLvm lvconvert -y --zero n -c 64k --thinpool "$VolumeGroup/$Name" --poolmetadata "$VolumeGroup/${Name}meta" | Out-Null
    if (-not $NoProfile) {
        $dir = Join-Path $env:ISULAKATA_FAKE_STATE 'etc/lvm/profile'
        New-Item -ItemType Directory -Path $dir -Force | Out-Null
        [System.IO.File]::WriteAllText("$dir/$VolumeGroup-thinpool.profile", [IsulaKata.Storage.ThinPoolReader]::ProfileText($VolumeGroup, $Name, $Threshold, $Percent))
        Invoke-FakeLvm lvchange --metadataprofile "$VolumeGroup-thinpool" "$VolumeGroup/$Name" | Out-Null
    }
    Clear-FakeCommand
}

function Get-WhatIfLine {
    # Runs a script block and returns the "What if:" lines it wrote. PowerShell writes them to the host, not to a
    # stream, so they are read back from a transcript.
    param([Parameter(Mandatory)] [scriptblock] $Script)
    $file = Join-Path $TestDrive ('whatif-' + [guid]::NewGuid().ToString('N') + '.txt')
    Start-Transcript -LiteralPath $file -UseMinimalHeader | Out-Null
    try { & $Script | Out-Null } finally { Stop-Transcript | Out-Null }
    @(Get-Content -LiteralPath $file | Where-Object { $_ -like 'What if:*' })
}

function New-LoopDevice {
    # A real loop device on a sparse file (root only); returns /dev/loopN.
    param([Parameter(Mandatory)] [string] $Image, [long] $SizeBytes = 4GB)
    truncate -s $SizeBytes $Image
    (losetup --find --show $Image).Trim()
}
