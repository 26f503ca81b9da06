//! The 81 real packages of the shared corpus (`../shared/corpus/`, read in place, never
//! copied into the repository): each either installs or fails cleanly with the right
//! code and nothing left behind.
//!
//! Every case runs `rmsi install PKG --root TMP --ui none --log LOG`, in both layouts, and
//! checks the exit status (the Windows code modulo 256; the full code on stderr and in
//! the log). A failed install must leave the root empty — no files, no folders — and
//! write nothing outside it. A successful one writes only under the root, and its payload
//! is compared with what `msiextract` (Debian's msitools) gets out of the same package, by
//! file name and content (the two resolve folders differently).
//!
//! The expectations come from inspecting each package with `msiinfo` (tables, streams,
//! the Media table: embedded `#` cabinets, external cabinets beside the package or not,
//! uncompressed sources — none of which were checked in beside the WiX test packages —,
//! custom actions and their conditions, launch conditions, feature levels and component
//! conditions); the one-line reason of each row says what decides it.

use std::fs;
use std::path::PathBuf;
use std::process::Stdio;

use test_support::e2e::{Ctx, Layout, assert_root_empty, corpus_dir, payload_files, tree};

/// Which payload files a successful install must produce, against msiextract's.
#[derive(Clone, Copy, Debug)]
enum Files {
    /// Exactly the files msiextract extracts (every feature and component is selected).
    All,
    /// This many of them (some features or components are not selected).
    Subset(usize),
    /// None (no File rows selected; empty folders from CreateFolders are fine).
    None,
}

/// The package file of a corpus entry (each directory holds one .msi).
fn corpus_package(id: &str) -> PathBuf {
    let dir = corpus_dir().join(id);
    let mut found: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus entry {id} missing ({}): {e}", dir.display()))
        .map(|e| e.expect("read a corpus entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "msi"))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{id}: expected one .msi in {}",
        dir.display()
    );
    found.remove(0)
}

/// (file name, content) pairs, sorted: the comparison key between an installed tree and
/// msiextract's, which resolve folders differently.
fn by_name_and_content(
    files: std::collections::BTreeMap<String, Vec<u8>>,
) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|(path, bytes)| {
            let name = path.rsplit('/').next().unwrap_or(&path).to_string();
            (name, bytes)
        })
        .collect();
    out.sort();
    out
}

/// The ends of the paths of what CreateShortcuts makes beside the payload msiextract
/// extracts: each Shortcut row's `/<Name>.lnk` and `/<Name>.desktop`, and each Icon row's
/// file in the product's icon folder (`/{ProductCode}/<Name>`).
fn shell_files(pkg: &std::path::Path) -> Vec<String> {
    let export = |table: &str| -> Vec<Vec<String>> {
        let out = std::process::Command::new("msiinfo")
            .arg("export")
            .arg(pkg)
            .arg(table)
            .output()
            .expect("run msiinfo (Debian's msitools)");
        // An absent table: msiinfo fails; no rows.
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .skip(3)
            .map(|l| l.split('\t').map(String::from).collect())
            .collect()
    };
    let mut out = Vec::new();
    for row in export("Shortcut") {
        if let Some(name) = row.get(2) {
            let long = name.rsplit('|').next().unwrap_or(name);
            out.push(format!("/{long}.lnk"));
            out.push(format!("/{long}.desktop"));
        }
    }
    let code = export("Property")
        .into_iter()
        .find(|r| r.first().map(String::as_str) == Some("ProductCode"))
        .and_then(|r| r.get(1).cloned());
    if let Some(code) = code {
        for row in export("Icon") {
            if let Some(name) = row.first() {
                out.push(format!("/{code}/{name}"));
            }
        }
    }
    out
}

fn check(id: &str, props: &[&str], code: u32, files: Files) {
    for layout in [Layout::Fhs, Layout::Windows] {
        check_in(id, props, code, files, layout);
    }
}

