//! Administrative installs: `msiexec /a PKG.msi TARGETDIR=DIR` ("Administrative
//! Installation", "AdminExecuteSequence table", "InstallAdminPackage action",
//! "SHORTFILENAMES property", "AdminProperties property").
//!
//! An administrative install lays the package out as an uncompressed source image under
//! `TARGETDIR`: every file of the File table at its *source* path (the Directory table's
//! source names under the root row, `SourceDir`; long names, or short ones when
//! `SHORTFILENAMES` is set), extracted from the package's cabinets or copied from its
//! uncompressed source, and a copy of the package marked as an administrative image
//! ([`package::Package::admin_image_bytes`]) under the package's own file name. Installing
//! from that copy finds each file where the image put it.
//!
//! [`admin_install`] runs the AdminExecuteSequence (`ACTION=ADMIN`) action by action, each
//! row's condition evaluated: the costing actions lay out the image, InstallFiles
//! extracts the files into a private staging folder inside `TARGETDIR`,
//! InstallAdminPackage writes the package copy there too, and InstallFinalize moves
//! everything into place; a failure removes the staging folder, leaving `TARGETDIR` as
//! it was. Property-setting custom actions (type 51) run; other custom actions and
//! actions of no meaning here are logged and skipped. Nothing is written outside
//! `TARGETDIR` (the log aside): no product registry, no root lock.
//!
//! [`image_files`] and [`extract_image`] are the layout and the extraction alone (what
//! `rmsi extract` shows and does).

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Component, Path, PathBuf};

use cabinet::ReadSeek;
use msi_expr::ConditionResult;
use package::Package;
use package::tables::media;
use package::tables::sequence::SequenceTable;

use crate::directory::{NameChoice, confine, resolve_with_source};
use crate::error::{Error, Outcome, Result};
use crate::log::Log;
use crate::properties::{Properties, UiLevel};
use crate::request::InstallReport;
use crate::ui::InstallUi;

/// One file of an administrative image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFile {
    /// The File key.
    pub file: String,
    /// Its path in the image, relative to the image's root (`TARGETDIR`).
    pub path: PathBuf,
    /// Its size (the File table's FileSize).
    pub size: i64,
}

/// The files of `package` at their source paths, long or short names as `short_names`
/// says, in File table order (Sequence).
pub fn image_files(package: &Package, short_names: bool) -> Result<Vec<ImageFile>> {
    let names = NameChoice {
        short_target: short_names,
        short_source: short_names,
    };
    // Source paths only: no property moves a source folder, and the root row is the
    // image's root.
    let dirs = resolve_with_source(
        &package.directories()?,
        &Properties::new(),
        Path::new("/"),
        names,
        Path::new("/"),
    )?;
    let components: HashMap<String, String> = package
        .components()?
        .into_iter()
        .map(|c| (c.component, c.directory))
        .collect();
    let mut files = package.files()?;
    files.sort_by_key(|f| f.sequence);
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let dir = components
            .get(&f.component)
            .and_then(|d| dirs.source(d))
            .ok_or_else(|| {
                Error::from(package::Error::bad_row(
                    "File",
                    &f.file,
                    format!("component {:?} has no folder", f.component),
                ))
            })?;
        let name = f.file_name.pick(short_names);
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
            return Err(package::Error::bad_row(
                "File",
                &f.file,
                format!("FileName {name:?} is not a plain file name"),
            )
            .into());
        }
        let rel = dir.strip_prefix("/").unwrap_or(dir).join(name);
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(package::Error::bad_row(
                "File",
                &f.file,
                format!("its source path {} leaves the image", rel.display()),
            )
            .into());
        }
        out.push(ImageFile {
            file: f.file,
            path: rel,
            size: f.file_size,
        });
    }
    Ok(out)
}

