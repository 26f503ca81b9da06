//! `rmsi condition` and `rmsi format`: the MSI expression languages from the command line.
//!
//! ```text
//! rmsi condition [--property NAME=VALUE]... [--unset NAME]... [--env NAME=VALUE]... [--] EXPR
//! rmsi format [--property NAME=VALUE]... [--unset NAME]... [--env NAME=VALUE]...
//!             [--fields-json JSON] [--no-package] [--] [TEMPLATE]
//! ```
//!
//! `condition` prints exactly one of `true`, `false`, `none`, `error` and a newline; `format`
//! prints the formatted string (which may hold NUL characters from `[~]`) and a newline. Both
//! exit 0 whatever the result: the result is output, never an exit status. Bad flags exit 2
//! with clap's usage message.
//!
//! Both see the properties a freshly opened package has on this machine (see
//! [`default_properties`]), then `--unset` removes some and `--property` sets others.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use msi_expr::{Field, Lookup, MapLookup, Record};

/// What both commands take: properties and environment.
#[derive(Debug, clap::Args)]
pub(crate) struct PropertyArgs {
    /// Sets a property (an empty VALUE removes it, as MsiSetProperty does).
    #[arg(long = "property", value_name = "NAME=VALUE", value_parser = parse_assignment)]
    property: Vec<(String, String)>,
    /// Removes a property the installer would otherwise set by itself.
    #[arg(long = "unset", value_name = "NAME")]
    unset: Vec<String>,
    /// Sets an environment variable the expression sees, over the process's own.
    #[arg(long = "env", value_name = "NAME=VALUE", value_parser = parse_assignment)]
    env: Vec<(String, String)>,
}

/// Lets `rmsi condition` and `rmsi format` take an EXPR or TEMPLATE that starts with `-`
/// without `--` when it cannot be a flag (`-1 >= 0`, `-[A]`): such an argument is moved
/// behind a `--` at the end, where clap takes it as the operand. Flag-shaped words
/// (`-x`, `--name`, `--name=value`) stay flags, so a bad flag is still a usage error, and
/// options written after the operand still work. Other subcommands are left alone.
pub(crate) fn operand_after_options(mut args: Vec<OsString>) -> Vec<OsString> {
    let is_expr_command = matches!(
        args.get(1).and_then(|a| a.to_str()),
        Some("condition" | "format")
    );
    if !is_expr_command || args.iter().any(|a| a == "--") {
        return args;
    }
    let mut index = 2;
    while index < args.len() {
        let arg = args[index].to_string_lossy();
        let takes_value = matches!(
            arg.as_ref(),
            "--property" | "--unset" | "--env" | "--fields-json"
        );
        if takes_value {
            index += 2;
            continue;
        }
        if arg.starts_with('-') && !is_flag_shaped(&arg) {
            let operand = args.remove(index);
            args.push("--".into());
            args.push(operand);
            break;
        }
        index += 1;
    }
    args
}

/// `-x`, `-xyz`, `--name` or `--name=value`, with ASCII letters for names: what a flag
/// looks like. A lone negative number is not flag-shaped either.
fn is_flag_shaped(arg: &str) -> bool {
    let name = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
    };
    match arg.strip_prefix("--") {
        Some(long) => name(long.split_once('=').map_or(long, |(n, _)| n)),
        None => arg.strip_prefix('-').is_some_and(name),
    }
}

/// Arguments of `rmsi condition`.
#[derive(Debug, clap::Args)]
pub(crate) struct ConditionArgs {
    #[command(flatten)]
    props: PropertyArgs,
    /// The condition. One that starts with `-` may follow `--`; it needs none unless it
    /// looks like a flag (`-1 >= 0` is taken as the condition).
    #[arg(value_name = "EXPR", allow_negative_numbers = true)]
    expr: String,
}

/// Arguments of `rmsi format`.
#[derive(Debug, clap::Args)]
pub(crate) struct FormatArgs {
    #[command(flatten)]
    props: PropertyArgs,
    /// Record fields 1..n as a JSON array: a string is a string field, an integer an integer
    /// field, null a null field.
    #[arg(long = "fields-json", value_name = "JSON", value_parser = parse_fields)]
    fields_json: Option<Fields>,
    /// Formats as MsiFormatRecord does without an install handle: only record fields and
    /// groups are processed.
    #[arg(long = "no-package")]
    no_package: bool,
    /// The template, record field 0 (without it, field 0 is null: `1: [1] 2: [2] ...`).
    #[arg(value_name = "TEMPLATE", allow_negative_numbers = true)]
    template: Option<String>,
}

/// Parsed `--fields-json` (a newtype so clap does not take `Vec` as "many values").
#[derive(Debug, Clone)]
pub(crate) struct Fields(Vec<Field>);

