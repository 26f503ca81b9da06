//! Shell Link (`.lnk`) files, as Microsoft's Shell Link Binary File Format ([MS-SHLLINK])
//! defines them: a ShellLinkHeader, a LinkTargetIDList, a LinkInfo, the StringData and
//! ExtraData blocks.
//!
//! [`ShellLink::to_bytes`] writes what Windows writes for a shortcut to a local file: the
//! item ID list of the target (the My Computer item, the drive item `C:\`, then one
//! file-system item per folder and the file, each with its Unicode long name in the
//! `0xBEEF0004` extension block), a LinkInfo whose LocalBasePath is the target's full path,
//! and the strings in Unicode. Wine's shell (and so `winemenubuilder`) takes the target
//! from LinkInfo when there is one and from the ID list otherwise; LinkInfo's path is ANSI,
//! so for a path that is not ASCII only the ID list is written, as its names are Unicode.
//! [`ShellLink::parse`] reads such a file back, from Windows or from here.
//!
//! Advertised shortcuts name a Darwin descriptor (the DarwinDataBlock) instead of a path:
//! [`darwin_descriptor`] builds one from the product, feature and component.

use crate::{Cursor, Error, Result};

/// The class identifier every Shell Link carries (`00021401-0000-0000-C000-000000000046`),
/// in its stored byte order.
const LINK_CLSID: [u8; 16] = [
    0x01, 0x14, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
];
/// My Computer's class identifier (`20D04FE0-3AEA-1069-A2D8-08002B30309D`), stored.
const MY_COMPUTER: [u8; 16] = [
    0xE0, 0x4F, 0xD0, 0x20, 0xEA, 0x3A, 0x69, 0x10, 0xA2, 0xD8, 0x08, 0x00, 0x2B, 0x30, 0x30, 0x9D,
];

// LinkFlags ("ShellLinkHeader").
const HAS_LINK_TARGET_ID_LIST: u32 = 1 << 0;
const HAS_LINK_INFO: u32 = 1 << 1;
const HAS_NAME: u32 = 1 << 2;
const HAS_RELATIVE_PATH: u32 = 1 << 3;
const HAS_WORKING_DIR: u32 = 1 << 4;
const HAS_ARGUMENTS: u32 = 1 << 5;
const HAS_ICON_LOCATION: u32 = 1 << 6;
const IS_UNICODE: u32 = 1 << 7;
const HAS_DARWIN_ID: u32 = 1 << 12;

const FILE_ATTRIBUTE_DIRECTORY: u32 = 0x10;
const FILE_ATTRIBUTE_ARCHIVE: u32 = 0x20;

/// The DarwinDataBlock's signature.
const DARWIN_BLOCK: u32 = 0xA000_0006;
const DARWIN_BLOCK_SIZE: u32 = 0x314;
/// The PropertyStoreDataBlock's signature.
const PROPERTY_STORE_BLOCK: u32 = 0xA000_0009;
/// The Serialized Property Storage's version ("1SPS").
const PROPERTY_STORAGE_VERSION: u32 = 0x5350_5331;
const VT_BOOL: u16 = 0x0B;
const VT_UI4: u16 = 0x13;
const VT_LPWSTR: u16 = 0x1F;
const VT_CLSID: u16 = 0x48;

/// `SW_SHOWNORMAL`, the ShowCommand of a shortcut that does not say otherwise.
pub const SW_SHOWNORMAL: u32 = 1;

/// A shortcut: what it points at and how it starts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellLink {
    /// The target's full Windows path (`C:\Program Files\App\app.exe`). Empty for an
    /// advertised shortcut read without a path.
    pub target: String,
    /// The target is a folder.
    pub target_is_folder: bool,
    /// The target's size in bytes (the header's FileSize), 0 when unknown.
    pub target_size: u32,
    /// NAME_STRING: the description (the shortcut's tooltip).
    pub description: Option<String>,
    /// RELATIVE_PATH: the target relative to the folder holding the `.lnk`.
    pub relative_path: Option<String>,
    /// WORKING_DIR.
    pub working_dir: Option<String>,
    /// COMMAND_LINE_ARGUMENTS.
    pub arguments: Option<String>,
    /// ICON_LOCATION: the file holding the icon.
    pub icon_location: Option<String>,
    /// IconIndex: the icon's index in that file.
    pub icon_index: i32,
    /// ShowCommand: `SW_SHOWNORMAL` (1), `SW_SHOWMAXIMIZED` (3) or `SW_SHOWMINNOACTIVE` (7).
    pub show_command: u32,
    /// HotKey: the virtual-key code in the low byte, the modifiers (1 Shift, 2 Ctrl, 4 Alt)
    /// in the high byte.
    pub hotkey: u16,
    /// The Darwin descriptor of an advertised shortcut (the DarwinDataBlock).
    pub darwin: Option<String>,
    /// Shell properties (the PropertyStoreDataBlock), in the order given.
    pub properties: Vec<ShellProperty>,
}

