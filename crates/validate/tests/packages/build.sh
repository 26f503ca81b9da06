#!/bin/sh
# Rebuild the validator's test packages: clean.msi from clean.wxs with Debian's wixl, then
# copies of it broken with msibuild (each copy breaks a group of rules; clean.msi is each
# group's fixed counterpart, ui-fixed.msi the UI group's), checked with msiinfo. The .msi
# files are checked in: run this only after changing clean.wxs or a query below, then run
# `UPDATE_EXPECT=1 cargo test -p rmsi-validate --test validate_packages`, read the new
# *.expected files rule by rule, and commit everything.
#
# Needs: wixl, msibuild, msiinfo (Debian's msitools).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
for tool in wixl msibuild msiinfo; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool not found" >&2; exit 1; }
done

(cd "$here" && wixl -o clean.msi clean.wxs)

# derive NAME: copy clean.msi to NAME.msi and run the queries read from stdin, one a line.
derive() {
    out="$here/$1.msi"
    cp "$here/clean.msi" "$out"
    while IFS= read -r q; do
        case "$q" in ''|'#'*) continue ;; esac
        msibuild "$out" -q "$q" || { echo "build.sh: $1: failed: $q" >&2; exit 1; }
    done
}

# expect NAME TABLE TEXT: fail unless the exported table contains TEXT.
expect() {
    if ! msiinfo export "$here/$1.msi" "$2" | grep -qF -- "$3"; then
        echo "build.sh: $1.msi: table $2 lacks: $3" >&2
        exit 1
    fi
}

