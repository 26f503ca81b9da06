//! Windows Installer's two small expression languages, exact to Windows.
//!
//! * **Conditions** ([`evaluate_condition`]) are what `MsiEvaluateCondition` evaluates: every
//!   `Condition` column of a package (sequence tables, `LaunchCondition`, `Condition`,
//!   `ControlCondition`, …). The result is a [`ConditionResult`]: true, false, none (an empty
//!   condition) or error (anything malformed).
//! * **Formatted strings** ([`format_record`], [`format_string`]) are what `MsiFormatRecord`
//!   expands and what every *Formatted* or *Template* column holds: `[Property]`, `[%ENV]`,
//!   `[#file]`, `[!file]`, `[$component]`, `[\x]`, `[~]`, record fields `[n]`, `{…}` groups and
//!   `{{…}}` log-only sections.
//!
//! The crate knows nothing of packages, of the engine or of the Restart Manager. Everything a
//! condition or a template reads from an installation (properties, environment variables,
//! feature and component states, file and component paths) comes through the [`Lookup`] trait,
//! which the engine implements over its property store; [`MapLookup`] is a plain map for tests
//! and the command line.
//!
//! The behaviour follows Microsoft's documentation ("Conditional Statement Syntax", "Formatted")
//! and the Windows-verified expectations in Wine's conformance tests (`dlls/msi/tests`), odd
//! corners included (unbalanced brackets, groups with unset properties, integer/string
//! comparisons, out-of-range integers). Where Microsoft's documentation and Wine's
//! implementation disagree, the documentation wins and the code says so where it matters
//! (logical operator precedence in [`condition`](crate::Condition)).
//!
//! # Input safety
//!
//! Both parsers are iterative: no input can overflow the stack. A condition nested deeper than
//! [`NEST_LIMIT`] (parentheses and `NOT`s together) is [`ConditionResult::Error`], so 100,000
//! parentheses are an error result, not a crash. Formatting needs no such limit and has none:
//! it is linear in the length of the text per pass, nested brackets are expanded on an explicit
//! stack, and property values are inserted verbatim (never re-scanned within a pass), so an
//! indirect chain `[[[…[P]…]]]` is as long as the template that spells it and no longer.
//! `MsiFormatRecord` has no error result for such input; the algorithm's answer is returned.
//! Both parsers are fuzzed (`fuzz/` at the repository root) and property-tested.
//!
//! # Example
//!
//! ```
//! use msi_expr::{evaluate_condition, format_string, ConditionResult, MapLookup};
//!
//! let mut props = MapLookup::new();
//! props.set_property("VersionNT", "601");
//! props.set_property("ProductName", "Widget");
//! assert_eq!(
//!     evaluate_condition("NOT Installed AND VersionNT >= 601", &props),
//!     ConditionResult::True
//! );
//! assert_eq!(format_string("Installing [ProductName]{ into [INSTALLDIR]}", &props), "Installing Widget");
//! ```

#![warn(missing_docs)]

mod condition;
mod cursor;
mod error;
mod format;
mod lexer;
mod lookup;
mod record;
mod value;

pub use condition::{Condition, ConditionResult, NEST_LIMIT, evaluate_condition};
pub use error::{ParseError, ParseErrorKind};
pub use format::{
    FormatOptions, format_record, format_record_with, format_string, format_string_with,
};
pub use lookup::{InstallState, Lookup, MapLookup, env_var_ignore_case};
pub use record::{Field, MAX_FIELDS, Record};