fn parse_assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("expected NAME=VALUE, got {text:?}")),
    }
}

fn parse_fields(text: &str) -> Result<Fields, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let serde_json::Value::Array(items) = value else {
        return Err("expected a JSON array of strings, integers and nulls".into());
    };
    if items.len() > msi_expr::MAX_FIELDS {
        return Err(format!(
            "a record holds at most {} fields",
            msi_expr::MAX_FIELDS
        ));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            serde_json::Value::Null => Ok(Field::Null),
            serde_json::Value::String(s) => Ok(Field::from(s)),
            serde_json::Value::Number(n) => n
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(Field::from)
                .ok_or_else(|| format!("field {}: {n} is not a 32-bit integer", i + 1)),
            other => Err(format!(
                "field {}: {other} is not a string, integer or null",
                i + 1
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Fields)
}

/// The lookup both commands use: defaults, then `--unset`, then `--property`, and the
/// process environment under `--env`.
fn lookup(args: &PropertyArgs) -> MapLookup {
    let mut l = MapLookup::new();
    for (name, value) in default_properties() {
        l.set_property(name, value);
    }
    for name in &args.unset {
        l.remove_property(name);
    }
    for (name, value) in &args.property {
        l.set_property(name.as_str(), value.as_str());
    }
    for (name, value) in &args.env {
        l.set_env(name, value.as_str());
    }
    l
}

/// Writes `text` and a newline to stdout; a closed pipe is not an error.
fn print_line(text: &str) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let written = out
        .write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("could not write to stdout")
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

pub(crate) fn run_condition(args: ConditionArgs) -> anyhow::Result<ExitCode> {
    let l = lookup(&args.props);
    print_line(msi_expr::evaluate_condition(&args.expr, &l).word())
}

pub(crate) fn run_format(args: FormatArgs) -> anyhow::Result<ExitCode> {
    let fields = args.fields_json.map(|f| f.0).unwrap_or_default();
    let template = args.template.as_deref().map_or(Field::Null, Field::from);
    let record = Record::with_fields(template, fields);
    let text = if args.no_package {
        msi_expr::format_record(&record, None)
    } else {
        let l = lookup(&args.props);
        msi_expr::format_record(&record, Some(&l as &dyn Lookup))
    };
    print_line(&text)
}

/// The properties a freshly opened package has on this machine, before its Property table:
/// the engine's own initialization table (`engine::machine_properties`) for root `/` in the
/// default `fhs` layout, so that `rmsi condition` and a real installation agree.
///
/// `UILevel` is 5, as for a package opened through the API (`MsiOpenPackage`), not the
/// level of a quiet `rmsi install`.
pub(crate) fn default_properties() -> Vec<(String, String)> {
    let opts = engine::InitOptions::new("/", engine::Layout::Fhs);
    engine::machine_properties(&opts)
        .into_iter()
        .map(|(name, value)| {
            let value = if name == "UILevel" {
                "5".to_owned()
            } else {
                value
            };
            (name.to_owned(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(args: &[&str]) -> Vec<String> {
        let args = args.iter().map(OsString::from).collect();
        operand_after_options(args)
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn an_operand_that_cannot_be_a_flag_goes_behind_a_double_dash() {
        assert_eq!(
            moved(&["rmsi", "condition", "-1 >= 0", "--property", "A=1"]),
            ["rmsi", "condition", "--property", "A=1", "--", "-1 >= 0"]
        );
        assert_eq!(
            moved(&["rmsi", "format", "--unset", "-x", "-[A]"]),
            ["rmsi", "format", "--unset", "-x", "--", "-[A]"]
        );
        // Flags stay flags (a bad one is still a usage error); `--` given is respected.
        for args in [
            &["rmsi", "condition", "--bogus", "1"][..],
            &["rmsi", "condition", "-x"],
            &["rmsi", "condition", "--property=A=1", "A"],
            &["rmsi", "condition", "--", "-1 >= 0"],
            &["rmsi", "install", "-1 >= 0"],
        ] {
            assert_eq!(moved(args), args);
        }
    }

    #[test]
    fn fields_json() {
        let f = parse_fields(r#"["a", 5, null, "", -2147483648]"#)
            .unwrap()
            .0;
        assert_eq!(
            f,
            vec![
                Field::from("a"),
                Field::Int(5),
                Field::Null,
                Field::Null,
                Field::Null
            ]
        );
        assert!(parse_fields("[1.5]").is_err());
        assert!(parse_fields("[true]").is_err());
        assert!(parse_fields("{}").is_err());
        assert!(parse_fields("[2147483648]").is_err());
        assert!(parse_assignment("=x").is_err());
        assert_eq!(
            parse_assignment("A=b=c").unwrap(),
            ("A".into(), "b=c".into())
        );
    }
}