/// A property of the Windows property system set on a shortcut (MsiShortcutProperty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellProperty {
    /// The property set's format identifier (`{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`).
    pub format_id: String,
    /// The property identifier within the set.
    pub id: u32,
    /// The value.
    pub value: PropValue,
}

/// A property's value, in the types shortcut properties use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropValue {
    /// `VT_LPWSTR`.
    Str(String),
    /// `VT_BOOL`.
    Bool(bool),
    /// `VT_UI4`.
    U32(u32),
    /// `VT_CLSID` (`{XXXXXXXX-...}`).
    Clsid(String),
}

impl ShellLink {
    /// A shortcut to `target` (a full Windows path), shown normally, with nothing else set.
    pub fn new(target: impl Into<String>) -> ShellLink {
        ShellLink {
            target: target.into(),
            target_is_folder: false,
            target_size: 0,
            description: None,
            relative_path: None,
            working_dir: None,
            arguments: None,
            icon_location: None,
            icon_index: 0,
            show_command: SW_SHOWNORMAL,
            hotkey: 0,
            darwin: None,
            properties: Vec::new(),
        }
    }

    /// The `.lnk` file's bytes. The target must be a full path on a drive (`X:\...`).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let (drive, parts) = split_drive_path(&self.target)?;
        let ascii = self.target.is_ascii();
        let strings = [
            (HAS_NAME, &self.description),
            (HAS_RELATIVE_PATH, &self.relative_path),
            (HAS_WORKING_DIR, &self.working_dir),
            (HAS_ARGUMENTS, &self.arguments),
            (HAS_ICON_LOCATION, &self.icon_location),
        ];
        let mut flags = HAS_LINK_TARGET_ID_LIST | IS_UNICODE;
        if ascii {
            flags |= HAS_LINK_INFO;
        }
        for (flag, s) in &strings {
            if s.as_deref().is_some_and(|s| !s.is_empty()) {
                flags |= flag;
            }
        }
        if self.darwin.is_some() {
            flags |= HAS_DARWIN_ID;
        }
        let mut out = Vec::with_capacity(512);
        // ShellLinkHeader.
        out.extend_from_slice(&0x4Cu32.to_le_bytes());
        out.extend_from_slice(&LINK_CLSID);
        out.extend_from_slice(&flags.to_le_bytes());
        let attributes = if self.target_is_folder {
            FILE_ATTRIBUTE_DIRECTORY
        } else {
            FILE_ATTRIBUTE_ARCHIVE
        };
        out.extend_from_slice(&attributes.to_le_bytes());
        out.extend_from_slice(&[0; 24]); // CreationTime, AccessTime, WriteTime: unknown.
        out.extend_from_slice(&self.target_size.to_le_bytes());
        out.extend_from_slice(&self.icon_index.to_le_bytes());
        out.extend_from_slice(&self.show_command.to_le_bytes());
        out.extend_from_slice(&self.hotkey.to_le_bytes());
        out.extend_from_slice(&[0; 10]); // Reserved1, Reserved2, Reserved3.

