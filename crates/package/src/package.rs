//! Opening a package: the database read once into memory, typed rows for each
//! table family, the summary information, and streams read on demand.
//!
//! [`Package::open`] reads every table of the database into a [`Table`] when
//! the package is opened (the rows are small beside the payload; cabinets are
//! streams and are never read here). Streams — embedded cabinets (`#name` in
//! Media.Cabinet) and Binary table rows — are read through
//! [`Package::read_stream`], which opens its own view of the compound file so
//! a reader can be moved to another thread and can outlive any borrow of the
//! package.
//!
//! Error classes follow `msiexec`: a package file that is missing or
//! unreadable is `ERROR_INSTALL_PACKAGE_OPEN_FAILED` (1619); one that is not
//! a compound file, is not an installer database, or whose string pool or
//! system tables are broken is `ERROR_INSTALL_PACKAGE_INVALID` (1620). An
//! absent optional table is simply empty.

use std::collections::BTreeMap;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::seekbuf::SeekBuf;
use crate::tables::{
    Column, ColumnKind, Table, Value, appsearch, component, condition, custom_action, directory,
    feature, file, folders, launch_condition, media, property, sequence, upgrade,
};

/// Why a file that is not a compound file is not a package, in words: an installer
/// database is an OLE compound file, which starts with D0 CF 11 E0 A1 B1 1A E1; the file's
/// own first bytes are shown as text when they are printable, else in hex.
fn not_compound_reason(backing: &Backing) -> String {
    let mut head = Vec::with_capacity(8);
    if let Ok(reader) = backing.reader() {
        let _ = reader.take(8).read_to_end(&mut head);
    }
    if head.is_empty() {
        return "the file is empty".into();
    }
    let shown = if head.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("\"{}\"", String::from_utf8_lossy(&head))
    } else {
        head.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "it starts with {shown}, where a package (an OLE compound file) starts with d0 cf 11 e0 a1 b1 1a e1"
    )
}

/// Anything a compound file can be read from, shareable across threads.
pub(crate) trait Source: Read + Seek + Send + Sync {}
impl<T: Read + Seek + Send + Sync> Source for T {}

/// Where the package's bytes come from.
#[derive(Debug, Clone)]
enum Backing {
    /// The package file, reopened for each stream; refused once it is no longer the file
    /// that was opened (replaced or written since).
    File(PathBuf, FileId),
    /// An in-memory copy: a package given as bytes, or a file whose FAT had
    /// to be repaired in memory (see [`repair_short_fat`]).
    Memory(Arc<[u8]>),
}

impl Backing {
    // std's error on purpose: the caller's PackageOpenFailed names the path already.
    #[allow(clippy::disallowed_methods)]
    fn reader(&self) -> io::Result<Box<dyn Source>> {
        Ok(match self {
            Backing::File(path, opened) => {
                let file = std::fs::File::open(path)?;
                if FileId::of(&file.metadata()?) != *opened {
                    return Err(io::Error::other(
                        "the package file changed since the installation opened it",
                    ));
                }
                Box::new(SeekBuf::new(file)?)
            }
            Backing::Memory(bytes) => Box::new(Cursor::new(bytes.clone())),
        })
    }
}

/// What tells one version of a file from another: a package file replaced or written while
/// a session reads it is refused rather than read half old, half new (Windows Installer
/// opens it denying writes; a Linux file cannot be locked against them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl FileId {
    fn of(meta: &std::fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }
}

/// The summary information stream, as `rmsi info` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Summary {
    /// Title (normally "Installation Database").
    pub title: Option<String>,
    /// Subject (normally the product name).
    pub subject: Option<String>,
    /// Author (normally the manufacturer).
    pub author: Option<String>,
    /// Keywords.
    pub keywords: Vec<String>,
    /// Comments.
    pub comments: Option<String>,
    /// Template: `platform;languages`.
    pub template: String,
    /// The platform part of Template (`Intel`, `x64`, `Arm64`, …).
    pub platform: Option<String>,
    /// The languages part of Template.
    pub languages: Vec<u16>,
    /// Revision Number: the package code, `{UPPERCASE-GUID}`.
    pub revision: Option<String>,
    /// Page Count: the minimum installer version × 100 (the schema).
    pub page_count: Option<i32>,
    /// Word Count: the source type bits ("Word Count Summary property"); 0 when absent.
    pub word_count: i32,
    /// Security (0 none, 2 read-only recommended, 4 read-only enforced).
    pub security: Option<i32>,
    /// The summary stream's code page.
    pub codepage: i32,
    /// The database's string code page.
    pub database_codepage: i32,
    /// Creating application.
    pub creating_application: Option<String>,
    /// Whether a digital signature stream is present (not verified).
    pub signed: bool,
}

