BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:FormatFiles = Get-ChildItem (Join-Path (Split-Path $ModulePath) 'Formats') -Filter *.Format.ps1xml
}

Describe 'Format views' {
    It 'every output type a cmdlet declares has a view' {
        $viewed = $FormatFiles | ForEach-Object { ([xml](Get-Content -Raw $_.FullName)).Configuration.ViewDefinitions.View.ViewSelectedBy.TypeName }
        $declared = Get-Command -Module IsulaKata | ForEach-Object { $_.OutputType.Name } |
            Where-Object { $_ -like 'IsulaKata.*' } | Sort-Object -Unique
        $declared | Should -Not -BeNullOrEmpty
        foreach ($type in $declared) { $viewed | Should -Contain $type -Because "$type is a cmdlet's output type" }
    }

    It 'every table view fits 120 columns with its fixed-width columns' {
        foreach ($file in $FormatFiles) {
            foreach ($view in ([xml](Get-Content -Raw $file.FullName)).Configuration.ViewDefinitions.View) {
                if (-not $view.TableControl) { continue }
                $headers = @($view.TableControl.TableHeaders.TableColumnHeader)
                $fixed = ($headers | Where-Object { $_.Width } | ForEach-Object { [int]$_.Width } | Measure-Object -Sum).Sum
                # One space between columns; a last column without a width takes what is left, at least 10 columns.
                $open = @($headers | Where-Object { -not $_.Width }).Count
                ($fixed + $headers.Count - 1 + 10 * $open) | Should -BeLessOrEqual 120 -Because "view $($view.Name) in $($file.Name)"
            }
        }
    }
}