        // LinkTargetIDList.
        let mut ids = Vec::new();
        let mut root = vec![0x1F, 0x50];
        root.extend_from_slice(&MY_COMPUTER);
        push_item(&mut ids, &root)?;
        let mut drive_item = vec![0x2F];
        drive_item.extend_from_slice(format!("{drive}:\\").as_bytes());
        drive_item.resize(23, 0);
        push_item(&mut ids, &drive_item)?;
        for (i, name) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let folder = !last || self.target_is_folder;
            let size = if last { self.target_size } else { 0 };
            push_item(&mut ids, &file_item(name, folder, size))?;
        }
        ids.extend_from_slice(&[0, 0]); // TerminalID.
        let ids_len = u16::try_from(ids.len()).map_err(|_| too_long("LinkTargetIDList"))?;
        out.extend_from_slice(&ids_len.to_le_bytes());
        out.extend_from_slice(&ids);

        // LinkInfo: VolumeIDAndLocalBasePath, a fixed drive.
        if ascii {
            let mut volume = Vec::new();
            volume.extend_from_slice(&0x11u32.to_le_bytes()); // VolumeIDSize
            volume.extend_from_slice(&3u32.to_le_bytes()); // DRIVE_FIXED
            volume.extend_from_slice(&0u32.to_le_bytes()); // DriveSerialNumber
            volume.extend_from_slice(&0x10u32.to_le_bytes()); // VolumeLabelOffset
            volume.push(0); // an empty label
            let header = 0x1Cu32;
            let volume_at = header;
            let base_at = volume_at + volume.len() as u32;
            let suffix_at = base_at + self.target.len() as u32 + 1;
            let size = suffix_at + 1;
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&header.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes()); // VolumeIDAndLocalBasePath
            out.extend_from_slice(&volume_at.to_le_bytes());
            out.extend_from_slice(&base_at.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes()); // CommonNetworkRelativeLinkOffset
            out.extend_from_slice(&suffix_at.to_le_bytes());
            out.extend_from_slice(&volume);
            out.extend_from_slice(self.target.as_bytes());
            out.push(0);
            out.push(0); // CommonPathSuffix: empty.
        }

        // StringData, in the order the format fixes.
        for (flag, s) in &strings {
            if flags & flag != 0
                && let Some(s) = s
            {
                let units: Vec<u16> = s.encode_utf16().collect();
                let n = u16::try_from(units.len()).map_err(|_| too_long("StringData"))?;
                out.extend_from_slice(&n.to_le_bytes());
                for u in units {
                    out.extend_from_slice(&u.to_le_bytes());
                }
            }
        }

        // ExtraData.
        if let Some(d) = &self.darwin {
            let units: Vec<u16> = d.encode_utf16().collect();
            if units.len() >= 260 || !d.is_ascii() {
                return Err(Error::Malformed {
                    what: "DarwinDataBlock",
                    why: "the descriptor must be ASCII and shorter than 260 characters".into(),
                });
            }
            out.extend_from_slice(&DARWIN_BLOCK_SIZE.to_le_bytes());
            out.extend_from_slice(&DARWIN_BLOCK.to_le_bytes());
            let mut ansi = d.as_bytes().to_vec();
            ansi.resize(260, 0);
            out.extend_from_slice(&ansi);
            let mut wide = Vec::with_capacity(520);
            for u in units {
                wide.extend_from_slice(&u.to_le_bytes());
            }
            wide.resize(520, 0);
            out.extend_from_slice(&wide);
        }
        if !self.properties.is_empty() {
            let store = property_store(&self.properties)?;
            let size =
                u32::try_from(store.len() + 8).map_err(|_| too_long("PropertyStoreDataBlock"))?;
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&PROPERTY_STORE_BLOCK.to_le_bytes());
            out.extend_from_slice(&store);
        }
        out.extend_from_slice(&0u32.to_le_bytes()); // TerminalBlock.
        Ok(out)
    }

    /// Reads a `.lnk` file: the target from LinkInfo when it has a local path, from the item
    /// ID list otherwise.
    pub fn parse(data: &[u8]) -> Result<ShellLink> {
        let mut c = Cursor::new(data, "ShellLinkHeader");
        if c.u32()? != 0x4C || c.bytes(16)? != LINK_CLSID {
            return Err(Error::Malformed {
                what: "ShellLinkHeader",
                why: "not a Shell Link (wrong header size or class identifier)".into(),
            });
        }
        let flags = c.u32()?;
        let attributes = c.u32()?;
        c.bytes(24)?;
        let target_size = c.u32()?;
        let icon_index = c.u32()? as i32;
        let show_command = c.u32()?;
        let hotkey = c.u16()?;
        c.bytes(10)?;
        let mut id_path = None;
        if flags & HAS_LINK_TARGET_ID_LIST != 0 {
            let n = usize::from(c.u16()?);
            let ids = c.bytes(n)?;
            id_path = path_of_ids(ids)?;
        }
        let mut info_path = None;
        if flags & HAS_LINK_INFO != 0 {
            let start = c.pos();
            let size = Cursor::at(data, start, "LinkInfo").u32()? as usize;
            let info = c.bytes(size)?;
            info_path = link_info_path(info, start)?;
        }
        let unicode = flags & IS_UNICODE != 0;
        let mut strings: [Option<String>; 5] = Default::default();
        for (i, flag) in [
            HAS_NAME,
            HAS_RELATIVE_PATH,
            HAS_WORKING_DIR,
            HAS_ARGUMENTS,
            HAS_ICON_LOCATION,
        ]
        .into_iter()
        .enumerate()
        {
            if flags & flag != 0 {
                let n = usize::from(c.u16()?);
                strings[i] = Some(if unicode {
                    let b = c.bytes(n * 2)?;
                    utf16(b)
                } else {
                    String::from_utf8_lossy(c.bytes(n)?).into_owned()
                });
            }
        }
        let mut darwin = None;
        let mut properties = Vec::new();
        // ExtraData: blocks until the terminal block (a size below 4) or the data's end.
        loop {
            let at = c.pos();
            if at + 4 > data.len() {
                break;
            }
            let size = c.u32()? as usize;
            if size < 4 {
                break;
            }
            let block = Cursor::at(data, at, "ExtraData").bytes(size)?;
            c = Cursor::at(data, at + size, "ExtraData");
            let signature = if size >= 8 {
                u32::from_le_bytes([block[4], block[5], block[6], block[7]])
            } else {
                0
            };
            if signature == PROPERTY_STORE_BLOCK {
                properties.extend(read_property_store(&block[8..])?);
            }
            if signature == DARWIN_BLOCK {
                if size < DARWIN_BLOCK_SIZE as usize {
                    return Err(Error::Truncated {
                        what: "DarwinDataBlock",
                        at: at + size,
                    });
                }
                let wide = utf16_z(&block[8 + 260..8 + 260 + 520]);
                darwin = Some(if wide.is_empty() {
                    latin1_z(&block[8..8 + 260])
                } else {
                    wide
                });
            }
        }
        let [
            description,
            relative_path,
            working_dir,
            arguments,
            icon_location,
        ] = strings;
        Ok(ShellLink {
            target: info_path.or(id_path).unwrap_or_default(),
            target_is_folder: attributes & FILE_ATTRIBUTE_DIRECTORY != 0,
            target_size,
            description,
            relative_path,
            working_dir,
            arguments,
            icon_location,
            icon_index,
            show_command,
            hotkey,
            darwin,
            properties,
        })
    }
}