impl Summary {
    /// Word Count bit 0: short file names at the source.
    pub fn short_source_names(&self) -> bool {
        self.word_count & 1 != 0
    }

    /// Word Count bit 1: files are compressed (in cabinets) by default.
    pub fn compressed(&self) -> bool {
        self.word_count & 2 != 0
    }

    /// Word Count bit 2: an administrative image.
    pub fn admin_image(&self) -> bool {
        self.word_count & 4 != 0
    }
}

/// An opened installer package.
///
/// Invariants: every table of the database (except the `_Tables` and
/// `_Columns` catalogues) is held in `tables` with rows that fit their
/// columns; the package is an installer database (not a patch or
/// transform). The type is `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Package {
    path: PathBuf,
    backing: Backing,
    pub(crate) summary: Summary,
    pub(crate) tables: BTreeMap<String, Table>,
    /// The streams the database has (decoded names): the file's, less those a transform
    /// removed, plus those a transform added.
    pub(crate) streams: Vec<String>,
    /// Streams added or replaced by transforms, read from memory instead of the file.
    pub(crate) overlay: BTreeMap<String, Arc<[u8]>>,
    /// Substorages added or replaced by transforms, each a compound file of its own.
    pub(crate) storage_overlay: BTreeMap<String, Arc<[u8]>>,
    /// The transforms applied, in order.
    pub(crate) transforms: Vec<crate::Transform>,
}

/// A stream of the package being read: `Read + Seek`, independent of the
/// [`Package`] it came from (it owns its own view of the compound file).
/// Not `Send`: cfb's stream keeps a non-`Send` flush hook; open one reader
/// per thread instead (opening costs one FAT and directory read).
pub struct StreamReader {
    inner: StreamInner,
    len: u64,
}

/// Where a stream being read lives.
enum StreamInner {
    /// In the package file. Field order matters only for clarity: the stream holds a
    /// weak reference to the compound file's allocator, which `_file` keeps alive.
    File {
        stream: cfb::Stream<Box<dyn Source>>,
        _file: cfb::CompoundFile<Box<dyn Source>>,
    },
    /// Added by a transform, in memory.
    Memory(Cursor<Arc<[u8]>>),
}

impl StreamReader {
    /// The stream's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the stream is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl std::fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamReader")
            .field("len", &self.len)
            .finish()
    }
}

impl Read for StreamReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            StreamInner::File { stream, .. } => stream.read(buf),
            StreamInner::Memory(cursor) => cursor.read(buf),
        }
    }
}

impl Seek for StreamReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match &mut self.inner {
            StreamInner::File { stream, .. } => stream.seek(pos),
            StreamInner::Memory(cursor) => cursor.seek(pos),
        }
    }
}

/// The streams of a package read through one opening of its file
/// ([`Package::stream_set`]).
pub struct StreamSet<'p> {
    package: &'p Package,
    file: Option<cfb::CompoundFile<Box<dyn Source>>>,
}

impl StreamSet<'_> {
    /// Opens the stream `name` (as [`Package::read_stream`] names it); the reader lives until
    /// the next stream is opened. A missing stream is [`Error::PackageInvalid`].
    pub fn open(&mut self, name: &str) -> Result<(u64, Box<dyn Read + '_>)> {
        let package = self.package;
        if let Some(data) = package.overlay_stream(name)? {
            return Ok((data.len() as u64, Box::new(Cursor::new(&data[..]))));
        }
        let file = match &mut self.file {
            Some(file) => file,
            None => self
                .file
                .insert(package.reopen(&format!("for stream {name:?}"))?),
        };
        let stream = package.stream_in(file, name)?;
        Ok((stream.len(), Box::new(stream)))
    }
}