# --- components: ICE04 (the files added below are beyond Media's LastSequence) ICE02 ICE08 ICE33 ICE09 ICE18 ICE21 ICE22 ICE30 ICE38 ICE43 ICE54 ICE57 ICE59
#     ICE64 ICE69 ICE90 ICE91
derive components <<'SQL'
# ICE02 (key file of another component) and ICE08 (App's GUID).
INSERT INTO `Component` (`Component`, `ComponentId`, `Directory_`, `Attributes`, `KeyPath`) VALUES ('Extra', '{6B1D2C3E-4F50-4A61-8B72-9C8DAEBF0A20}', 'INSTALLDIR', 0, 'AppExe')
INSERT INTO `FeatureComponents` (`Feature_`, `Component_`) VALUES ('Main', 'Extra')
# ICE09: a non-permanent component in SystemFolder.
INSERT INTO `Directory` (`Directory`, `Directory_Parent`, `DefaultDir`) VALUES ('SystemFolder', 'TARGETDIR', '.')
INSERT INTO `Component` (`Component`, `ComponentId`, `Directory_`, `Attributes`, `KeyPath`) VALUES ('Sys', '{6B1D2C3E-4F50-4A61-8B72-9C8DAEBF0A31}', 'SystemFolder', 0, 'SysFile')
INSERT INTO `File` (`File`, `Component_`, `FileName`, `FileSize`, `Sequence`) VALUES ('SysFile', 'Sys', 'sys.dll', 4, 3)
INSERT INTO `FeatureComponents` (`Feature_`, `Component_`) VALUES ('Main', 'Sys')
# ICE18: a directory key path without a CreateFolder row.
INSERT INTO `Component` (`Component`, `ComponentId`, `Directory_`, `Attributes`) VALUES ('Empty', '{6B1D2C3E-4F50-4A61-8B72-9C8DAEBF0A32}', 'INSTALLDIR', 0)
INSERT INTO `FeatureComponents` (`Feature_`, `Component_`) VALUES ('Main', 'Empty')
# ICE21 (in no feature), and the component of ICE22, ICE59 and ICE69's error.
INSERT INTO `Component` (`Component`, `ComponentId`, `Directory_`, `Attributes`) VALUES ('Orphan', '{6B1D2C3E-4F50-4A61-8B72-9C8DAEBF0A33}', 'INSTALLDIR', 0)
INSERT INTO `CreateFolder` (`Directory_`, `Component_`) VALUES ('INSTALLDIR', 'Orphan')
# ICE30: readme.txt again, from another component, into the same folder.
INSERT INTO `Component` (`Component`, `ComponentId`, `Directory_`, `Attributes`, `KeyPath`) VALUES ('Clash', '{6B1D2C3E-4F50-4A61-8B72-9C8DAEBF0A34}', 'INSTALLDIR', 0, 'ClashFile')
INSERT INTO `File` (`File`, `Component_`, `FileName`, `FileSize`, `Sequence`) VALUES ('ClashFile', 'Clash', 'readme.txt', 7, 4)
INSERT INTO `FeatureComponents` (`Feature_`, `Component_`) VALUES ('Main', 'Clash')
# ICE38 ICE43 ICE64 ICE90 ICE91: a file key path and a shortcut in a new public folder of AppData.
INSERT INTO `Directory` (`Directory`, `Directory_Parent`, `DefaultDir`) VALUES ('AppDataFolder', 'TARGETDIR', '.')
INSERT INTO `Directory` (`Directory`, `Directory_Parent`, `DefaultDir`) VALUES ('PROFILEDIR', 'AppDataFolder', 'prof')
INSERT INTO `Component` (`Component`, `ComponentId`, `Directory_`, `Attributes`, `KeyPath`) VALUES ('Profile', '{6B1D2C3E-4F50-4A61-8B72-9C8DAEBF0A35}', 'PROFILEDIR', 0, 'ProfileFile')
INSERT INTO `File` (`File`, `Component_`, `FileName`, `FileSize`, `Sequence`) VALUES ('ProfileFile', 'Profile', 'prof.txt', 4, 5)
INSERT INTO `FeatureComponents` (`Feature_`, `Component_`) VALUES ('Main', 'Profile')
INSERT INTO `Shortcut` (`Shortcut`, `Directory_`, `Name`, `Component_`, `Target`) VALUES ('ProfileShortcut', 'PROFILEDIR', 'Prof', 'Profile', '[#ProfileFile]')
# ICE54: a key path file versioned by a companion file.
INSERT INTO `Component` (`Component`, `ComponentId`, `Directory_`, `Attributes`, `KeyPath`) VALUES ('Companion', '{6B1D2C3E-4F50-4A61-8B72-9C8DAEBF0A36}', 'INSTALLDIR', 0, 'CompFile')
INSERT INTO `File` (`File`, `Component_`, `FileName`, `FileSize`, `Version`, `Sequence`) VALUES ('CompFile', 'Companion', 'comp.dll', 4, 'AppExe', 6)
INSERT INTO `FeatureComponents` (`Feature_`, `Component_`) VALUES ('Main', 'Companion')
# ICE57: HKCU data with a per-machine key path file.
INSERT INTO `Component` (`Component`, `ComponentId`, `Directory_`, `Attributes`, `KeyPath`) VALUES ('Mixed', '{6B1D2C3E-4F50-4A61-8B72-9C8DAEBF0A37}', 'INSTALLDIR', 0, 'MixedFile')
INSERT INTO `File` (`File`, `Component_`, `FileName`, `FileSize`, `Sequence`) VALUES ('MixedFile', 'Mixed', 'mixed.txt', 4, 7)
INSERT INTO `Registry` (`Registry`, `Root`, `Key`, `Name`, `Value`, `Component_`) VALUES ('MixedReg', 1, 'Software\rmsi-validate', 'mixed', '1', 'Mixed')
INSERT INTO `FeatureComponents` (`Feature_`, `Component_`) VALUES ('Main', 'Mixed')
# ICE59: an advertised shortcut of a component its feature does not install.
INSERT INTO `Shortcut` (`Shortcut`, `Directory_`, `Name`, `Component_`, `Target`) VALUES ('AdvShortcut', 'INSTALLDIR', 'Adv', 'Orphan', 'Main')
# ICE69: App's registry value names Menu (same feature: warning) and Orphan (error).
INSERT INTO `Registry` (`Registry`, `Root`, `Key`, `Name`, `Value`, `Component_`) VALUES ('CrossReg', 2, 'Software\rmsi-validate', 'cross', '[$Menu] [$Orphan]', 'App')
# ICE22: a published component its feature does not install.
CREATE TABLE `PublishComponent` (`ComponentId` CHAR(38) NOT NULL, `Qualifier` CHAR(255) NOT NULL, `Component_` CHAR(72) NOT NULL, `AppData` CHAR(255) LOCALIZABLE, `Feature_` CHAR(38) NOT NULL PRIMARY KEY `ComponentId`, `Qualifier`, `Component_`)
INSERT INTO `PublishComponent` (`ComponentId`, `Qualifier`, `Component_`, `Feature_`) VALUES ('{6B1D2C3E-4F50-4A61-8B72-9C8DAEBF0A40}', 'q', 'Orphan', 'Main')
# ICE33: a file extension registered through the Registry table.
INSERT INTO `Registry` (`Registry`, `Root`, `Key`, `Value`, `Component_`) VALUES ('ExtReg', 0, '.rmsiv', 'rmsiv.file', 'App')
SQL
expect components Component Orphan
expect components PublishComponent Orphan