fn too_long(what: &'static str) -> Error {
    Error::Malformed {
        what,
        why: "longer than the format can hold".into(),
    }
}

/// `X:\a\b` → (`X`, [`a`, `b`]).
fn split_drive_path(path: &str) -> Result<(char, Vec<&str>)> {
    let mut chars = path.chars();
    let (Some(drive), Some(':'), Some('\\')) = (chars.next(), chars.next(), chars.next()) else {
        return Err(Error::Malformed {
            what: "ShellLink target",
            why: format!("{path:?} is not a full path on a drive (X:\\...)"),
        });
    };
    if !drive.is_ascii_alphabetic() {
        return Err(Error::Malformed {
            what: "ShellLink target",
            why: format!("{path:?} does not start with a drive letter"),
        });
    }
    let parts = path[3..].split('\\').filter(|p| !p.is_empty()).collect();
    Ok((drive.to_ascii_uppercase(), parts))
}

/// Appends an ItemID (its size, then `data`).
fn push_item(ids: &mut Vec<u8>, data: &[u8]) -> Result<()> {
    let size = u16::try_from(data.len() + 2).map_err(|_| too_long("ItemID"))?;
    ids.extend_from_slice(&size.to_le_bytes());
    ids.extend_from_slice(data);
    Ok(())
}

/// A file-system item (without its size field): type 0x31 (folder) or 0x32 (file), the
/// size, the DOS date and time (unknown: 0), the attributes, the primary name in ASCII,
/// then the `0xBEEF0004` extension block (version 3) with the long name in Unicode, and
/// the offset of that block as the item's last word.
fn file_item(name: &str, folder: bool, size: u32) -> Vec<u8> {
    let mut item = vec![if folder { 0x31 } else { 0x32 }, 0];
    item.extend_from_slice(&size.to_le_bytes());
    item.extend_from_slice(&[0, 0, 0, 0]);
    let attributes = if folder {
        FILE_ATTRIBUTE_DIRECTORY
    } else {
        FILE_ATTRIBUTE_ARCHIVE
    } as u16;
    item.extend_from_slice(&attributes.to_le_bytes());
    item.extend(name.chars().map(|ch| {
        if ch.is_ascii() && ch != '\0' {
            ch as u8
        } else {
            b'_'
        }
    }));
    item.push(0);
    // Offsets count from the item's start, its 2-byte size included; the block is
    // word-aligned.
    if (item.len() + 2) % 2 == 1 {
        item.push(0);
    }
    let ext_at = (item.len() + 2) as u16;
    let units: Vec<u16> = name.encode_utf16().collect();
    let ext_size = (20 + 2 * (units.len() + 1) + 2) as u16;
    item.extend_from_slice(&ext_size.to_le_bytes());
    item.extend_from_slice(&3u16.to_le_bytes()); // version
    item.extend_from_slice(&0xBEEF_0004u32.to_le_bytes());
    item.extend_from_slice(&[0; 8]); // creation, last access: unknown
    item.extend_from_slice(&0x14u16.to_le_bytes()); // version 3's identifier
    item.extend_from_slice(&0u16.to_le_bytes()); // no localized name
    for u in units {
        item.extend_from_slice(&u.to_le_bytes());
    }
    item.extend_from_slice(&[0, 0]);
    item.extend_from_slice(&ext_at.to_le_bytes());
    item
}