impl Package {
    /// Opens the package at `path`.
    ///
    /// Missing or unreadable → [`Error::PackageOpenFailed`] (1619); not a
    /// valid installer database → [`Error::PackageInvalid`] (1620). A file
    /// whose FAT claims more sectors than the file has (an old writer's
    /// quirk that `cfb` refuses and libgsf accepts) is read into memory and
    /// padded, then opened from there.
    // std's errors on purpose: PackageOpenFailed names the path, and its message ("cannot
    // open package P: No such file or directory") is what `rmsi` prints.
    #[allow(clippy::disallowed_methods)]
    pub fn open(path: impl AsRef<Path>) -> Result<Package> {
        let path = path.as_ref();
        let open_failed = |source: io::Error| Error::PackageOpenFailed {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(open_failed)?;
        let meta = file.metadata().map_err(open_failed)?;
        if !meta.is_file() {
            return Err(open_failed(io::Error::other("not a regular file")));
        }
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let id = FileId::of(&meta);
        let reader = SeekBuf::new(file).map_err(open_failed)?;
        let opened = match Self::load(path, Box::new(reader), Backing::File(absolute.clone(), id)) {
            Err(err) if is_short_fat(&err) => {
                let mut bytes = Vec::new();
                std::fs::File::open(path)
                    .and_then(|mut f| f.read_to_end(&mut bytes))
                    .map_err(open_failed)?;
                Self::from_repaired(path, bytes, err)
            }
            other => other,
        };
        opened.map(|mut package| {
            package.path = absolute;
            package
        })
    }

    /// Opens a package held in memory; `path` names it in errors and is what
    /// [`Package::path`] returns (`SourceDir` is its folder). The short-FAT
    /// quirk is repaired as for [`Package::open`].
    pub fn from_bytes(path: impl AsRef<Path>, bytes: Vec<u8>) -> Result<Package> {
        let path = path.as_ref();
        let bytes: Arc<[u8]> = bytes.into();
        match Self::from_memory(path, bytes.clone()) {
            Err(err) if is_short_fat(&err) => Self::from_repaired(path, bytes.to_vec(), err),
            other => other,
        }
    }

    /// Retries a package refused for the short-FAT quirk from a padded copy;
    /// `err` is the original refusal, returned when no repair applies.
    fn from_repaired(path: &Path, bytes: Vec<u8>, err: Error) -> Result<Package> {
        match repair_short_fat(bytes) {
            Some(repaired) => Self::from_memory(path, repaired.into()),
            None => Err(err),
        }
    }

    fn from_memory(path: &Path, bytes: Arc<[u8]>) -> Result<Package> {
        Self::load(
            path,
            Box::new(Cursor::new(bytes.clone())),
            Backing::Memory(bytes),
        )
    }

    fn load(path: &Path, reader: Box<dyn Source>, backing: Backing) -> Result<Package> {
        let invalid = |reason: String| Error::PackageInvalid {
            path: path.to_path_buf(),
            reason,
        };
        // The msi crate unwraps on some malformed system-table rows (e.g. a
        // null table name in _Tables); a hostile package must give 1620, not
        // a panic, so the parse runs under catch_unwind.
        let parsed = catch_unwind(AssertUnwindSafe(|| -> io::Result<_> {
            let mut db = msi::Package::open(reader)?;
            let summary = summary_of(&db);
            if db.package_type() != msi::PackageType::Installer {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "a {:?} package, not an installer database",
                        db.package_type()
                    ),
                ));
            }
            let streams: Vec<String> = db.streams().collect();
            let names: Vec<String> = db
                .tables()
                .map(|t| t.name().to_string())
                .filter(|n| n != "_Tables" && n != "_Columns")
                .collect();
            let mut tables = BTreeMap::new();
            for name in names {
                let table = read_table(&mut db, &name, &streams)?;
                tables.insert(name, table);
            }
            // The msi crate reports a neutral code page (0) as UTF-8; the string pool's
            // header says which it is, and a package written back must keep it.
            let mut summary = summary;
            if let Some(pool) = stored_pool(db.into_inner()?) {
                summary.database_codepage = pool.codepage;
                if pool.codepage == 0 {
                    ansi_strings(&pool, &mut tables);
                }
            }
            Ok((summary, tables, streams))
        }));
        match parsed {
            Ok(Ok((summary, tables, streams))) => Ok(Package {
                path: path.to_path_buf(),
                backing,
                summary,
                tables,
                streams,
                overlay: BTreeMap::new(),
                storage_overlay: BTreeMap::new(),
                transforms: Vec::new(),
            }),
            Ok(Err(err)) => match err.kind() {
                io::ErrorKind::PermissionDenied | io::ErrorKind::Interrupted => {
                    Err(Error::PackageOpenFailed {
                        path: path.to_path_buf(),
                        source: err,
                    })
                }
                _ if err.to_string().contains("wrong magic number")
                    || err.to_string().contains("is too small") =>
                {
                    Err(invalid(not_compound_reason(&backing)))
                }
                _ => Err(invalid(err.to_string())),
            },
            Err(_) => Err(invalid("malformed database (parser panicked)".into())),
        }
    }

    /// The package's path (absolute when opened from a file).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder holding the package: the default `SourceDir`, with
    /// external cabinets and uncompressed sources.
    pub fn source_dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// The summary information.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// A table by name, `None` when the package has no such table.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// Takes the tables out, leaving the package without any (to free them elsewhere).
    pub fn take_tables(&mut self) -> BTreeMap<String, Table> {
        std::mem::take(&mut self.tables)
    }

    /// All tables, by name.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.values()
    }

    /// The names of the package's streams (decoded; tables excluded).
    pub fn stream_names(&self) -> &[String] {
        &self.streams
    }

    /// Whether the package has a stream named `name`.
    pub fn has_stream(&self, name: &str) -> bool {
        self.streams.iter().any(|s| s == name)
    }

    /// Opens the stream `name` (e.g. an embedded cabinet's name without the
    /// `#`, or `Binary.<key>`). A missing stream is
    /// [`Error::PackageInvalid`]: the package refers to data it lacks.
    pub fn read_stream(&self, name: &str) -> Result<StreamReader> {
        if let Some(data) = self.overlay_stream(name)? {
            return Ok(StreamReader {
                len: data.len() as u64,
                inner: StreamInner::Memory(Cursor::new(data.clone())),
            });
        }
        let mut file = self.reopen(&format!("for stream {name:?}"))?;
        let stream = self.stream_in(&mut file, name)?;
        let len = stream.len();
        Ok(StreamReader {
            inner: StreamInner::File {
                stream,
                _file: file,
            },
            len,
        })
    }

    /// The stream `name` when a transform added it in memory, `None` when it is the file's;
    /// a stream the package does not have is [`Error::PackageInvalid`].
    fn overlay_stream(&self, name: &str) -> Result<Option<&Arc<[u8]>>> {
        if !self.has_stream(name) {
            return Err(Error::PackageInvalid {
                path: self.path.clone(),
                reason: format!("no stream {name:?}"),
            });
        }
        Ok(self.overlay.get(name))
    }

    /// Whether the stream `name` was added or replaced in memory (by a transform or a
    /// patch, [`Package::add_stream`]): the package file's stream of that name, if any, is
    /// then not the package's.
    pub fn is_replaced(&self, name: &str) -> bool {
        self.overlay.contains_key(name)
    }

    /// The stream `name` of `file`, the package's compound file opened again.
    fn stream_in(
        &self,
        file: &mut cfb::CompoundFile<Box<dyn Source>>,
        name: &str,
    ) -> Result<cfb::Stream<Box<dyn Source>>> {
        file.open_stream(crate::streamname::encode(name, false))
            .map_err(|e| Error::PackageInvalid {
                path: self.path.clone(),
                reason: format!("stream {name:?}: {e}"),
            })
    }

    /// The package's streams, to read one after the other through one opening of its file:
    /// [`Package::read_stream`] opens the file anew for every stream, and a package's dozen
    /// icons and binaries read that way cost a dozen readings of its allocation tables.
    pub fn stream_set(&self) -> StreamSet<'_> {
        StreamSet {
            package: self,
            file: None,
        }
    }

    /// The names of the package's substorages: embedded transforms (`TRANSFORMS=:Name`)
    /// and nested packages, with those transforms added.
    pub fn storage_names(&self) -> Result<Vec<String>> {
        let file = self.reopen("to list its storages")?;
        let mut names: Vec<String> = file
            .walk()
            .filter(|e| e.is_storage() && !e.is_root())
            .filter(|e| e.path().parent() == Some(Path::new("/")))
            .map(|e| e.name().to_string())
            .collect();
        for name in self.storage_overlay.keys() {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        Ok(names)
    }

    /// The embedded transform `name`: the package's substorage of that name, as
    /// `TRANSFORMS=:name` asks for it. A missing or unreadable one is
    /// [`Error::TransformFailure`] (1624).
    pub fn embedded_transform(&self, name: &str) -> Result<crate::Transform> {
        let label = format!(":{name}");
        if let Some(bytes) = self.storage_overlay.get(name) {
            return crate::Transform::from_bytes(&label, bytes.to_vec());
        }
        let mut file = self.reopen("for an embedded transform")?;
        crate::Transform::from_storage(&mut file, Path::new("/").join(name), &label)
    }

    /// The substorage `name` as a compound file of its own (from a transform when one
    /// added it).
    pub fn read_storage(&self, name: &str) -> Result<Vec<u8>> {
        if let Some(bytes) = self.storage_overlay.get(name) {
            return Ok(bytes.to_vec());
        }
        let mut file = self.reopen("to read a storage")?;
        crate::transform::copy_storage(&mut file, &Path::new("/").join(name)).map_err(|e| {
            Error::PackageInvalid {
                path: self.path.clone(),
                reason: format!("storage {name:?}: {e}"),
            }
        })
    }

    /// The transforms applied to the package in memory, in order (what an installed
    /// product keeps, to apply them again for maintenance and removal).
    pub fn applied_transforms(&self) -> &[crate::Transform] {
        &self.transforms
    }

    /// Adds (or replaces) the substorage `name` in memory, `bytes` being a compound file of
    /// its own (an embedded transform, as [`crate::Transform::to_bytes`] gives it); it is
    /// written with the package by [`Package::write`].
    pub fn add_storage(&mut self, name: &str, bytes: Arc<[u8]>) {
        self.storage_overlay.insert(name.to_string(), bytes);
    }

    /// Adds (or replaces) the stream `name` in memory: a patch's cabinet, or a stream a
    /// transform carries.
    pub fn add_stream(&mut self, name: &str, data: Arc<[u8]>) {
        if !self.has_stream(name) {
            self.streams.push(name.to_string());
        }
        self.overlay.insert(name.to_string(), data);
    }

    /// The package's compound file, opened again (`why` goes into the error).
    pub(crate) fn reopen(&self, why: &str) -> Result<cfb::CompoundFile<Box<dyn Source>>> {
        let reader = self
            .backing
            .reader()
            .map_err(|source| Error::PackageOpenFailed {
                path: self.path.clone(),
                source,
            })?;
        cfb::CompoundFile::open(reader).map_err(|e| Error::PackageInvalid {
            path: self.path.clone(),
            reason: format!("reopening {why}: {e}"),
        })
    }

    /// The data of the Binary table row `name`, read whole (Binary rows are
    /// custom-action programs and UI bitmaps, small beside cabinets).
    pub fn binary(&self, name: &str) -> Result<Vec<u8>> {
        let mut reader = self.read_stream(&format!("Binary.{name}"))?;
        let mut data = Vec::with_capacity(usize::try_from(reader.len()).unwrap_or(0));
        reader
            .read_to_end(&mut data)
            .map_err(|e| Error::PackageInvalid {
                path: self.path.clone(),
                reason: format!("Binary row {name:?}: {e}"),
            })?;
        Ok(data)
    }

    /// The Property table (rows with a value).
    pub fn properties(&self) -> Result<Vec<property::PropertyRow>> {
        property::read(self.table("Property"))
    }

    /// One Property table value.
    pub fn property(&self, name: &str) -> Option<String> {
        self.properties()
            .ok()?
            .into_iter()
            .find(|p| p.name == name)
            .map(|p| p.value)
    }

    /// The Directory table.
    pub fn directories(&self) -> Result<Vec<directory::DirectoryRow>> {
        directory::read(self.table("Directory"))
    }

    /// The Component table.
    pub fn components(&self) -> Result<Vec<component::ComponentRow>> {
        component::read(self.table("Component"))
    }

    /// The FeatureComponents table.
    pub fn feature_components(&self) -> Result<Vec<component::FeatureComponentsRow>> {
        component::read_feature_components(self.table("FeatureComponents"))
    }

    /// The Feature table.
    pub fn features(&self) -> Result<Vec<feature::FeatureRow>> {
        feature::read(self.table("Feature"))
    }

    /// The Condition table.
    pub fn conditions(&self) -> Result<Vec<condition::ConditionRow>> {
        condition::read(self.table("Condition"))
    }

    /// The File table, sorted by Sequence (installation order).
    pub fn files(&self) -> Result<Vec<file::FileRow>> {
        let mut rows = file::read(self.table("File"))?;
        rows.sort_by_key(|f| f.sequence);
        Ok(rows)
    }

    /// The MsiFileHash table.
    pub fn file_hashes(&self) -> Result<Vec<file::FileHashRow>> {
        file::read_hashes(self.table("MsiFileHash"))
    }

    /// The Media table, sorted by DiskId.
    pub fn media(&self) -> Result<Vec<media::MediaRow>> {
        media::read(self.table("Media"))
    }

    /// The CustomAction table.
    pub fn custom_actions(&self) -> Result<Vec<custom_action::CustomActionRow>> {
        custom_action::read(self.table("CustomAction"))
    }

    /// The keys of the Binary table.
    pub fn binary_names(&self) -> Result<Vec<String>> {
        custom_action::read_binary_names(self.table("Binary"))
    }

    /// A sequence table, in stored order (see [`sequence::ordered`]).
    pub fn sequence(&self, which: sequence::SequenceTable) -> Result<Vec<sequence::SequenceRow>> {
        sequence::read(self.table(which.table_name()))
    }

    /// The LaunchCondition table.
    pub fn launch_conditions(&self) -> Result<Vec<launch_condition::LaunchConditionRow>> {
        launch_condition::read(self.table("LaunchCondition"))
    }

    /// The AppSearch table.
    pub fn app_search(&self) -> Result<Vec<appsearch::AppSearchRow>> {
        appsearch::read(self.table("AppSearch"))
    }

    /// The Signature table.
    pub fn signatures(&self) -> Result<Vec<appsearch::SignatureRow>> {
        appsearch::read_signatures(self.table("Signature"))
    }

    /// The DrLocator table.
    pub fn dr_locators(&self) -> Result<Vec<appsearch::DrLocatorRow>> {
        appsearch::read_dr_locators(self.table("DrLocator"))
    }

    /// The CompLocator, RegLocator and IniLocator rows (searches this
    /// platform cannot perform).
    pub fn other_locators(&self) -> Result<Vec<appsearch::OtherLocatorRow>> {
        let mut rows = Vec::new();
        for name in ["CompLocator", "RegLocator", "IniLocator"] {
            rows.extend(appsearch::read_other_locators(self.table(name), name)?);
        }
        Ok(rows)
    }

    /// The Upgrade table.
    pub fn upgrades(&self) -> Result<Vec<upgrade::UpgradeRow>> {
        upgrade::read(self.table("Upgrade"))
    }

    /// The CreateFolder table.
    pub fn create_folders(&self) -> Result<Vec<folders::CreateFolderRow>> {
        folders::read_create_folders(self.table("CreateFolder"))
    }

    /// The RemoveFile table.
    pub fn remove_files(&self) -> Result<Vec<folders::RemoveFileRow>> {
        folders::read_remove_files(self.table("RemoveFile"))
    }

    /// The DuplicateFile table.
    pub fn duplicate_files(&self) -> Result<Vec<folders::DuplicateFileRow>> {
        folders::read_duplicate_files(self.table("DuplicateFile"))
    }

    /// The MoveFile table.
    pub fn move_files(&self) -> Result<Vec<folders::MoveFileRow>> {
        folders::read_move_files(self.table("MoveFile"))
    }
}