# --- values: ICE03 (each kind of fault), ICE06, ICE32, ICE71
derive values <<'SQL'
UPDATE `Component` SET `ComponentId` = '{6b1d2c3e-4f50-4a61-8b72-9c8daebf0a21}' WHERE `Component` = 'Menu'
UPDATE `Component` SET `Condition` = 'VersionNT >= ' WHERE `Component` = 'App'
UPDATE `Registry` SET `Value` = '[read me]' WHERE `Component_` = 'App'
UPDATE `File` SET `Sequence` = 0, `FileName` = 'read:me.txt', `Language` = 'en' WHERE `File` = 'Readme'
UPDATE `File` SET `Version` = '1.2.3.4.5' WHERE `File` = 'AppExe'
UPDATE `Shortcut` SET `WkDir` = '1bad', `ShowCmd` = 2 WHERE `Shortcut` = 'AppShortcut'
UPDATE `Feature` SET `Title` = 'A feature title that is longer than the sixty-four characters allowed' WHERE `Feature` = 'Main'
INSERT INTO `FeatureComponents` (`Feature_`, `Component_`) VALUES ('Main', 'Ghost')
UPDATE `RemoveFile` SET `InstallMode` = 4 WHERE `FileKey` = 'RemoveMenuDir'
# ICE71: no Media row with DiskId 1.
UPDATE `Media` SET `DiskId` = 2
CREATE TABLE `Environment` (`Environment` CHAR(72) NOT NULL, `Name` CHAR(255) LOCALIZABLE, `Value` CHAR(255) LOCALIZABLE, `Component_` CHAR(72) NOT NULL PRIMARY KEY `Environment`)
INSERT INTO `Environment` (`Environment`, `Component_`) VALUES ('NoName', 'App')
CREATE TABLE `CustomTable` (`Key` CHAR(72) NOT NULL, `Data` CHAR(0) PRIMARY KEY `Key`)
INSERT INTO `CustomTable` (`Key`, `Data`) VALUES ('k', 'v')
CREATE TABLE `_Validation` (`Table` CHAR(32) NOT NULL, `Column` CHAR(32) NOT NULL, `Nullable` CHAR(4) NOT NULL, `MinValue` LONG, `MaxValue` LONG, `KeyTable` CHAR(255), `KeyColumn` SHORT, `Category` CHAR(32), `Set` CHAR(255), `Description` CHAR(255) PRIMARY KEY `Table`, `Column`)
INSERT INTO `_Validation` (`Table`, `Column`, `Nullable`, `Category`) VALUES ('Component', 'NoSuchColumn', 'Y', 'Text')
INSERT INTO `_Validation` (`Table`, `Column`, `Nullable`, `Category`) VALUES ('Feature', 'Description', 'Y', 'Bogus')
INSERT INTO `_Validation` (`Table`, `Column`, `Nullable`, `KeyTable`, `KeyColumn`, `Category`) VALUES ('Shortcut', 'Icon_', 'Y', 'Feature', 1, 'Identifier')
SQL
expect values Environment NoName
expect values _Validation NoSuchColumn