/// Writes the files of `package` under `dest` (which must exist) at their source paths
/// (see [`image_files`]), from its cabinets or its uncompressed source. A path whose
/// folders under `dest` hold a symbolic link is refused. Returns the files written.
pub fn extract_image(package: &Package, dest: &Path, short_names: bool) -> Result<Vec<ImageFile>> {
    let files = image_files(package, short_names)?;
    let by_key: HashMap<&str, &ImageFile> = files.iter().map(|f| (f.file.as_str(), f)).collect();
    let rows = package.files()?;
    let media = package.media()?;
    let word_count = package.summary().word_count;
    // The original source layout, for files that are not in a cabinet.
    let source_layout: HashMap<String, PathBuf> =
        image_files(package, package.summary().short_source_names())?
            .into_iter()
            .map(|f| (f.file, f.path))
            .collect();
    let mut by_cabinet: Vec<(String, HashMap<String, PathBuf>)> = Vec::new();
    let mut written = 0usize;
    for f in &rows {
        let Some(image) = by_key.get(f.file.as_str()) else {
            continue;
        };
        let target = confine(dest, &dest.join(&image.path))?;
        let compressed = if f.attributes & package::tables::file::ATTR_COMPRESSED != 0 {
            true
        } else if f.attributes & package::tables::file::ATTR_NONCOMPRESSED != 0 {
            false
        } else {
            word_count & 2 != 0
        };
        let cabinet = media::for_sequence(&media, f.sequence).and_then(|m| m.cabinet.clone());
        match cabinet.filter(|c| compressed && !c.is_empty()) {
            Some(cab) => {
                let at = match by_cabinet.iter().position(|(c, _)| *c == cab) {
                    Some(i) => i,
                    None => {
                        by_cabinet.push((cab, HashMap::new()));
                        by_cabinet.len() - 1
                    }
                };
                by_cabinet[at].1.insert(f.file.clone(), target);
            }
            None => {
                let rel = source_layout
                    .get(&f.file)
                    .cloned()
                    .unwrap_or_else(|| image.path.clone());
                let from = package.source_dir().join(rel);
                if !from.is_file() {
                    return Err(Error::SourceAbsent { path: from });
                }
                make_parent(dest, &target)?;
                fs_err::copy(&from, &target).map_err(|e| Error::io(&target, e))?;
                written += 1;
            }
        }
    }
    // Cabinets in the order of their Media rows' DiskId; a set continued from one cabinet
    // into the next is read in one pass from its first cabinet, as InstallFiles reads it.
    let mut disks: Vec<&media::MediaRow> = media
        .iter()
        .filter(|m| m.cabinet.as_deref().is_some_and(|c| !c.is_empty()))
        .collect();
    disks.sort_by_key(|m| m.disk_id);
    let chain: Vec<String> = disks.iter().filter_map(|m| m.cabinet.clone()).collect();
    let order = |c: &str| chain.iter().position(|m| m == c);
    by_cabinet.sort_by_key(|(c, _)| order(c).unwrap_or(usize::MAX));
    let files_of: HashMap<&str, &HashMap<String, PathBuf>> =
        by_cabinet.iter().map(|(c, w)| (c.as_str(), w)).collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut read: HashSet<String> = HashSet::new();
    for (cab, _) in &by_cabinet {
        if read.contains(cab) {
            continue;
        }
        let mut at = order(cab);
        if let Some(pos) = at.as_mut() {
            while *pos > 0 && continues_previous(package, &chain[*pos]) {
                *pos -= 1;
            }
        }
        let set: Vec<String> = match at {
            Some(pos) => chain[pos..].to_vec(),
            None => vec![cab.clone()],
        };
        let mut sink = ImageSink {
            dest,
            package,
            wanted: HashMap::new(),
            later: HashMap::new(),
            files_of: &files_of,
            set: &set,
            at: 0,
            read: vec![set[0].clone()],
            done: &mut done,
            failed: None,
        };
        for c in set.iter().take_while(|c| *c != cab) {
            sink.want(c);
        }
        sink.want(cab);
        for c in set.iter().skip(1) {
            if let Some(files) = files_of.get(c.as_str()) {
                sink.later
                    .extend(files.iter().map(|(k, t)| (k.clone(), t.clone())));
            }
        }
        let reader = open_cabinet(package, &set[0])?;
        let result = cabinet::extract_to(reader, &mut sink);
        let (failed, cabinets) = (sink.failed.take(), std::mem::take(&mut sink.read));
        if let Some(e) = failed {
            return Err(e);
        }
        result.map_err(|source| Error::Cabinet {
            cabinet: cabinets.last().cloned().unwrap_or_else(|| cab.clone()),
            source,
        })?;
        read.extend(cabinets);
    }
    for (cab, wanted) in &by_cabinet {
        let missing: Vec<&String> = wanted.keys().filter(|k| !done.contains(*k)).collect();
        if !missing.is_empty() {
            return Err(Error::failure(format!(
                "cabinet {cab} lacks {} of its files (e.g. {:?})",
                missing.len(),
                &missing[..missing.len().min(3)]
            )));
        }
        written += wanted.len();
    }
    tracing::debug!(written, "image files extracted");
    Ok(files)
}

