//! The names Windows Installer keeps for its own properties, and the rule that no
//! directory takes one of them (ICE99).

use crate::context::Ctx;
use crate::finding::{Finding, Severity};

/// The properties Windows Installer defines ("Property Reference", every
/// section but "System Folder Properties", one line a section), and
/// CustomActionData, the example of "ICE99". SourceDir and TARGETDIR, the
/// "Component Location Properties" that name the root folder, are left out
/// with the folder properties: they are directories by design.
pub(crate) const RESERVED: &[&str] = &[
    "OriginalDatabase",
    "ParentOriginalDatabase",
    "ACTION",
    "ALLUSERS",
    "ARPAUTHORIZEDCDFPREFIX",
    "ARPCOMMENTS",
    "ARPCONTACT",
    "ARPINSTALLLOCATION",
    "ARPNOMODIFY",
    "ARPNOREMOVE",
    "ARPNOREPAIR",
    "ARPPRODUCTICON",
    "ARPREADME",
    "ARPSIZE",
    "ARPSYSTEMCOMPONENT",
    "ARPURLINFOABOUT",
    "ARPURLUPDATEINFO",
    "AVAILABLEFREEREG",
    "CCP_DRIVE",
    "DefaultUIFont",
    "DISABLEADVTSHORTCUTS",
    "DISABLEMEDIA",
    "DISABLEROLLBACK",
    "EXECUTEACTION",
    "EXECUTEMODE",
    "FASTOEM",
    "INSTALLLEVEL",
    "LIMITUI",
    "LOGACTION",
    "MEDIAPACKAGEPATH",
    "MSIARPSETTINGSIDENTIFIER",
    "MSIDISABLEEEUI",
    "MSIFASTINSTALL",
    "MSIINSTALLPERUSER",
    "MSINODISABLEMEDIA",
    "MSIENFORCEUPGRADECOMPONENTRULES",
    "MSIUNINSTALLSUPERSEDEDCOMPONENTS",
    "PRIMARYFOLDER",
    "Privileged",
    "PROMPTROLLBACKCOST",
    "REBOOT",
    "REBOOTPROMPT",
    "ROOTDRIVE",
    "SEQUENCE",
    "SHORTFILENAMES",
    "TRANSFORMS",
    "TRANSFORMSATSOURCE",
    "TRANSFORMSSECURE",
    "MsiLogFileLocation",
    "MsiLogging",
    "MSIUSEREALADMINDETECTION",
    "Date",
    "Time",
    "ADDDEFAULT",
    "ADDLOCAL",
    "ADDSOURCE",
    "ADVERTISE",
    "COMPADDDEFAULT",
    "COMPADDLOCAL",
    "COMPADDSOURCE",
    "FILEADDDEFAULT",
    "FILEADDLOCAL",
    "FILEADDSOURCE",
    "MSIDISABLELUAPATCHING",
    "MsiPatchRemovalList",
    "MSIRESTARTMANAGERCONTROL",
    "MSIDISABLERMRESTART",
    "MSIRMSHUTDOWN",
    "MSIPATCHREMOVE",
    "PATCH",
    "REINSTALL",
    "REINSTALLMODE",
    "REMOVE",
    "Alpha",
    "BorderSide",
    "BorderTop",
    "CaptionHeight",
    "ColorBits",
    "Intel",
    "Intel64",
    "Msix64",
    "PhysicalMemory",
    "ScreenX",
    "ScreenY",
    "TextHeight",
    "VirtualMemory",
    "AFTERREBOOT",
    "CostingComplete",
    "Installed",
    "MSICHECKCRCS",
    "MsiRestartManagerSessionKey",
    "MsiRunningElevated",
    "MsiSystemRebootPending",
    "MsiUIHideCancel",
    "MsiUIProgressOnly",
    "MsiUISourceResOnly",
    "NOCOMPANYNAME",
    "NOUSERNAME",
    "OutOfDiskSpace",
    "OutOfNoRbDiskSpace",
    "Preselected",
    "PrimaryVolumePath",
    "PrimaryVolumeSpaceAvailable",
    "PrimaryVolumeSpaceRemaining",
    "PrimaryVolumeSpaceRequired",
    "ProductLanguage",
    "ReplacedInUseFiles",
    "RESUME",
    "RollbackDisabled",
    "UILevel",
    "UpdateStarted",
    "UPGRADINGPRODUCTCODE",
    "VersionMsi",
    "AdminUser",
    "ComputerName",
    "MsiNetAssemblySupport",
    "MsiNTProductType",
    "MsiNTSuiteBackOffice",
    "MsiNTSuiteDataCenter",
    "MsiNTSuiteEnterprise",
    "MsiNTSuitePersonal",
    "MsiNTSuiteSmallBusiness",
    "MsiNTSuiteSmallBusinessRestricted",
    "MsiNTSuiteWebServer",
    "MsiTabletPC",
    "MsiWin32AssemblySupport",
    "OLEAdvtSupport",
    "RedirectedDllSupport",
    "RemoteAdminTS",
    "ServicePackLevel",
    "ServicePackLevelMinor",
    "SharedWindows",
    "ShellAdvtSupport",
    "SystemLanguageID",
    "TerminalServer",
    "TTCSupport",
    "Version9X",
    "VersionDatabase",
    "VersionNT",
    "VersionNT64",
    "WindowsBuild",
    "ARPHELPLINK",
    "ARPHELPTELEPHONE",
    "DiskPrompt",
    "IsAdminPackage",
    "LeftUnit",
    "Manufacturer",
    "MediaSourceDir",
    "MSIINSTANCEGUID",
    "MSINEWINSTANCE",
    "ParentProductCode",
    "PIDTemplate",
    "ProductCode",
    "ProductName",
    "ProductState",
    "ProductVersion",
    "UpgradeCode",
    "PATCHNEWPACKAGECODE",
    "PATCHNEWSUMMARYCOMMENTS",
    "PATCHNEWSUMMARYSUBJECT",
    "AdminProperties",
    "COMPANYNAME",
    "LogonUser",
    "MsiHiddenProperties",
    "PIDKEY",
    "ProductID",
    "UserLanguageID",
    "USERNAME",
    "UserSID",
    "CustomActionData",
];

/// ICE99: no directory is named after a property Windows Installer
/// reserves (the folder properties aside).
pub(crate) fn ice99(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for d in ctx.rows("Directory") {
        let Some(name) = d.str("Directory") else {
            continue;
        };
        if RESERVED.contains(&name) {
            out.push(
                Finding::new(
                    "ICE99",
                    Severity::Error,
                    format!(
                        "The directory name: {name} is the same as one of the MSI Public Properties and can cause unforeseen side effects."
                    ),
                )
                .row("Directory", d.key())
                .column("Directory"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_properties_are_not_reserved_names() {
        for folder in [
            "TARGETDIR",
            "SourceDir",
            "ProgramFilesFolder",
            "AppDataFolder",
            "WindowsVolume",
        ] {
            assert!(!RESERVED.contains(&folder), "{folder}");
        }
        assert!(RESERVED.contains(&"CustomActionData"));
        assert!(RESERVED.contains(&"WindowsBuild"));
    }
}