# --- sequences: ICE12 ICE13 ICE27 ICE63 ICE72 ICE75 ICE77 ICE82 ICE84 RMSI01
derive sequences <<'SQL'
INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('NoSuchAction', 1450)
UPDATE `InstallExecuteSequence` SET `Sequence` = 850 WHERE `Action` = 'InstallFiles'
INSERT INTO `CustomAction` (`Action`, `Type`, `Source`, `Target`) VALUES ('SetDir', 35, 'INSTALLDIR', '[ProgramFilesFolder]other')
INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('SetDir', 990)
CREATE TABLE `Dialog` (`Dialog` CHAR(72) NOT NULL, `HCentering` SHORT NOT NULL, `VCentering` SHORT NOT NULL, `Width` SHORT NOT NULL, `Height` SHORT NOT NULL, `Attributes` LONG, `Title` CHAR(128) LOCALIZABLE, `Control_First` CHAR(50) NOT NULL, `Control_Default` CHAR(50), `Control_Cancel` CHAR(50) PRIMARY KEY `Dialog`)
INSERT INTO `Dialog` (`Dialog`, `HCentering`, `VCentering`, `Width`, `Height`, `Attributes`, `Title`, `Control_First`) VALUES ('WelcomeDlg', 50, 50, 370, 270, 3, 'Welcome', 'Next')
INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('WelcomeDlg', 1410)
INSERT INTO `CustomAction` (`Action`, `Type`, `Source`, `Target`) VALUES ('DllCall', 1, 'NoBinary', 'Entry')
INSERT INTO `AdvtExecuteSequence` (`Action`, `Sequence`) VALUES ('DllCall', 1450)
INSERT INTO `CustomAction` (`Action`, `Type`, `Source`, `Target`) VALUES ('RunApp', 18, 'AppExe', '/quiet')
INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('RunApp', 950)
INSERT INTO `CustomAction` (`Action`, `Type`, `Source`, `Target`) VALUES ('Deferred', 1025, 'NoBinary', 'Entry')
INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('Deferred', 1450)
INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('ScheduleReboot', 6600)
UPDATE `InstallExecuteSequence` SET `Condition` = 'NOT Installed' WHERE `Action` = 'InstallValidate'
INSERT INTO `Property` (`Property`, `Value`) VALUES ('SH_EXE', '/bin/sh')
INSERT INTO `CustomAction` (`Action`, `Type`, `Source`, `Target`) VALUES ('JoinRm', 50, 'SH_EXE', 'register [MsiRestartManagerSessionKey]')
INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('JoinRm', 1420)
INSERT INTO `CustomAction` (`Action`, `Type`, `Source`, `Target`) VALUES ('JoinRmEarly', 50, 'SH_EXE', 'register [MsiRestartManagerSessionKey]')
INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('JoinRmEarly', 1300)
INSERT INTO `CustomAction` (`Action`, `Type`, `Source`, `Target`) VALUES ('SetDeferredData', 51, 'Deferred', '[MsiRestartManagerSessionKey]')
INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('SetDeferredData', 1310)
# ICE63: ProcessComponents (1600) between InstallInitialize and RemoveExistingProducts.
INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('RemoveExistingProducts', 1700)
SQL
expect sequences CustomAction JoinRm

