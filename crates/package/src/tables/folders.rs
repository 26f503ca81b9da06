//! CreateFolder, RemoveFile, DuplicateFile and MoveFile: the tables that
//! create, remove, copy and move files and folders beside the File table.

use super::{Table, read_all};
use crate::error::Result;

/// A CreateFolder row: `directory` is created with `component`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateFolderRow {
    /// The Directory key.
    pub directory: String,
    /// The Component key.
    pub component: String,
}

/// Reads the CreateFolder table.
pub fn read_create_folders(table: Option<&Table>) -> Result<Vec<CreateFolderRow>> {
    read_all(table, |row| {
        Ok(CreateFolderRow {
            directory: row.str("Directory_")?,
            component: row.str("Component_")?,
        })
    })
}

/// `msidbRemoveFileInstallModeOnInstall`.
pub const REMOVE_ON_INSTALL: i32 = 1;
/// `msidbRemoveFileInstallModeOnRemove`.
pub const REMOVE_ON_REMOVE: i32 = 2;
/// `msidbRemoveFileInstallModeOnBoth`.
pub const REMOVE_ON_BOTH: i32 = 3;

/// A RemoveFile row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveFileRow {
    /// The key.
    pub file_key: String,
    /// The Component key.
    pub component: String,
    /// The file name (`short|long`, wildcards allowed); `None` ⇒ remove the
    /// folder itself if empty.
    pub file_name: Option<String>,
    /// The property holding the folder's full path.
    pub dir_property: String,
    /// 1 on install, 2 on remove, 3 both.
    pub install_mode: i32,
}

/// Reads the RemoveFile table.
pub fn read_remove_files(table: Option<&Table>) -> Result<Vec<RemoveFileRow>> {
    read_all(table, |row| {
        Ok(RemoveFileRow {
            file_key: row.str("FileKey")?,
            component: row.str("Component_")?,
            file_name: row.opt_str("FileName"),
            dir_property: row.str("DirProperty")?,
            install_mode: row.int("InstallMode")?,
        })
    })
}

/// A DuplicateFile row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateFileRow {
    /// The key.
    pub file_key: String,
    /// The Component key.
    pub component: String,
    /// The File key of the original.
    pub file: String,
    /// The new name (`None` ⇒ the original's).
    pub dest_name: Option<String>,
    /// The property holding the destination folder (`None` ⇒ the
    /// original's folder).
    pub dest_folder: Option<String>,
}

/// Reads the DuplicateFile table.
pub fn read_duplicate_files(table: Option<&Table>) -> Result<Vec<DuplicateFileRow>> {
    read_all(table, |row| {
        Ok(DuplicateFileRow {
            file_key: row.str("FileKey")?,
            component: row.str("Component_")?,
            file: row.str("File_")?,
            dest_name: row.opt_str("DestName"),
            dest_folder: row.opt_str("DestFolder"),
        })
    })
}

/// `msidbMoveFileOptionsMove`: move rather than copy.
pub const MOVE_FILE_OPTION_MOVE: i32 = 1;

/// A MoveFile row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveFileRow {
    /// The key.
    pub file_key: String,
    /// The Component key.
    pub component: String,
    /// The source name (wildcards allowed; `None` ⇒ the source property
    /// holds a full file path).
    pub source_name: Option<String>,
    /// The destination name (`None` ⇒ keep).
    pub dest_name: Option<String>,
    /// The property holding the source folder.
    pub source_folder: Option<String>,
    /// The property holding the destination folder.
    pub dest_folder: String,
    /// 1 = move, 0 = copy.
    pub options: i32,
}

/// Reads the MoveFile table.
pub fn read_move_files(table: Option<&Table>) -> Result<Vec<MoveFileRow>> {
    read_all(table, |row| {
        Ok(MoveFileRow {
            file_key: row.str("FileKey")?,
            component: row.str("Component_")?,
            source_name: row.opt_str("SourceName"),
            dest_name: row.opt_str("DestName"),
            source_folder: row.opt_str("SourceFolder"),
            dest_folder: row.str("DestFolder")?,
            options: row.opt_int("Options")?.unwrap_or(0),
        })
    })
}