/// Opens a cabinet the Media table names: a stream of the package (`#name`) or a file in
/// its folder (absent: the source is not available).
fn open_cabinet(package: &Package, cab: &str) -> Result<Box<dyn ReadSeek>> {
    Ok(match cab.strip_prefix('#') {
        Some(stream) => Box::new(package.read_stream(stream)?),
        None => {
            let path = crate::cost::find_case_insensitive(&package.source_dir(), cab);
            match fs_err::File::open(&path) {
                Ok(f) => Box::new(f),
                Err(_) => return Err(Error::SourceAbsent { path }),
            }
        }
    })
}

/// Whether a cabinet's first folder continues the previous cabinet's of its set.
fn continues_previous(package: &Package, cab: &str) -> bool {
    open_cabinet(package, cab)
        .ok()
        .and_then(|r| cabinet::list(r).ok())
        .is_some_and(|entries| entries.iter().any(|e| e.continued_from_previous))
}

/// Writes an image's files out of one pass over a cabinet and the next ones of its set.
struct ImageSink<'a> {
    dest: &'a Path,
    package: &'a Package,
    /// File key → target, for the cabinets the pass read so far.
    wanted: HashMap<String, PathBuf>,
    /// Those of the set's later cabinets, for a file that begins here and goes on there.
    later: HashMap<String, PathBuf>,
    files_of: &'a HashMap<&'a str, &'a HashMap<String, PathBuf>>,
    /// The Media rows' cabinets from the pass's first, by DiskId.
    set: &'a [String],
    at: usize,
    /// The cabinets the pass read.
    read: Vec<String>,
    /// The files written so far, by key.
    done: &'a mut HashSet<String>,
    /// The engine's own error, when the sink failed.
    failed: Option<Error>,
}

impl ImageSink<'_> {
    fn want(&mut self, cab: &str) {
        if let Some(files) = self.files_of.get(cab) {
            self.wanted
                .extend(files.iter().map(|(k, t)| (k.clone(), t.clone())));
        }
    }

    fn fail(&mut self, e: Error) -> io::Error {
        let err = io::Error::other(e.to_string());
        self.failed = Some(e);
        err
    }
}

impl cabinet::Sink for ImageSink<'_> {
    type Writer = io::BufWriter<fs_err::File>;

    fn open(&mut self, entry: &cabinet::CabinetEntry) -> io::Result<Option<Self::Writer>> {
        let target = match self.wanted.get(&entry.name) {
            Some(t) => t.clone(),
            None if entry.continued_to_next => match self.later.get(&entry.name) {
                Some(t) => t.clone(),
                None => return Ok(None),
            },
            None => return Ok(None),
        };
        if self.done.contains(&entry.name) {
            return Ok(None);
        }
        if let Err(e) = make_parent(self.dest, &target) {
            return Err(self.fail(e));
        }
        self.done.insert(entry.name.clone());
        Ok(Some(io::BufWriter::new(fs_err::File::create(&target)?)))
    }

    fn next_cabinet(
        &mut self,
        _next: &cabinet::NextCabinet,
    ) -> io::Result<Option<Box<dyn ReadSeek>>> {
        let Some(cab) = self.set.get(self.at + 1).cloned() else {
            return Ok(None);
        };
        self.at += 1;
        self.want(&cab);
        self.read.push(cab.clone());
        match open_cabinet(self.package, &cab) {
            Ok(r) => Ok(Some(r)),
            Err(e) => Err(self.fail(e)),
        }
    }
}

