//! The cabinets a package file holds, read straight from its compound file before the
//! package is opened: an installer inflates them on a thread of its own while it reads the
//! tables and initialises (`rmsi`'s InstallFiles then only writes the files).
//!
//! A cabinet is told by its content (a stream that begins with `MSCF`, the cabinet
//! signature), not by the Media table, which is not read yet; the caller keeps the streams
//! the Media table names and drops the others. Transforms and patches may replace a stream
//! ([`Package::is_replaced`](crate::Package::is_replaced)): what was read here is then not
//! what the package holds.

use std::io::{self, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::Path;

use crate::error::{Error, Result};

/// Calls `each` with the name (as the Media table's `#name` names it) and a reader of every
/// stream at the root of the package file at `path` that begins with the cabinet signature,
/// in the file's directory order, until `each` breaks.
pub fn for_each_cabinet(
    path: &Path,
    mut each: impl FnMut(&str, &mut dyn ReadSeek) -> ControlFlow<()>,
) -> Result<()> {
    let failed = |source: io::Error| Error::PackageOpenFailed {
        path: path.to_path_buf(),
        source,
    };
    let file = fs_err::File::open(path).map_err(failed)?;
    // A stream's small reads (its signature, a cabinet's header) fill cfb's buffer with up
    // to this much of it (1 MiB by default: a megabyte read to look at four bytes); a
    // cabinet's data is read in larger pieces, straight into the reader's own buffer.
    let mut file = cfb::OpenOptions::new()
        .max_buffer_size(16 * 1024)
        .open_with(crate::seekbuf::SeekBuf::new(file).map_err(failed)?)
        .map_err(failed)?;
    let streams: Vec<(String, std::path::PathBuf)> = file
        .read_root_storage()
        .filter(|e| e.is_stream())
        .filter_map(|e| match crate::streamname::decode(e.name()) {
            (name, false) => Some((name, e.path().to_path_buf())),
            (_, true) => None,
        })
        .collect();
    for (name, at) in streams {
        let Ok(mut stream) = file.open_stream(&at) else {
            continue;
        };
        let mut signature = [0u8; 4];
        if stream.read_exact(&mut signature).is_err() || &signature != b"MSCF" {
            continue;
        }
        if stream.seek(SeekFrom::Start(0)).is_err() {
            continue;
        }
        if each(&name, &mut stream).is_break() {
            break;
        }
    }
    Ok(())
}

/// A stream [`for_each_cabinet`] hands out.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}
