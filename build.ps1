#!/usr/bin/env pwsh
# The same verbs as the Makefile, for PowerShell users; both call the one pipeline in tools/build.sh
# (make bochs-selftest is ./build.ps1 bochs selftest; make pagefile is ./build.ps1 pagefile build/pagefile.img [MiB]).
param(
    [Parameter(Position = 0)]
    [ValidateSet('run', 'test', 'iso', 'kernel', 'bench', 'debug', 'bochs', 'pagefile', 'setup', 'clean')]
    [string]$Verb = 'iso',
    [Parameter(ValueFromRemainingArguments = $true)]
    [string[]]$Rest
)
$ErrorActionPreference = 'Stop'
& bash (Join-Path $PSScriptRoot 'tools/build.sh') $Verb @Rest
exit $LASTEXITCODE