fn make_parent(dest: &Path, target: &Path) -> Result<()> {
    if let Some(parent) = target.parent() {
        confine(dest, parent)?;
        fs_err::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    Ok(())
}

/// Everything `/a` is asked to do.
#[derive(Debug, Clone)]
pub struct AdminRequest {
    /// The package.
    pub package: PathBuf,
    /// The UI level.
    pub ui_level: UiLevel,
    /// The verbose log file, if any.
    pub log: Option<PathBuf>,
    /// Append to the log.
    pub log_append: bool,
    /// Command-line properties, in order: `TARGETDIR` is required.
    pub properties: Vec<(String, String)>,
}

/// Makes an administrative image (see the module documentation).
pub fn admin_install(request: &AdminRequest, ui: &mut dyn InstallUi) -> InstallReport {
    let mut log = match &request.log {
        Some(path) => match Log::open(path, request.log_append) {
            Ok(log) => log,
            Err(source) => {
                return InstallReport {
                    result: Err(Error::LogFailure {
                        path: path.clone(),
                        source,
                    }),
                    apps_left_running: Vec::new(),
                    log_error: None,
                };
            }
        },
        None => Log::none(),
    };
    log.engine(&format!(
        "******* RunEngine: Product: {}; Action: ADMIN; UI level: {}",
        request.package.display(),
        request.ui_level.value()
    ));
    let result = run(request, ui, &mut log);
    let code = match &result {
        Ok(o) => o.code(),
        Err(e) => e.code(),
    };
    if let Err(e) = &result {
        log.engine(&format!("{} {}: {e}", e.code(), e.name()));
    }
    let log_error = log.finish(code);
    InstallReport {
        result,
        apps_left_running: Vec::new(),
        log_error,
    }
}

fn run(request: &AdminRequest, ui: &mut dyn InstallUi, log: &mut Log) -> Result<Outcome> {
    let target = request
        .properties
        .iter()
        .rev()
        .find(|(n, _)| n == "TARGETDIR")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::InvalidCommandLine {
            message: "an administrative install needs TARGETDIR=DIR".into(),
        })?;
    let package = Package::open(&request.package)?;
    let mut props = Properties::new();
    for row in package.properties()? {
        props.set(&row.name, &row.value);
    }
    for (name, value) in &request.properties {
        props.set(name, value);
    }
    props.set("ACTION", "ADMIN");
    props.set("EXECUTEACTION", "ADMIN");
    props.set("UILevel", &request.ui_level.value().to_string());
    props.set(
        "SourceDir",
        &crate::layout::folder_value(&package.source_dir()),
    );
    let made = !Path::new(&target).exists();
    fs_err::create_dir_all(&target).map_err(|e| Error::io(&target, e))?;
    let target = fs_err::canonicalize(&target).map_err(|e| Error::io(&target, e))?;
    props.set("TARGETDIR", &crate::layout::folder_value(&target));
    let stage = tempfile::Builder::new()
        .prefix(".rmsi-admin-")
        .tempdir_in(&target)
        .map_err(|e| Error::io(&target, e))?;
    let outcome = sequence(
        &package,
        &mut props,
        &target,
        stage.path(),
        request,
        ui,
        log,
    );
    if outcome.is_err() {
        drop(stage);
        if made {
            let _ = fs_err::remove_dir(&target);
        }
    }
    outcome
}

/// Runs the admin sequences: at reduced and full UI the AdminUISequence's non-dialog
/// actions, whose ExecuteAction runs the AdminExecuteSequence; else the latter alone.
fn sequence(
    package: &Package,
    props: &mut Properties,
    target: &Path,
    stage: &Path,
    request: &AdminRequest,
    ui: &mut dyn InstallUi,
    log: &mut Log,
) -> Result<Outcome> {
    let custom = package
        .custom_actions()?
        .into_iter()
        .map(|c| (c.action.clone(), c))
        .collect();
    let dialogs = package
        .table("Dialog")
        .map(|t| {
            let idx = t.column_index("Dialog").unwrap_or(0);
            t.rows
                .iter()
                .filter_map(|r| r.get(idx).map(|v| v.text()))
                .collect()
        })
        .unwrap_or_default();
    let mut run = AdminRun {
        package,
        target,
        stage,
        request,
        short: props.contains("SHORTFILENAMES"),
        staged: Vec::new(),
        package_name: request
            .package
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("package.msi")),
        custom,
        dialogs,
    };
    let with_ui =
        request.ui_level >= UiLevel::Reduced && package.table("AdminUISequence").is_some();
    let first = if with_ui {
        SequenceTable::AdminUI
    } else {
        SequenceTable::AdminExecute
    };
    run.table(first, props, ui, log)?;
    // No InstallFinalize in the sequence: the image is still completed.
    run.finalize()?;
    Ok(Outcome::Success)
}

/// One administrative install's state across its sequences.
struct AdminRun<'a> {
    package: &'a Package,
    target: &'a Path,
    stage: &'a Path,
    request: &'a AdminRequest,
    short: bool,
    /// Paths (relative) written to the staging folder, not yet moved into place.
    staged: Vec<PathBuf>,
    package_name: PathBuf,
    custom: HashMap<String, package::tables::custom_action::CustomActionRow>,
    dialogs: std::collections::HashSet<String>,
}

