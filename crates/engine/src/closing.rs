//! The closing lines of an installation or a removal: the `Note: 1: N` message and its
//! `Product: …` line (messages 1707/1708, 1724/1725 of "Windows Installer Error Messages"),
//! then the summary of events 1033/1034 that real logs carry. Installing and removing
//! write the same lines with different words.

use crate::error::{Error, Outcome};
use crate::log::Log;
use crate::ui::AppInUse;

/// What the closing lines say about the run, gathered by the session.
pub(crate) struct Facts {
    /// `ProductName`.
    pub(crate) product: String,
    /// `ProductVersion`.
    pub(crate) version: String,
    /// `ProductLanguage`.
    pub(crate) language: String,
    /// `Manufacturer`.
    pub(crate) manufacturer: String,
    /// A restart is required (a success is then 3010).
    pub(crate) reboot_required: bool,
}

/// The words one kind of run closes with.
struct Words {
    /// The message number and the `Product: … -- ` text of a success.
    success: (&'static str, &'static str),
    /// The same for a failure.
    failure: (&'static str, &'static str),
    /// `installed` or `removed` (the product).
    verb: &'static str,
    /// `Installation` or `Removal` (success or error status).
    noun: &'static str,
}

const INSTALLATION: Words = Words {
    success: ("1707", "Installation completed successfully."),
    failure: ("1708", "Installation operation failed."),
    verb: "installed",
    noun: "Installation",
};

const REMOVAL: Words = Words {
    success: ("1724", "Removal completed successfully."),
    failure: ("1725", "Removal failed."),
    verb: "removed",
    noun: "Removal",
};

/// Writes the closing lines of the run: a removal's when `removal`, else an
/// installation's. `left` are the applications still running on replaced files (they make
/// a success 3010).
pub(crate) fn write(
    log: &mut Log,
    facts: &Facts,
    removal: bool,
    result: &std::result::Result<(), Error>,
    left: &[AppInUse],
) {
    let words = if removal { &REMOVAL } else { &INSTALLATION };
    let product = &facts.product;
    let (note, text) = match result {
        Ok(()) => words.success,
        Err(_) => words.failure,
    };
    log.engine(&format!("Note: 1: {note} "));
    log.engine(&format!("Product: {product} -- {text}"));
    let status = match result {
        Ok(()) if facts.reboot_required || !left.is_empty() => Outcome::RebootRequired.code(),
        Ok(()) => Outcome::Success.code(),
        Err(e) => e.code(),
    };
    log.line("");
    log.engine(&format!(
        "Windows Installer {} the product. Product Name: {product}. Product Version: {}. Product Language: {}. Manufacturer: {}. {} success or error status: {status}.",
        words.verb,
        facts.version,
        facts.language,
        facts.manufacturer,
        words.noun,
    ));
    log.line("");
}