# --- properties: ICE05 ICE16 ICE24 ICE36 ICE40 ICE46 ICE48 ICE52 ICE61 ICE79 ICE80 ICE86 ICE87 ICE99 RMSI02
derive properties <<'SQL'
DELETE FROM `Property` WHERE `Property` = 'Manufacturer'
UPDATE `Property` SET `Value` = 'rmsi validate clean, a product name that is far too long for Add/Remove' WHERE `Property` = 'ProductName'
UPDATE `Property` SET `Value` = '256.0.0' WHERE `Property` = 'ProductVersion'
UPDATE `Property` SET `Value` = '1031' WHERE `Property` = 'ProductLanguage'
INSERT INTO `Property` (`Property`, `Value`) VALUES ('Reinstallmode', 'omus')
UPDATE `Component` SET `Condition` = 'NOT installed OR $Ghost = 3' WHERE `Component` = 'Menu'
INSERT INTO `Upgrade` (`UpgradeCode`, `VersionMin`, `VersionMax`, `Attributes`, `ActionProperty`) VALUES ('{6B1D2C3E-4F50-4A61-8B72-9C8DAEBF0A10}', '1.0.0', '256.0.0', 512, 'lowerfound')
INSERT INTO `Upgrade` (`UpgradeCode`, `VersionMin`, `VersionMax`, `Attributes`, `ActionProperty`) VALUES ('{6B1D2C3E-4F50-4A61-8B72-9C8DAEBF0A10}', '2.0.0', '1.0.0', 256, 'OLDFOUND')
UPDATE `Component` SET `Attributes` = 256 WHERE `Component` = 'App'
INSERT INTO `Directory` (`Directory`, `Directory_Parent`, `DefaultDir`) VALUES ('CustomActionData', 'TARGETDIR', 'cad')
INSERT INTO `Property` (`Property`, `Value`) VALUES ('MSIRESTARTMANAGERCONTROL', 'Disabled')
INSERT INTO `CustomAction` (`Action`, `Type`, `Source`, `Target`) VALUES ('ForceShutdown', 51, 'MSIRMSHUTDOWN', '3')
# ICE40, ICE48, ICE87: properties that do not belong in the Property table.
INSERT INTO `Property` (`Property`, `Value`) VALUES ('REINSTALLMODE', 'amus')
INSERT INTO `Property` (`Property`, `Value`) VALUES ('INSTALLDIR', 'C:\Program Files\rmsi-validate')
INSERT INTO `Property` (`Property`, `Value`) VALUES ('ADDLOCAL', 'ALL')
# ICE36: the icon ARPPRODUCTICON named is used by nothing else.
DELETE FROM `Property` WHERE `Property` = 'ARPPRODUCTICON'
# ICE52: AppSearch sets a private property.
INSERT INTO `Signature` (`Signature`, `FileName`) VALUES ('AppSig', 'app.exe')
INSERT INTO `AppSearch` (`Property`, `Signature_`) VALUES ('foundApp', 'AppSig')
# ICE86: a condition tests AdminUser.
UPDATE `InstallExecuteSequence` SET `Condition` = 'AdminUser' WHERE `Action` = 'RegisterUser'
SQL
expect properties Property Reinstallmode