/// The path an item ID list names, when it is My Computer, a drive and file-system items.
fn path_of_ids(ids: &[u8]) -> Result<Option<String>> {
    let mut c = Cursor::new(ids, "LinkTargetIDList");
    let mut path = String::new();
    loop {
        let size = usize::from(c.u16()?);
        if size == 0 {
            break;
        }
        if size < 3 {
            return Err(Error::Malformed {
                what: "ItemID",
                why: format!("size {size}"),
            });
        }
        let item = c.bytes(size - 2)?;
        match item[0] & 0x70 {
            0x10 => {} // the root folder (My Computer)
            0x20 => {
                // A drive: "C:\".
                let name = latin1_z(&item[1..]);
                path = name.trim_end_matches('\\').to_string();
            }
            0x30 => {
                if path.is_empty() {
                    return Ok(None);
                }
                path.push('\\');
                path.push_str(&item_long_name(item));
            }
            _ => return Ok(None),
        }
    }
    Ok((!path.is_empty()).then_some(path))
}

/// A file-system item's name: the extension block's Unicode long name when the item has a
/// valid one, its primary name otherwise.
fn item_long_name(item: &[u8]) -> String {
    // `item` starts after the 2-byte size; offsets in it count that size.
    let full = item.len() + 2;
    let primary = latin1_z(item.get(12..).unwrap_or(&[]));
    if item.len() < 2 {
        return primary;
    }
    let at = usize::from(u16::from_le_bytes([
        item[item.len() - 2],
        item[item.len() - 1],
    ]));
    if at % 2 == 1 || at < 16 || at + 24 > full {
        return primary;
    }
    let ext = &item[at - 2..];
    let ext_size = usize::from(u16::from_le_bytes([ext[0], ext[1]]));
    let sig = u32::from_le_bytes([ext[4], ext[5], ext[6], ext[7]]);
    if at + ext_size != full || sig != 0xBEEF_0004 {
        return primary;
    }
    let version = u16::from_le_bytes([ext[2], ext[3]]);
    // The long name's offset in the block grows with the version (3: 20; 7: 46; 8: 50; 9: 52).
    let name_at = match version {
        3 => 20,
        7 => 46,
        8 => 50,
        9.. => 52,
        _ => return primary,
    };
    match ext.get(name_at..ext.len().saturating_sub(2)) {
        Some(b) => {
            let name = utf16_z(b);
            if name.is_empty() { primary } else { name }
        }
        None => primary,
    }
}

/// LinkInfo's local path: LocalBasePath (Unicode when the header has it) then
/// CommonPathSuffix.
fn link_info_path(info: &[u8], start: usize) -> Result<Option<String>> {
    let mut c = Cursor::new(info, "LinkInfo");
    c.u32()?;
    let header = c.u32()? as usize;
    let flags = c.u32()?;
    let _volume = c.u32()?;
    let base = c.u32()? as usize;
    let _network = c.u32()?;
    let suffix = c.u32()? as usize;
    if flags & 1 == 0 {
        return Ok(None);
    }
    let field = |at: usize, wide: bool| -> Result<String> {
        let b = info.get(at..).ok_or(Error::Truncated {
            what: "LinkInfo",
            at: start + info.len(),
        })?;
        Ok(if wide { utf16_z(b) } else { latin1_z(b) })
    };
    if header >= 0x24 {
        let base_w = c.u32()? as usize;
        let suffix_w = c.u32()? as usize;
        return Ok(Some(join_suffix(
            field(base_w, true)?,
            &field(suffix_w, true)?,
        )));
    }
    Ok(Some(join_suffix(
        field(base, false)?,
        &field(suffix, false)?,
    )))
}

fn join_suffix(mut base: String, suffix: &str) -> String {
    if !suffix.is_empty() {
        if !base.ends_with('\\') {
            base.push('\\');
        }
        base.push_str(suffix);
    }
    base
}

fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

fn utf16_z(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

fn latin1_z(b: &[u8]) -> String {
    b.iter()
        .take_while(|&&x| x != 0)
        .map(|&x| x as char)
        .collect()
}

/// RELATIVE_PATH: `target` relative to the folder `from` (both full Windows paths, names
/// compared without case), e.g. `..\..\Program Files\App\app.exe`. `None` when they are on
/// different drives.
pub fn relative_path(from: &str, target: &str) -> Option<String> {
    let (fd, fparts) = split_drive_path(from).ok()?;
    let (td, tparts) = split_drive_path(target).ok()?;
    if fd != td {
        return None;
    }
    let common = fparts
        .iter()
        .zip(&tparts)
        .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
        .count();
    let mut out: Vec<&str> = Vec::new();
    if common == fparts.len() {
        out.push(".");
    }
    out.extend(std::iter::repeat_n("..", fparts.len() - common));
    out.extend(&tparts[common..]);
    Some(out.join("\\"))
}

/// The characters of the Darwin descriptor's base-85 encoding of GUIDs.
const BASE85: &[u8; 85] =
    b"!$%&'()*+,-.0123456789=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{}~";

/// A GUID (`{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`) in the 20 characters a Darwin
/// descriptor stores it as: its 16 stored bytes as four little-endian 32-bit words, each
/// in five base-85 digits, lowest first.
pub fn compress_guid(guid: &str) -> Option<String> {
    let hex: String = guid
        .trim_matches(|c| c == '{' || c == '}')
        .chars()
        .filter(|&c| c != '-')
        .collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).ok();
    let mut raw = Vec::with_capacity(16);
    for i in 0..16 {
        raw.push(byte(i)?);
    }
    // The GUID's first three fields are stored little-endian.
    raw[0..4].reverse();
    raw[4..6].reverse();
    raw[6..8].reverse();
    let mut out = String::with_capacity(20);
    for w in raw.chunks_exact(4) {
        let mut x = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        for _ in 0..5 {
            out.push(BASE85[(x % 85) as usize] as char);
            x /= 85;
        }
    }
    Some(out)
}