fn check_in(id: &str, props: &[&str], code: u32, files: Files, layout: Layout) {
    let pkg = corpus_package(id);
    let ctx = Ctx::new();
    let run = ctx.install(&pkg, layout, props);
    run.assert_code_logged(code);
    assert!(
        ctx.outside_root().is_empty(),
        "{id}: wrote outside the root: {:?}",
        ctx.outside_root()
    );
    let success = matches!(code, 0 | 3010);
    if !success {
        if code != 1604 {
            assert_root_empty(&ctx.root, &run);
        }
        return;
    }
    let made = shell_files(&pkg);
    let installed = by_name_and_content(
        payload_files(&ctx.root, layout)
            .into_iter()
            .filter(|(path, _)| !made.iter().any(|m| path.ends_with(m.as_str())))
            .collect(),
    );
    if let Files::None = files {
        assert!(
            installed.is_empty(),
            "{id}: installed {:?}\n{}",
            tree(&ctx.root),
            run.describe()
        );
        return;
    }
    let extracted_dir = ctx.path("msiextract");
    fs::create_dir(&extracted_dir).expect("mkdir msiextract");
    // msiextract's exit status is not trusted alone: it fails on a damaged cabinet, which
    // only the failing cases have.
    let status = std::process::Command::new("msiextract")
        .arg("-C")
        .arg(&extracted_dir)
        .arg(&pkg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run msiextract (Debian's msitools)");
    assert!(status.success(), "{id}: msiextract failed");
    let extracted = by_name_and_content(payload_files(&extracted_dir, Layout::Fhs));
    match files {
        Files::All => assert!(
            installed == extracted,
            "{id}: installed files differ from msiextract's\ninstalled: {:?}\nextracted: {:?}\n{}",
            installed
                .iter()
                .map(|(n, b)| (n, b.len()))
                .collect::<Vec<_>>(),
            extracted
                .iter()
                .map(|(n, b)| (n, b.len()))
                .collect::<Vec<_>>(),
            run.describe()
        ),
        Files::Subset(count) => {
            assert_eq!(
                installed.len(),
                count,
                "{id}: installed files\n{}",
                run.describe()
            );
            let mut pool = extracted.clone();
            for file in &installed {
                let at = pool
                    .iter()
                    .position(|e| e == file)
                    .unwrap_or_else(|| panic!("{id}: installed {} is not in the package", file.0));
                pool.remove(at);
            }
        }
        Files::None => unreachable!("handled above"),
    }
}

/// One test per corpus package: `name: "id" [props] => code, files, "reason";`.
macro_rules! corpus {
    ($($(#[$attr:meta])* $name:ident: $id:literal $([$($prop:literal),*])? => $code:literal, $files:expr, $why:literal;)*) => {
        $(
            #[test]
            $(#[$attr])*
            #[doc = $why]
            fn $name() {
                check($id, &[$($($prop),*)?], $code, {
                    use Files::*;
                    $files
                });
            }
        )*
        /// Every corpus id named above, to check the table covers the whole corpus.
        const IDS: &[&str] = &[$($id),*];
    };
}

corpus! {
    // --- not a valid package ---
    wix3_multiple_fragments: "wix3-MultipleFragments" => 1620, None,
        "not a valid compound file (15,363 bytes, no whole sector; msiinfo cannot open it)";

    // --- embedded or external cabinets, all payload present: install ---
    lessmsi_msi_with_external_cab: "lessmsi-msi-with-external-cab" => 0, All,
        "one file in the external msi_with_external_cab.cab, which sits beside the package";
    lessmsi_nunit_2_5_2: "lessmsi-nunit-2.5.2" => 0, Subset(219),
        "embedded nunit.cab; features at level 10 and one at level 0 (enabled only when AppSearch finds .NET 2.0 or Mono) stay off: the 219 files of the 44 unconditioned components of TopLevelFeature, Net_2.0_GuiRunner, DocumentationFeature and SamplesFeature";
    lessmsi_putty_0_68: "lessmsi-putty-0.68" => 0, All,
        "embedded putty.cab; the 10 files are in FilesFeature (level 1); the launch condition holds as its registry searches find nothing";
    osslsigncode_unsigned: "osslsigncode-unsigned" => 0, All,
        "embedded Sample.cab holding a zero-length file whose folder declares a data block it does not use";
    pymsi_example: "pymsi-example" => 0, All,
        "embedded Sample.cab, one file";
    relic_dummy: "relic-dummy" => 0, All,
        "embedded product.cab (the dummy.cab beside it is not named by the Media table)";
    wix_decompile_null_component_example: "wix-DecompileNullComponent-example" => 0, All,
        "external example.cab present beside the package; ALLUSERS=2";
    wix_decompile_single_file_compressed_example: "wix-DecompileSingleFileCompressed-example" => 0, All,
        "external example.cab present beside the package";
    wix_decompile_single_file_compressed64_example: "wix-DecompileSingleFileCompressed64-example" => 0, All,
        "external example.cab present beside the package; 64-bit package";
    wix_wix_std_ba_test: "wix-WixStdBa-test" => 0, All,
        "embedded cab1.cab, one file";
    wix3_hello_world_hello_world: "wix3-Hello-World-hello-world" => 0, All,
        "embedded HelloWorld_Readme.cab, one file";
    wix3_per_machine_msis_msps_prod_av100: "wix3-PerMachineMsisMsps-prodAv100" => 0, All,
        "embedded product.cab, one file";
    wix3_per_machine_msis_msps_prod_av101: "wix3-PerMachineMsisMsps-prodAv101" => 0, All,
        "embedded product.cab, one file";
    wix3_per_machine_msis_msps_prod_bv100: "wix3-PerMachineMsisMsps-prodBv100" => 0, All,
        "embedded product.cab, one file";
    wix3_per_machine_msis_msps_prod_bv101: "wix3-PerMachineMsisMsps-prodBv101" => 0, All,
        "embedded product.cab, one file";
    wix3_per_user_msi_hello_world_non_admin: "wix3-PerUserMsi-hello-world-non-admin" => 0, All,
        "embedded cabinet; launch condition NOT ALLUSERS holds (ALLUSERS is not authored: a per-user install)";
    wix3_rtm_product_product: "wix3-RtmProduct-product" => 0, All,
        "embedded product.cab, one file";
    wix3_basicproduct: "wix3-basicproduct" => 0, All,
        "embedded media1.cab, one file";

    // --- nothing to install: succeed ---
    jsign_minimal: "jsign-minimal" => 0, None,
        "no Feature, Component, File, Directory or Media table: installs nothing";
    jsign_minimal_signed: "jsign-minimal-signed" => 0, None,
        "the same minimal package, signed: installs nothing";
    wix_bundle_with_componentless_package_test: "wix-BundleWithComponentlessPackage-test" => 0, None,
        "a feature without components or files";
    wix_package_summary_information_typical_v3: "wix-PackageSummaryInformation-TypicalV3" => 0, None,
        "no files, no Media rows";
    wix_decompile_lock_permissions: "wix-Decompile-LockPermissions" => 0, None,
        "its only file's component is conditioned on INSTALLCOOLFONTS, unset; the other component only creates a folder";
    wix_decompile_msi_lock_permissions_ex: "wix-Decompile-MsiLockPermissionsEx" => 0, None,
        "its only file's component is conditioned on INSTALLCOOLFONTS, unset; the other component only creates a folder";
    wix3_change_environment: "wix3-ChangeEnvironment" => 0, None,
        "no files; Environment rows are Windows-only (skipped)";
    wix3_create_environment: "wix3-CreateEnvironment" => 0, None,
        "no files; Environment rows are Windows-only (skipped)";
    wix3_remove_environment: "wix3-RemoveEnvironment" => 0, None,
        "no files; Environment rows are Windows-only (skipped)";
    wix3_create_folder_in_floating_component: "wix3-CreateFolderInFloatingComponent" => 0, None,
        "no files; CreateFolders makes an empty folder";
    wix3_create_folder_permission_ex: "wix3-CreateFolderPermissionEx" => 0, None,
        "no files; CreateFolders makes an empty folder (permissions are Windows-only)";
    wix3_create_folder_shortcut: "wix3-CreateFolderShortcut" => 0, None,
        "no files; a folder and a shortcut (shortcuts are Windows-only)";
    wix3_create_folder_with_multiple_permissions: "wix3-CreateFolderWithMultiplePermissions" => 0, None,
        "no files; CreateFolders makes an empty folder";
    wix3_create_folder_with_permissions: "wix3-CreateFolderWithPermissions" => 0, None,
        "no files; CreateFolders makes an empty folder";
    wix3_simple_create_folder: "wix3-SimpleCreateFolder" => 0, None,
        "no files; CreateFolders makes an empty folder";
    wix3_simple_remove_folder: "wix3-SimpleRemoveFolder" => 0, None,
        "no files; a RemoveFile row for a folder";
    wix3_non_default_product: "wix3-NonDefaultProduct" => 0, None,
        "no features, no files";
    wix3_registry_permission_ex: "wix3-RegistryPermissionEx" => 0, None,
        "registry only (Windows-only: skipped)";
    wix3_simple_registry: "wix3-SimpleRegistry" => 0, None,
        "registry only (Windows-only: skipped)";
    wix3_simple_binary: "wix3-SimpleBinary" => 0, None,
        "a Binary row no action uses; no features";
    wix3_simple_custom_action: "wix3-SimpleCustomAction" => 0, None,
        "a CustomAction row that no sequence schedules; no features";
    wix3_simple_custom_table: "wix3-SimpleCustomTable" => 0, None,
        "only a custom table; no features";
    wix3_simple_package: "wix3-SimplePackage" => 0, None,
        "no features, no files";
    wix3_simple_product: "wix3-SimpleProduct" => 0, None,
        "no features, no files";
    wix3_simple_ui: "wix3-SimpleUI" => 0, None,
        "dialogs only; the UI sequence does not run at --ui none";
    wix3_win64_component: "wix3-Win64Component" => 0, None,
        "no files; a 64-bit component that creates a folder";

    // --- a custom action or standard action decides ---
    wix3_hello_reg_conditional_pass_hello_world: "wix3-Hello-Reg-conditionalPass-hello-world" => 1603, None,
        "type-19 FailMe runs: (NOT (REMOVE=\"ALL\")) AND (NOT (PASSME = \"1\")) is true";
    wix3_hello_reg_conditional_pass_hello_world_passme: "wix3-Hello-Reg-conditionalPass-hello-world" ["PASSME=1"] => 0, None,
        "PASSME=1 makes FailMe's condition false: installs (nothing but registry)";
    wix3_hello_reg_conditional_pass_hello_world2: "wix3-Hello-Reg-conditionalPass-hello-world2" => 0, None,
        "its sequence names FailMeXXX, no action at all, under a true condition: Windows logs note 2726 and goes on (the action returns 0)";
    wix3_hello_reg_conditional_pass_hello_world2_passme: "wix3-Hello-Reg-conditionalPass-hello-world2" ["PASSME=1"] => 0, None,
        "PASSME=1 makes FailMeXXX's condition false: installs (nothing but registry)";
    wix3_hello_reg_conditional_pass_hello_world3: "wix3-Hello-Reg-conditionalPass-hello-world3" => 1603, None,
        "type-19 FailMe runs: NOT (PASSME = \"1\") is true";
    wix3_hello_reg_conditional_pass_hello_world3_passme: "wix3-Hello-Reg-conditionalPass-hello-world3" ["PASSME=1"] => 0, None,
        "PASSME=1 makes FailMe's condition false";
    wix_decompile_wix4_firewall_firewall4: "wix-DecompileWix4Firewall-Firewall4" => 1603, None,
        "type-1 DLL custom actions (Wix4FWCA_X86) conditioned VersionNT >= 600, true for Windows 7 (601): a DLL cannot run here";
    wix3_simple_sequencing: "wix3-SimpleSequencing" => 1603, None,
        "deferred type-2 custom action (1026) whose Binary is a Windows PE executable (MZ): it cannot run here";
    wix3_all_standard_actions: "wix3-AllStandardActions" => 1604, None,
        "unconditioned ForceReboot (4002) ends the install with ERROR_INSTALL_SUSPEND (\"ForceReboot action\")";

    // --- external cabinet missing or damaged: fail cleanly ---
    wix_decompile_ui: "wix-Decompile-ui" => 1603, None,
        "the external cabinet cab1.cab is not beside the package";
    wix3_compressed_package: "wix3-CompressedPackage" => 1603, None,
        "the external cabinet product.cab is not beside the package";
    wix3_he_il_he_il: "wix3-he-il-he-il" => 1603, None,
        "the external cabinet test.cab is not beside the package";
    wix3_per_user_msi_ext_cab: "wix3-PerUserMsiExtCab-HelloWorldNonAdmin-Readme-External" => 1603, None,
        "the external cabinet beside it has a CFDATA block with a wrong checksum (msiextract: incorrect checksum detected)";

    // --- uncompressed packages whose payload was never checked in: fail cleanly ---
    wix_app_search_nested_dir_search_under_reg_search: "wix-AppSearch-NestedDirSearchUnderRegSearch" => 1603, None,
        "uncompressed (Word Count 0), source test.txt missing";
    wix_bundle_with_searches_test: "wix-BundleWithSearches-test" => 1603, None,
        "uncompressed, its 2 source files missing";
    wix_class_old_class_table_def: "wix-Class-OldClassTableDef" => 1603, None,
        "uncompressed, source file missing";
    wix_sequence_tables_sequence_tables: "wix-SequenceTables-SequenceTables" => 1603, None,
        "uncompressed, source file missing (its type-51 action is harmless)";
    wix_shortcut_shortcuts: "wix-Shortcut-shortcuts" => 1603, None,
        "uncompressed, source file missing";
    wix3_assembly_target40_client: "wix3-AssemblyTarget40Client" => 1603, None,
        "uncompressed, source file missing";
    wix3_component_refs_and_groups: "wix3-ComponentRefsAndGroups" => 1603, None,
        "uncompressed, source file missing";
    wix3_component_symbol_path: "wix3-ComponentSymbolPath" => 1603, None,
        "uncompressed, source file missing";
    wix3_file_permission_ex: "wix3-FilePermissionEx" => 1603, None,
        "uncompressed, its 3 source files missing";
    wix3_permission_ex_twice_on_one_file: "wix3-PermissionExTwiceOnOneFile" => 1603, None,
        "uncompressed, source file missing";
    wix3_scenario02: "wix3-Scenario02" => 1603, None,
        "uncompressed, its 4 source files missing (plus a type-66 Windows executable action)";
    wix3_simple_base_path: "wix3-SimpleBasePath" => 1603, None,
        "uncompressed, source file missing";
    wix3_simple_bind_files: "wix3-SimpleBindFiles" => 1603, None,
        "uncompressed, source file missing";
    wix3_simple_component: "wix3-SimpleComponent" => 1603, None,
        "uncompressed, source file missing";
    wix3_simple_feature: "wix3-SimpleFeature" => 1603, None,
        "uncompressed, source file missing (a non-vital file: corpus README and issue 6 say 1603)";
    wix3_simple_file: "wix3-SimpleFile" => 1603, None,
        "uncompressed, source Assembly1.dll missing";
    wix3_simple_instance_transform: "wix3-SimpleInstanceTransform" => 1603, None,
        "uncompressed, source file missing";
    wix3_simple_instance_transform_expected1: "wix3-SimpleInstanceTransform-expected1" => 1603, None,
        "uncompressed, source file missing";
    wix3_simple_instance_transform_expected2: "wix3-SimpleInstanceTransform-expected2" => 1603, None,
        "uncompressed, source file missing";
    wix3_simple_instance_transform_expected3: "wix3-SimpleInstanceTransform-expected3" => 1603, None,
        "uncompressed, source file missing";
    wix3_simple_media: "wix3-SimpleMedia" => 1603, None,
        "uncompressed over three Media rows, both source files missing";
    wix3_simple_shortcut: "wix3-SimpleShortcut" => 1603, None,
        "uncompressed, source file missing (a non-vital file: corpus README and issue 6 say 1603)";
    wix3_simple_shortcut_property: "wix3-SimpleShortcutProperty" => 1603, None,
        "uncompressed, source file missing";
    wix3_single_wixlib: "wix3-SingleWixlib" => 1603, None,
        "uncompressed, source file missing (a non-vital file: corpus README and issue 6 say 1603)";
    wix3_namedbindpath: "wix3-namedbindpath" => 1603, None,
        "uncompressed, source file missing";
    wix3_simplebindpath: "wix3-simplebindpath" => 1603, None,
        "uncompressed, source file missing";
}

/// The table names every package of the corpus, and nothing that is not there. (Folders
/// without a package, such as the WiX patches, are the patch tests' to use.)
#[test]
fn expectations_cover_the_whole_corpus() {
    let dir = corpus_dir();
    let holds_package = |dir: &std::path::Path| {
        fs::read_dir(dir).expect("read a corpus folder").any(|e| {
            e.expect("entry")
                .path()
                .extension()
                .is_some_and(|x| x == "msi")
        })
    };
    let mut on_disk: Vec<String> = fs::read_dir(&dir)
        .expect("read the corpus")
        .map(|e| e.expect("read a corpus entry"))
        .filter(|e| e.path().is_dir() && holds_package(&e.path()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut named: Vec<String> = IDS.iter().map(|s| s.to_string()).collect();
    named.sort();
    named.dedup();
    assert_eq!(named, on_disk);
    assert_eq!(on_disk.len(), 81);
}

/// The account name of the effective uid (the owner of a file this process creates),
/// from /etc/passwd: the `<user>` of the windows layout's `Users/<user>`. None when the
/// uid has no entry there (an anonymous container user).
fn user_name(ctx: &Ctx) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = fs::metadata(&ctx.root).expect("stat the root").uid();
    fs::read_to_string("/etc/passwd")
        .ok()?
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2] == uid.to_string()).then(|| f[0].to_string())
        })
}

/// The windows layout puts real packages where a 64-bit Windows 7 does, so that the tree
/// compares with a Wine prefix's drive_c: 32-bit packages under `Program Files (x86)`,
/// 64-bit ones under `Program Files`, per-user data under `Users/<user>/AppData`.
#[test]
fn windows_layout_places_corpus_packages_as_windows_7_x64_does() {
    let putty: Vec<String> = [
        "LICENCE",
        "README.txt",
        "pageant.exe",
        "plink.exe",
        "pscp.exe",
        "psftp.exe",
        "putty.chm",
        "putty.exe",
        "puttygen.exe",
        "website.url",
    ]
    .iter()
    .map(|f| format!("Program Files (x86)/PuTTY/{f}"))
    // Its Start-menu shortcuts (per-machine: the package sets ALLUSERS=1).
    .chain(
        [
            "PSFTP",
            "Pageant",
            "PuTTY Manual",
            "PuTTY Web Site",
            "PuTTY",
            "PuTTYgen",
        ]
        .iter()
        .map(|n| format!("ProgramData/Microsoft/Windows/Start Menu/Programs/PuTTY/{n}.lnk")),
    )
    // Its ARPPRODUCTICON, placed by PublishProduct where the installer keeps its icons.
    .chain(std::iter::once(
        "Windows/Installer/{55717628-7AE6-4BCF-A046-FA2768945E76}/installericon.exe".to_string(),
    ))
    .collect();
    let mut cases: Vec<(&str, Vec<String>)> = vec![
        ("lessmsi-putty-0.68", putty),
        (
            "wix-DecompileSingleFileCompressed64-example",
            vec!["Program Files/MsiPackage/test.txt".into()],
        ),
        (
            "wix-DecompileSingleFileCompressed-example",
            vec!["Program Files (x86)/MsiPackage/test.txt".into()],
        ),
        (
            "osslsigncode-unsigned",
            vec!["Program Files (x86)/Acme/Foobar 1.0/FoobarAppl10.exe".into()],
        ),
        // CreateFolders: an empty folder is the whole payload.
        (
            "wix3-SimpleCreateFolder",
            vec!["Program Files (x86)/WixTestFolder/".into()],
        ),
        (
            "wix3-Win64Component",
            vec!["Program Files/WixTestFolder/".into()],
        ),
    ];
    if let Some(user) = user_name(&Ctx::new()) {
        cases.push((
            "wix3-PerUserMsi-hello-world-non-admin",
            vec![format!(
                "Users/{user}/AppData/Local/HelloWorldNonAdmin_Readme/Readme.txt"
            )],
        ));
    }
    for (id, want) in cases {
        let ctx = Ctx::new();
        let run = ctx.install(&corpus_package(id), Layout::Windows, &[]);
        run.assert_code(0);
        let state = Layout::Windows.state_dir();
        // The engine's own records, and the folders leading to them, are not the package's.
        let ours = |p: &String| {
            let p = p.trim_end_matches('/');
            p == state || p.starts_with(&format!("{state}/")) || state.starts_with(&format!("{p}/"))
        };
        let got: Vec<String> = tree(&ctx.root).into_iter().filter(|p| !ours(p)).collect();
        // The wanted entries and every folder leading to them, nothing else.
        let mut expected: Vec<String> = Vec::new();
        for w in &want {
            let mut prefix = String::new();
            let parts: Vec<&str> = w.trim_end_matches('/').split('/').collect();
            for (i, part) in parts.iter().enumerate() {
                prefix.push_str(part);
                if i + 1 < parts.len() || w.ends_with('/') {
                    expected.push(format!("{prefix}/"));
                } else {
                    expected.push(prefix.clone());
                }
                prefix.push('/');
            }
        }
        expected.retain(|p| !ours(p));
        expected.sort();
        expected.dedup();
        assert_eq!(got, expected, "{id}\n{}", run.describe());
    }
}

/// An action in a sequence that is neither standard, custom nor a dialog: Windows Installer
/// logs note 2726 ("Action not found") and goes on, the action returning 0.
#[test]
fn an_action_that_does_not_exist_is_noted_2726_and_returns_0() {
    let ctx = Ctx::new();
    let pkg = corpus_package("wix3-Hello-Reg-conditionalPass-hello-world2");
    let run = ctx.install(&pkg, Layout::Windows, &[]);
    run.assert_code_logged(0);
    let note = run
        .log
        .lines()
        .position(|l| l.ends_with("]: Note: 1: 2726 2: FailMeXXX"))
        .unwrap_or_else(|| panic!("no 2726 note\n{}", run.describe()));
    let ended = run
        .log
        .lines()
        .skip(note)
        .find(|l| l.starts_with("Action ended"));
    assert!(
        ended.is_some_and(|l| l.ends_with(": FailMeXXX. Return value 0.")),
        "{ended:?}\n{}",
        run.describe()
    );
}

/// Between InstallInitialize and InstallFinalize, InstallFiles only writes the script: a
/// missing source is not its failure (it returns 1) but the script's, when InstallFinalize
/// runs it (return value 3, its error in the log), as Windows Installer reports it.
#[test]
fn a_missing_cabinet_fails_install_finalize_not_install_files() {
    let ctx = Ctx::new();
    let pkg = corpus_package("wix3-CompressedPackage");
    let run = ctx.install(&pkg, Layout::Windows, &[]);
    run.assert_code_logged(1603);
    let ended = |action: &str| {
        run.log
            .lines()
            .find(|l| l.starts_with("Action ended") && l.contains(&format!(": {action}. ")))
            .unwrap_or_else(|| panic!("{action} did not end\n{}", run.describe()))
            .to_string()
    };
    assert!(
        ended("InstallFiles").ends_with("Return value 1."),
        "{}",
        run.describe()
    );
    assert!(
        ended("InstallFinalize").ends_with("Return value 3."),
        "{}",
        run.describe()
    );
    assert_root_empty(&ctx.root, &run);
}

/// PuTTY's registry entries appear with the product and vanish with it: its file
/// association (root 0, per-machine: `HKLM\Software\Classes`, seen through HKCR), its
/// `SimonTatham\PuTTY` keys (the key paths of its components) in the 32-bit view, and the
/// Add/Remove Programs entry of an Intel package under `Wow6432Node`.
#[test]
fn putty_registry_entries_appear_and_vanish_with_the_product() {
    let pkg = corpus_package("lessmsi-putty-0.68");
    let ctx = Ctx::new();
    let run = ctx.install(&pkg, Layout::Windows, &[]);
    run.assert_code_logged(0);
    let query = |key: &str| ctx.reg_query_json(key);
    let (code, ppk) = query(r"HKCR\.ppk");
    assert_eq!(code, Some(0), "{}", run.describe());
    let ppk = ppk.expect("json");
    assert!(
        ppk["values"].as_array().expect("values").contains(
            &serde_json::json!({"name": null, "type": "REG_SZ", "data": "PPK_Assoc_ProgId"})
        ),
        "{ppk}"
    );
    let (_, command) = query(r"HKCR\PPK_Assoc_ProgId\shell\open\command");
    let command = command.expect("the open command");
    let data = command["values"][0]["data"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        data.starts_with('"') && data.ends_with(r#"pageant.exe" "%1""#),
        "{data}"
    );
    let (code, putty) = query(r"HKLM\Software\Wow6432Node\SimonTatham\PuTTY");
    assert_eq!(code, Some(0));
    // DesktopFeature (level 2) is off at INSTALLLEVEL 1: no DesktopEntry.
    assert_eq!(
        putty.expect("json")["subkeys"],
        serde_json::json!(["PathEntry", "PPKAssociation", "StartMenu"])
    );
    let arp = r"HKLM\Software\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{55717628-7AE6-4BCF-A046-FA2768945E76}";
    let (code, entry) = query(arp);
    assert_eq!(code, Some(0));
    let entry = entry.expect("json");
    let value = |name: &str| {
        entry["values"]
            .as_array()
            .expect("values")
            .iter()
            .find(|v| v["name"] == name)
            .map(|v| v["data"].clone())
    };
    assert_eq!(
        value("DisplayName"),
        Some(serde_json::json!("PuTTY release 0.68"))
    );
    assert_eq!(
        value("UninstallString"),
        Some(serde_json::json!(
            "MsiExec.exe /X{55717628-7AE6-4BCF-A046-FA2768945E76}"
        ))
    );
    assert_eq!(value("NoModify"), Some(serde_json::json!(1)));

    let run = ctx.uninstall(
        "{55717628-7AE6-4BCF-A046-FA2768945E76}",
        Layout::Windows,
        &[],
    );
    run.assert_code_logged(0);
    for key in [
        r"HKCR\.ppk",
        r"HKCR\PPK_Assoc_ProgId",
        r"HKLM\Software\Wow6432Node\SimonTatham",
        arp,
    ] {
        assert_eq!(query(key).0, Some(1), "{key} is still there");
    }
}