fn summary_of<F>(db: &msi::Package<F>) -> Summary {
    let info = db.summary_info();
    let languages: Vec<u16> = info.languages().into_iter().map(u16::from).collect();
    let platform = info.arch().map(str::to_string);
    let template = format!(
        "{};{}",
        platform.as_deref().unwrap_or(""),
        languages
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    Summary {
        title: info.title().map(str::to_string),
        subject: info.subject().map(str::to_string),
        author: info.author().map(str::to_string),
        keywords: info.keywords(),
        comments: info.comments().map(str::to_string),
        template,
        platform,
        languages,
        revision: info.uuid().map(|u| {
            let mut s = format!("{{{}}}", u.hyphenated());
            s.make_ascii_uppercase();
            s
        }),
        page_count: info.page_count(),
        word_count: info.word_count().unwrap_or(0),
        security: info.doc_security(),
        codepage: info.codepage().id(),
        database_codepage: db.database_codepage().id(),
        creating_application: info.creating_application().map(str::to_string),
        signed: db.has_digital_signature(),
    }
}

pub(crate) fn read_table<F: Read + Seek>(
    db: &mut msi::Package<F>,
    name: &str,
    streams: &[String],
) -> io::Result<Table> {
    let columns: Vec<Column> = match db.get_table(name) {
        Some(table) => table
            .columns()
            .iter()
            .map(|c| Column {
                name: c.name().to_string(),
                kind: match c.coltype() {
                    msi::ColumnType::Int16 => ColumnKind::Int16,
                    msi::ColumnType::Int32 => ColumnKind::Int32,
                    msi::ColumnType::Str(n) => ColumnKind::Str(n),
                    msi::ColumnType::Binary => ColumnKind::Binary,
                },
                primary_key: c.is_primary_key(),
                nullable: c.is_nullable(),
                localizable: c.is_localizable(),
            })
            .collect(),
        None => Vec::new(),
    };
    let mut rows = Vec::new();
    for row in db.select_rows(msi::Select::table(name))? {
        let mut cells = Vec::with_capacity(columns.len());
        for i in 0..columns.len().min(row.len()) {
            cells.push(match &row[i] {
                msi::Value::Null => Value::Null,
                msi::Value::Int(n) => Value::Int(*n),
                msi::Value::Str(s) if s.is_empty() => Value::Null,
                msi::Value::Str(s) => Value::Str(s.clone()),
                msi::Value::Binary => Value::Null,
            });
        }
        cells.resize(columns.len(), Value::Null);
        rows.push(cells);
    }
    let mut table = Table {
        name: name.to_string(),
        columns,
        rows,
    };
    // A binary cell holds no value of its own; it names the stream
    // `Table.Key1.Key2` holding the data, when the package has it.
    let binary: Vec<usize> = (0..table.columns.len())
        .filter(|&i| table.columns[i].kind == ColumnKind::Binary)
        .collect();
    if !binary.is_empty() {
        let keys: Vec<usize> = (0..table.columns.len())
            .filter(|&i| table.columns[i].primary_key)
            .collect();
        for row in &mut table.rows {
            let key: Vec<String> = keys.iter().map(|&k| row[k].text()).collect();
            let stream = format!("{}.{}", name, key.join("."));
            let present = streams.contains(&stream);
            for &b in &binary {
                row[b] = if present {
                    Value::Str(stream.clone())
                } else {
                    Value::Null
                };
            }
        }
    }
    Ok(table)
}

/// The string pool of the compound file `reader` holds: the code page in its header, and
/// its strings' bytes when that code page is neutral (0), for [`ansi_strings`].
struct StoredPool {
    codepage: i32,
    /// `_StringPool` and `_StringData`, read only for a neutral code page.
    bytes: Option<(Vec<u8>, Vec<u8>)>,
}

fn stored_pool<F: Read + Seek>(reader: F) -> Option<StoredPool> {
    let mut file = cfb::CompoundFile::open(reader).ok()?;
    let mut read = |name: &str| -> Option<Vec<u8>> {
        let mut bytes = Vec::new();
        file.open_stream(format!("/{}", crate::streamname::encode(name, true)))
            .ok()?
            .read_to_end(&mut bytes)
            .ok()?;
        Some(bytes)
    };
    let pool = read("_StringPool")?;
    let header = u32::from_le_bytes(pool.get(..4)?.try_into().ok()?);
    let codepage = i32::try_from(header & 0x7FFF_FFFF).ok()?;
    let bytes = if codepage == 0 {
        read("_StringData").map(|data| (pool, data))
    } else {
        None
    };
    Some(StoredPool { codepage, bytes })
}

/// A neutral database's strings in the system's ANSI code page, as Windows reads them
/// ("Code Page Handling of Windows Installer Databases": a neutral database's text is
/// taken in the current code page, Windows-1252 on the English Windows the layouts
/// model); the msi crate decodes them as UTF-8 instead, so bytes that are not UTF-8 come
/// out as U+FFFD. Each such string is put back from its bytes, unless two strings of the
/// pool decode to the same damaged text (then which one a cell held is unknown, and it is
/// left as it is).
fn ansi_strings(pool: &StoredPool, tables: &mut BTreeMap<String, Table>) {
    let Some((pool_bytes, data)) = &pool.bytes else {
        return;
    };
    if data.is_ascii() {
        return;
    }
    let (Ok(utf8), Ok(ansi)) = (
        crate::transform::stringpool::StringPool::read(pool_bytes, data),
        crate::transform::stringpool::StringPool::read_as(pool_bytes, data, 1252),
    ) else {
        return;
    };
    let mut fixed: std::collections::HashMap<&str, Option<&str>> = Default::default();
    for id in 1.. {
        let (Some(damaged), Some(text)) = (utf8.get(id), ansi.get(id)) else {
            break;
        };
        if damaged != text && damaged.contains('\u{FFFD}') {
            fixed
                .entry(damaged)
                .and_modify(|seen| {
                    if *seen != Some(text) {
                        *seen = None;
                    }
                })
                .or_insert(Some(text));
        }
    }
    if fixed.is_empty() {
        return;
    }
    for table in tables.values_mut() {
        for cell in table.rows.iter_mut().flatten() {
            if let Value::Str(text) = cell
                && let Some(Some(ansi)) = fixed.get(text.as_str())
            {
                *text = (*ansi).to_string();
            }
        }
    }
}

/// Whether `err` is cfb's refusal of a FAT longer than the file.
fn is_short_fat(err: &Error) -> bool {
    matches!(err, Error::PackageInvalid { reason, .. } if reason.contains("Malformed FAT"))
}

/// Repairs the "Malformed FAT (FAT has N entries, but file has only M
/// sectors)" quirk in memory: pads the file with zeroed sectors up to what
/// its FAT describes, which is how libgsf reads such files (sectors past the
/// end read as zeros). Returns `None` when the file is not such a case or
/// the padding would exceed 256 MiB.
fn repair_short_fat(mut bytes: Vec<u8>) -> Option<Vec<u8>> {
    const MAX_PADDED: u64 = 256 << 20;
    let err = match cfb::CompoundFile::open(Cursor::new(&bytes[..])) {
        Ok(_) => return None,
        Err(err) => err.to_string(),
    };
    // The message is cfb's (alloc.rs): "FAT has {N} entries, but file has
    // only {M} sectors".
    let rest = err.split("FAT has ").nth(1)?;
    let (entries, rest) = rest.split_once(" entries, but file has only ")?;
    rest.split_once(" sectors")?;
    let entries: u64 = entries.trim().parse().ok()?;
    // Sector shift at offset 30 of the header: 9 (512) or 12 (4096).
    let shift = u16::from_le_bytes([*bytes.get(30)?, *bytes.get(31)?]);
    if shift != 9 && shift != 12 {
        return None;
    }
    let sector_len = 1u64 << shift;
    let wanted = sector_len.checked_mul(entries.checked_add(1)?)?;
    if wanted > MAX_PADDED || wanted <= bytes.len() as u64 {
        return None;
    }
    bytes.resize(usize::try_from(wanted).ok()?, 0);
    Some(bytes)
}

/// The `msiinfo`-style short type of a column: `i2`, `i4`, `s72`, `s0`, `v0`.
pub fn table_kind_name(kind: ColumnKind) -> String {
    match kind {
        ColumnKind::Int16 => "i2".into(),
        ColumnKind::Int32 => "i4".into(),
        ColumnKind::Str(0) => "s0".into(),
        ColumnKind::Str(n) => format!("s{n}"),
        ColumnKind::Binary => "v0".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_and_stream_reader_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Package>();
    }
}