/// The Darwin descriptor of an advertised shortcut: the compressed product code, the
/// feature, `>` and the compressed component code.
pub fn darwin_descriptor(product: &str, feature: &str, component: &str) -> Option<String> {
    Some(format!(
        "{}{feature}>{}",
        compress_guid(product)?,
        compress_guid(component)?
    ))
}

/// A GUID's 16 stored bytes (its first three fields little-endian).
fn guid_bytes(guid: &str) -> Option<[u8; 16]> {
    let hex: String = guid
        .trim()
        .trim_matches(|c| c == '{' || c == '}')
        .chars()
        .filter(|&c| c != '-')
        .collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut raw = [0u8; 16];
    for (i, b) in raw.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).ok()?;
    }
    raw[0..4].reverse();
    raw[4..6].reverse();
    raw[6..8].reverse();
    Some(raw)
}

/// The text of a GUID's 16 stored bytes.
fn guid_text(b: &[u8]) -> String {
    format!(
        "{{{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}",
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_le_bytes([b[4], b[5]]),
        u16::from_le_bytes([b[6], b[7]]),
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
        b[14],
        b[15]
    )
}

fn bad_guid(guid: &str) -> Error {
    Error::Malformed {
        what: "PropertyStoreDataBlock",
        why: format!("{guid:?} is not a GUID"),
    }
}

/// The PropertyStoreDataBlock's PropertyStore: one Serialized Property Storage per format
/// identifier (in first-seen order), each value with an integer name, then an empty
/// storage ([MS-PROPSTORE] "Serialized Property Storage").
fn property_store(props: &[ShellProperty]) -> Result<Vec<u8>> {
    let mut formats: Vec<&str> = Vec::new();
    for p in props {
        if !formats.iter().any(|f| f.eq_ignore_ascii_case(&p.format_id)) {
            formats.push(&p.format_id);
        }
    }
    let mut out = Vec::new();
    for f in formats {
        let mut values = Vec::new();
        for p in props.iter().filter(|p| p.format_id.eq_ignore_ascii_case(f)) {
            let mut typed = Vec::new();
            match &p.value {
                PropValue::Str(s) => {
                    typed.extend_from_slice(&VT_LPWSTR.to_le_bytes());
                    typed.extend_from_slice(&[0, 0]);
                    let units: Vec<u16> = s.encode_utf16().chain([0]).collect();
                    typed.extend_from_slice(&(units.len() as u32).to_le_bytes());
                    for u in units {
                        typed.extend_from_slice(&u.to_le_bytes());
                    }
                    while typed.len() % 4 != 0 {
                        typed.push(0);
                    }
                }
                PropValue::Bool(b) => {
                    typed.extend_from_slice(&VT_BOOL.to_le_bytes());
                    typed.extend_from_slice(&[0, 0]);
                    typed.extend_from_slice(&(if *b { 0xFFFFu16 } else { 0 }).to_le_bytes());
                    typed.extend_from_slice(&[0, 0]);
                }
                PropValue::U32(v) => {
                    typed.extend_from_slice(&VT_UI4.to_le_bytes());
                    typed.extend_from_slice(&[0, 0]);
                    typed.extend_from_slice(&v.to_le_bytes());
                }
                PropValue::Clsid(g) => {
                    typed.extend_from_slice(&VT_CLSID.to_le_bytes());
                    typed.extend_from_slice(&[0, 0]);
                    typed.extend_from_slice(&guid_bytes(g).ok_or_else(|| bad_guid(g))?);
                }
            }
            // Value Size, Id, Reserved, the typed value.
            let size = (4 + 4 + 1 + typed.len()) as u32;
            values.extend_from_slice(&size.to_le_bytes());
            values.extend_from_slice(&p.id.to_le_bytes());
            values.push(0);
            values.extend_from_slice(&typed);
        }
        values.extend_from_slice(&0u32.to_le_bytes()); // the last value
        let size = u32::try_from(4 + 4 + 16 + values.len())
            .map_err(|_| too_long("Serialized Property Storage"))?;
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&PROPERTY_STORAGE_VERSION.to_le_bytes());
        out.extend_from_slice(&guid_bytes(f).ok_or_else(|| bad_guid(f))?);
        out.extend_from_slice(&values);
    }
    out.extend_from_slice(&0u32.to_le_bytes()); // the last storage
    Ok(out)
}

