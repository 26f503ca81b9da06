//! The closing lines of an installation or a removal (spec 6.1, 6.2): the `Note: 1: N`
//! message and its `Product: …` line, then the event-1033/1034-style summary real logs
//! carry. Installing and removing write the same lines with different words.

use crate::error::{Error, Outcome};
use crate::rm::AppInUse;
use crate::session::Session;

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
    s: &mut Session<'_, '_>,
    removal: bool,
    result: &std::result::Result<(), Error>,
    left: &[AppInUse],
) {
    let words = if removal { &REMOVAL } else { &INSTALLATION };
    let product = s.prop("ProductName").unwrap_or_default();
    let (note, text) = match result {
        Ok(()) => words.success,
        Err(_) => words.failure,
    };
    s.log.engine(&format!("Note: 1: {note} "));
    s.log.engine(&format!("Product: {product} -- {text}"));
    let status = match result {
        Ok(()) if s.reboot_required || !left.is_empty() => Outcome::RebootRequired.code(),
        Ok(()) => Outcome::Success.code(),
        Err(e) => e.code(),
    };
    s.log.line("");
    s.log.engine(&format!(
        "Windows Installer {} the product. Product Name: {product}. Product Version: {}. Product Language: {}. Manufacturer: {}. {} success or error status: {status}.",
        words.verb,
        s.prop("ProductVersion").unwrap_or_default(),
        s.prop("ProductLanguage").unwrap_or_default(),
        s.prop("Manufacturer").unwrap_or_default(),
        words.noun,
    ));
    s.log.line("");
}