impl AdminRun<'_> {
    fn table(
        &mut self,
        table: SequenceTable,
        props: &mut Properties,
        ui: &mut dyn InstallUi,
        log: &mut Log,
    ) -> Result<()> {
        let mut rows = self.package.sequence(table)?;
        rows.retain(|r| r.sequence.is_some_and(|n| n > 0));
        rows.sort_by_key(|r| r.sequence);
        for row in rows {
            if let Some(cond) = row.condition.as_deref().filter(|c| !c.trim().is_empty()) {
                match msi_expr::evaluate_condition(cond, &*props) {
                    ConditionResult::False => {
                        log.skipping(&row.action);
                        continue;
                    }
                    ConditionResult::Error => {
                        return Err(Error::failure(format!(
                            "the condition of {} is invalid: {cond}",
                            row.action
                        )));
                    }
                    _ => {}
                }
            }
            if ui.cancelled() {
                return Err(Error::UserExit);
            }
            if self.dialogs.contains(&row.action) {
                // The terminal UI shows no dialogs (as for the install sequences).
                log.engine(&format!("Dialog {} is not shown", row.action));
                continue;
            }
            log.action_start(&row.action);
            self.action(&row.action, table, props, ui, log)?;
            log.action_end(&row.action, 1);
        }
        Ok(())
    }

    fn action(
        &mut self,
        action: &str,
        table: SequenceTable,
        props: &mut Properties,
        ui: &mut dyn InstallUi,
        log: &mut Log,
    ) -> Result<()> {
        match action {
            "CostInitialize" | "FileCost" | "InstallValidate" | "InstallInitialize" => {}
            "ExecuteAction" if table == SequenceTable::AdminUI => {
                self.table(SequenceTable::AdminExecute, props, ui, log)?;
            }
            "CostFinalize" => {
                let files = image_files(self.package, self.short)?;
                log.engine(&format!(
                    "Administrative image of {} files at {}",
                    files.len(),
                    self.target.display()
                ));
            }
            "InstallFiles" => {
                let files = extract_image(self.package, self.stage, self.short)?;
                for f in files {
                    log.engine(&format!(
                        "Executing op: FileCopy(Name={})",
                        f.path.display()
                    ));
                    self.staged.push(f.path);
                }
            }
            "InstallAdminPackage" => {
                let keep = admin_properties(props, &self.request.properties);
                let bytes = self.package.admin_image_bytes(&keep, self.short)?;
                let path = self.stage.join(&self.package_name);
                fs_err::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
                log.engine(&format!(
                    "Executing op: InstallAdminPackage(Package={})",
                    self.package_name.display()
                ));
                self.staged.push(self.package_name.clone());
            }
            "InstallFinalize" => self.finalize()?,
            other => match self.custom.get(other) {
                // Type 51: sets a property to a formatted value.
                Some(ca) if ca.action_type & 0x3F == 51 => {
                    if let Some(name) = ca.source.as_deref().filter(|s| !s.is_empty()) {
                        let value =
                            msi_expr::format_string(ca.target.as_deref().unwrap_or(""), &*props);
                        props.set(name, &value);
                    }
                }
                Some(_) => log.engine(&format!(
                    "Custom action {other} is not run in an administrative install on this platform"
                )),
                None => log.engine(&format!(
                    "Action {other} has no meaning in an administrative install here: skipped"
                )),
            },
        }
        Ok(())
    }

    /// Moves what was staged into place.
    fn finalize(&mut self) -> Result<()> {
        let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
        for rel in std::mem::take(&mut self.staged) {
            let from = self.stage.join(&rel);
            let step = confine(self.target, &self.target.join(&rel)).and_then(|to| {
                make_parent(self.target, &to)?;
                fs_err::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
                Ok(to)
            });
            match step {
                Ok(to) => moved.push((to, from)),
                Err(e) => {
                    // Back into the staging folder, which the caller removes.
                    for (to, from) in moved.into_iter().rev() {
                        let _ = fs_err::rename(&to, &from);
                    }
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

/// The properties the image keeps: those the command line set (but `TARGETDIR` and
/// `ACTION`), and those the package's `AdminProperties` property names.
fn admin_properties(
    props: &Properties,
    command_line: &[(String, String)],
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, value: String| {
        out.retain(|(n, _)| n != name);
        out.push((name.to_string(), value));
    };
    for (name, value) in command_line {
        if !matches!(name.as_str(), "TARGETDIR" | "ACTION") {
            add(name, value.clone());
        }
    }
    if let Some(list) = props.get_str("AdminProperties") {
        for name in list.split(';').map(str::trim).filter(|n| !n.is_empty()) {
            if let Some(v) = props.get_str(name) {
                add(name, v.to_string());
            }
        }
    }
    out
}