# --- UI: ICE17 ICE34 ICE44 ICE50, broken (ui-broken.msi) and fixed (ui-fixed.msi)
ui_tables() {
    cat <<'SQL'
CREATE TABLE `Dialog` (`Dialog` CHAR(72) NOT NULL, `HCentering` SHORT NOT NULL, `VCentering` SHORT NOT NULL, `Width` SHORT NOT NULL, `Height` SHORT NOT NULL, `Attributes` LONG, `Title` CHAR(128) LOCALIZABLE, `Control_First` CHAR(50) NOT NULL, `Control_Default` CHAR(50), `Control_Cancel` CHAR(50) PRIMARY KEY `Dialog`)
CREATE TABLE `Control` (`Dialog_` CHAR(72) NOT NULL, `Control` CHAR(50) NOT NULL, `Type` CHAR(20) NOT NULL, `X` SHORT NOT NULL, `Y` SHORT NOT NULL, `Width` SHORT NOT NULL, `Height` SHORT NOT NULL, `Attributes` LONG, `Property` CHAR(72), `Text` CHAR(0) LOCALIZABLE, `Control_Next` CHAR(50), `Help` CHAR(50) LOCALIZABLE PRIMARY KEY `Dialog_`, `Control`)
CREATE TABLE `ControlEvent` (`Dialog_` CHAR(72) NOT NULL, `Control_` CHAR(50) NOT NULL, `Event` CHAR(50) NOT NULL, `Argument` CHAR(255) NOT NULL, `Condition` CHAR(255), `Ordering` SHORT PRIMARY KEY `Dialog_`, `Control_`, `Event`, `Argument`, `Condition`)
CREATE TABLE `RadioButton` (`Property` CHAR(72) NOT NULL, `Order` SHORT NOT NULL, `Value` CHAR(64) NOT NULL, `X` SHORT NOT NULL, `Y` SHORT NOT NULL, `Width` SHORT NOT NULL, `Height` SHORT NOT NULL, `Text` CHAR(0) LOCALIZABLE, `Help` CHAR(50) LOCALIZABLE PRIMARY KEY `Property`, `Order`)
INSERT INTO `Dialog` (`Dialog`, `HCentering`, `VCentering`, `Width`, `Height`, `Attributes`, `Title`, `Control_First`) VALUES ('Dlg', 50, 50, 370, 270, 3, 'Setup', 'Next')
INSERT INTO `InstallUISequence` (`Action`, `Sequence`) VALUES ('Dlg', 1100)
INSERT INTO `Control` (`Dialog_`, `Control`, `Type`, `X`, `Y`, `Width`, `Height`, `Attributes`, `Text`, `Control_Next`) VALUES ('Dlg', 'Next', 'PushButton', 236, 243, 56, 17, 3, 'Next', 'Choice')
INSERT INTO `Control` (`Dialog_`, `Control`, `Type`, `X`, `Y`, `Width`, `Height`, `Attributes`, `Property`, `Control_Next`) VALUES ('Dlg', 'Choice', 'RadioButtonGroup', 20, 60, 330, 40, 3, 'CHOICE', 'Next')
INSERT INTO `Control` (`Dialog_`, `Control`, `Type`, `X`, `Y`, `Width`, `Height`, `Attributes`, `Text`) VALUES ('Dlg', 'Banner', 'Bitmap', 0, 0, 370, 44, 1, 'BannerBmp')
INSERT INTO `Control` (`Dialog_`, `Control`, `Type`, `X`, `Y`, `Width`, `Height`, `Attributes`, `Text`) VALUES ('Dlg', 'Back', 'PushButton', 180, 243, 56, 17, 3, 'Back')
INSERT INTO `Shortcut` (`Shortcut`, `Directory_`, `Name`, `Component_`, `Target`, `Icon_`) VALUES ('AdvShortcut', 'INSTALLDIR', 'Adv', 'App', 'Main', 'app.exe')
SQL
}
{ ui_tables; cat <<'SQL'
INSERT INTO `ControlEvent` (`Dialog_`, `Control_`, `Event`, `Argument`, `Condition`, `Ordering`) VALUES ('Dlg', 'Next', 'EndDialog', 'Return', '1', 1)
INSERT INTO `RadioButton` (`Property`, `Order`, `Value`, `X`, `Y`, `Width`, `Height`, `Text`) VALUES ('CHOICE', 1, 'yes', 0, 0, 100, 15, 'Yes')
INSERT INTO `RadioButton` (`Property`, `Order`, `Value`, `X`, `Y`, `Width`, `Height`, `Text`) VALUES ('CHOICE', 2, 'no', 0, 20, 100, 15, 'No')
INSERT INTO `Property` (`Property`, `Value`) VALUES ('CHOICE', 'yes')
INSERT INTO `ControlEvent` (`Dialog_`, `Control_`, `Event`, `Argument`, `Condition`, `Ordering`) VALUES ('Dlg', 'Back', 'NewDialog', 'Dlg', '1', 1)
SQL
} | derive ui-fixed
{ ui_tables; cat <<'SQL'
INSERT INTO `Property` (`Property`, `Value`) VALUES ('CHOICE', 'maybe')
UPDATE `Control` SET `Text` = 'NoSuchBitmap' WHERE `Control` = 'Banner'
UPDATE `Shortcut` SET `Icon_` = 'app.bat' WHERE `Shortcut` = 'AdvShortcut'
INSERT INTO `ControlEvent` (`Dialog_`, `Control_`, `Event`, `Argument`, `Condition`, `Ordering`) VALUES ('Dlg', 'Back', 'NewDialog', 'NoSuchDlg', '1', 1)
SQL
} | derive ui-broken
expect ui-fixed RadioButton CHOICE
expect ui-broken Property maybe

echo "build.sh: done"