/// Reads a PropertyStore's integer-named values of the types [`PropValue`] holds (others
/// are skipped).
fn read_property_store(data: &[u8]) -> Result<Vec<ShellProperty>> {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let mut c = Cursor::at(data, at, "Serialized Property Storage");
        let size = c.u32()? as usize;
        if size == 0 {
            break;
        }
        let storage = Cursor::at(data, at, "Serialized Property Storage").bytes(size)?;
        let mut c = Cursor::at(storage, 4, "Serialized Property Storage");
        if c.u32()? != PROPERTY_STORAGE_VERSION {
            return Err(Error::Malformed {
                what: "Serialized Property Storage",
                why: "wrong version".into(),
            });
        }
        let format = c.bytes(16)?;
        let format_id = guid_text(format);
        // Name-based storages (the string-named set) are not shortcut properties.
        let by_name = format_id == "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}";
        let mut vat = c.pos();
        loop {
            let mut v = Cursor::at(storage, vat, "Serialized Property Value");
            let vsize = v.u32()? as usize;
            if vsize == 0 || by_name {
                break;
            }
            let value = Cursor::at(storage, vat, "Serialized Property Value").bytes(vsize)?;
            let mut v = Cursor::at(value, 4, "Serialized Property Value");
            let id = v.u32()?;
            v.bytes(1)?;
            let kind = v.u16()?;
            v.u16()?;
            let parsed = match kind {
                VT_LPWSTR => {
                    let n = v.u32()? as usize;
                    let b = v.bytes(n.saturating_mul(2))?;
                    Some(PropValue::Str(utf16_z(b)))
                }
                VT_BOOL => Some(PropValue::Bool(v.u16()? != 0)),
                VT_UI4 => Some(PropValue::U32(v.u32()?)),
                VT_CLSID => Some(PropValue::Clsid(guid_text(v.bytes(16)?))),
                _ => None,
            };
            if let Some(value) = parsed {
                out.push(ShellProperty {
                    format_id: format_id.clone(),
                    id,
                    value,
                });
            }
            vat += vsize;
        }
        at += size;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shortcut_reads_back_as_written() {
        let mut l = ShellLink::new(r"C:\Program Files\Example App\app.exe");
        l.target_size = 1234;
        l.description = Some("Example — the app".into());
        l.relative_path = relative_path(
            r"C:\ProgramData\Microsoft\Windows\Start Menu\Programs",
            &l.target,
        );
        l.working_dir = Some(r"C:\Program Files\Example App".into());
        l.arguments = Some(r#"--open "C:\a b.txt""#.into());
        l.icon_location = Some(r"C:\Windows\Installer\{X}\app.ico".into());
        l.icon_index = 2;
        l.show_command = 3;
        l.hotkey = 0x0641; // Ctrl+Alt+A
        let bytes = l.to_bytes().unwrap();
        let back = ShellLink::parse(&bytes).unwrap();
        assert_eq!(back, l);
        assert_eq!(
            back.relative_path.as_deref(),
            Some(r"..\..\..\..\..\Program Files\Example App\app.exe")
        );
    }

    #[test]
    fn the_header_is_the_formats() {
        let bytes = ShellLink::new(r"C:\a.txt").to_bytes().unwrap();
        assert_eq!(&bytes[0..4], &[0x4C, 0, 0, 0]);
        assert_eq!(&bytes[4..20], &LINK_CLSID);
        let flags = u32::from_le_bytes(bytes[20..24].try_into().unwrap());
        assert_eq!(flags, HAS_LINK_TARGET_ID_LIST | HAS_LINK_INFO | IS_UNICODE);
        // The ID list starts with My Computer, then the drive.
        assert_eq!(&bytes[78..82], &[0x14, 0, 0x1F, 0x50]);
        assert_eq!(&bytes[82..98], &MY_COMPUTER);
        assert_eq!(&bytes[98..104], &[0x19, 0, 0x2F, b'C', b':', b'\\']);
        assert_eq!(&bytes[bytes.len() - 4..], &[0, 0, 0, 0]);
    }

    #[test]
    fn a_path_that_is_not_ascii_is_read_from_the_id_list() {
        let l = ShellLink::new(r"C:\Programme\Größe\spiel.exe");
        let bytes = l.to_bytes().unwrap();
        let flags = u32::from_le_bytes(bytes[20..24].try_into().unwrap());
        assert_eq!(flags & HAS_LINK_INFO, 0);
        assert_eq!(ShellLink::parse(&bytes).unwrap().target, l.target);
    }

    #[test]
    fn the_id_list_alone_names_the_target() {
        let l = ShellLink::new(r"C:\Program Files\App\app.exe");
        let mut bytes = l.to_bytes().unwrap();
        // Clear HasLinkInfo and cut the LinkInfo out.
        let ids = usize::from(u16::from_le_bytes([bytes[76], bytes[77]]));
        let info_at = 78 + ids;
        let info_len = u32::from_le_bytes(bytes[info_at..info_at + 4].try_into().unwrap());
        bytes.drain(info_at..info_at + info_len as usize);
        bytes[20] &= !(HAS_LINK_INFO as u8);
        assert_eq!(ShellLink::parse(&bytes).unwrap().target, l.target);
    }

    #[test]
    fn a_folder_target() {
        let mut l = ShellLink::new(r"C:\Data");
        l.target_is_folder = true;
        let back = ShellLink::parse(&l.to_bytes().unwrap()).unwrap();
        assert!(back.target_is_folder);
        assert_eq!(back.target, r"C:\Data");
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_path(r"C:\a\b", r"C:\a\c\d.exe").as_deref(),
            Some(r"..\c\d.exe")
        );
        assert_eq!(
            relative_path(r"C:\a", r"C:\A\x.exe").as_deref(),
            Some(r".\x.exe")
        );
        assert_eq!(relative_path(r"C:\a", r"D:\x.exe"), None);
    }

    #[test]
    fn targets_must_be_full_paths() {
        assert!(ShellLink::new("app.exe").to_bytes().is_err());
        assert!(ShellLink::new(r"\\server\share\x").to_bytes().is_err());
    }

    #[test]
    fn broken_files_are_errors() {
        let bytes = ShellLink::new(r"C:\a\b.exe").to_bytes().unwrap();
        for n in [0, 10, 76, 80, 120] {
            assert!(ShellLink::parse(&bytes[..n]).is_err(), "cut at {n}");
        }
        let mut bad = bytes.clone();
        bad[4] ^= 0xFF;
        assert!(ShellLink::parse(&bad).is_err());
    }

    #[test]
    fn shell_properties_read_back() {
        let aumid = "{9F4C2855-9F79-4B39-A8D0-E1D42DE1D5F3}";
        let mut l = ShellLink::new(r"C:\x.exe");
        l.properties = vec![
            ShellProperty {
                format_id: aumid.into(),
                id: 5,
                value: PropValue::Str("Vendor.App".into()),
            },
            ShellProperty {
                format_id: aumid.into(),
                id: 9,
                value: PropValue::Bool(true),
            },
            ShellProperty {
                format_id: "{86D40B4D-9069-443C-819A-2A54090DCCEC}".into(),
                id: 12,
                value: PropValue::U32(2),
            },
            ShellProperty {
                format_id: aumid.into(),
                id: 26,
                value: PropValue::Clsid("{12345678-9ABC-DEF0-1234-56789ABCDEF0}".into()),
            },
        ];
        let bytes = l.to_bytes().unwrap();
        let back = ShellLink::parse(&bytes).unwrap();
        // Grouped by format: the AppUserModel set's three, then the other.
        let ids: Vec<u32> = back.properties.iter().map(|p| p.id).collect();
        assert_eq!(ids, [5, 9, 26, 12]);
        for p in &l.properties {
            assert!(back.properties.contains(p), "{p:?}");
        }
        // The block's layout: its signature, then the first storage's size and "1SPS".
        let sig = find(&bytes, &0xA000_0009u32.to_le_bytes());
        assert_eq!(&bytes[sig + 8..sig + 12], b"1SPS");
    }

    fn find(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len()).position(|w| w == needle).unwrap()
    }

    #[test]
    fn darwin_descriptors_compress_guids() {
        assert_eq!(BASE85.len(), 85);
        // The zero GUID is twenty zero digits.
        assert_eq!(
            compress_guid("{00000000-0000-0000-0000-000000000000}").as_deref(),
            Some("!!!!!!!!!!!!!!!!!!!!")
        );
        // 1 in the first stored byte: the first word is 1.
        assert_eq!(
            compress_guid("{00000001-0000-0000-0000-000000000000}").as_deref(),
            Some("$!!!!!!!!!!!!!!!!!!!")
        );
        let d = darwin_descriptor(
            "{12345678-1234-1234-1234-123456789012}",
            "Main",
            "{87654321-4321-4321-4321-210987654321}",
        )
        .unwrap();
        assert_eq!(d.len(), 20 + 4 + 1 + 20);
        assert_eq!(&d[20..25], "Main>");
        assert_eq!(compress_guid("nope"), None);
        let mut l = ShellLink::new(r"C:\x.exe");
        l.darwin = Some(d.clone());
        assert_eq!(
            ShellLink::parse(&l.to_bytes().unwrap()).unwrap().darwin,
            Some(d)
        );
    }
}
