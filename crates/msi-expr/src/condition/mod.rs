//! Conditions: what `MsiEvaluateCondition` evaluates ("Conditional Statement Syntax",
//! "MsiEvaluateCondition function").

mod ast;
mod eval;
mod parse;

use std::fmt;

use crate::error::ParseError;
use crate::lookup::Lookup;

pub use parse::NEST_LIMIT;

/// What `MsiEvaluateCondition` returns.
///
/// `result as i32` is the `MSICONDITION_*` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ConditionResult {
    /// `MSICONDITION_FALSE` (0): the expression is false.
    False = 0,
    /// `MSICONDITION_TRUE` (1): the expression is true.
    True = 1,
    /// `MSICONDITION_NONE` (2): no expression (empty or only spaces).
    None = 2,
    /// `MSICONDITION_ERROR` (3): a syntax error.
    Error = 3,
}

impl ConditionResult {
    /// The Windows name, `MSICONDITION_TRUE` etc.
    pub fn name(self) -> &'static str {
        match self {
            ConditionResult::False => "MSICONDITION_FALSE",
            ConditionResult::True => "MSICONDITION_TRUE",
            ConditionResult::None => "MSICONDITION_NONE",
            ConditionResult::Error => "MSICONDITION_ERROR",
        }
    }

    /// The lower-case word `rmsi condition` prints: `false`, `true`, `none` or `error`.
    pub fn word(self) -> &'static str {
        match self {
            ConditionResult::False => "false",
            ConditionResult::True => "true",
            ConditionResult::None => "none",
            ConditionResult::Error => "error",
        }
    }

    /// Whether a sequence row or a `Condition` row with this condition runs: true and none do
    /// (an empty condition always runs), false and error do not.
    pub fn runs(self) -> bool {
        matches!(self, ConditionResult::True | ConditionResult::None)
    }
}

impl From<bool> for ConditionResult {
    fn from(b: bool) -> ConditionResult {
        if b {
            ConditionResult::True
        } else {
            ConditionResult::False
        }
    }
}

impl fmt::Display for ConditionResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// A parsed condition, borrowing its text; parse once and evaluate many times.
///
/// Invariant: `program` is a well-formed postfix program (each operator has its operands);
/// it is empty exactly when the condition was empty or only spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition<'a> {
    program: Vec<ast::Node<'a>>,
}

impl<'a> Condition<'a> {
    /// Parses a condition. An empty one (only spaces) parses to a condition that evaluates to
    /// [`ConditionResult::None`].
    pub fn parse(text: &'a str) -> Result<Condition<'a>, ParseError> {
        let mut program = Vec::new();
        parse::parse(text, &mut program)?;
        Ok(Condition { program })
    }

    /// Whether the condition is empty (evaluates to [`ConditionResult::None`]).
    pub fn is_empty(&self) -> bool {
        self.program.is_empty()
    }

    /// Evaluates the condition: true, false, or none if it is empty (never error: parsing
    /// succeeded and evaluation cannot fail).
    pub fn evaluate(&self, lookup: &dyn Lookup) -> ConditionResult {
        if self.program.is_empty() {
            return ConditionResult::None;
        }
        let mut ev = eval::Evaluator::new(lookup);
        for node in &self.program {
            ev.step(node);
        }
        ev.result().into()
    }
}

/// Evaluates a condition as `MsiEvaluateCondition` does with a valid install handle.
///
/// Any lexical or syntactic fault anywhere makes the result [`ConditionResult::Error`], even
/// when the part before it would decide the value (`1 OR (`). The text is not formatted:
/// `[…]` inside a literal is ordinary text.
pub fn evaluate_condition(expr: &str, lookup: &dyn Lookup) -> ConditionResult {
    // Evaluate while parsing: no program is built. Lookups have no side effects, so
    // evaluating the part before a syntax error is harmless.
    let mut ev = eval::Evaluator::new(lookup);
    match parse::parse(expr, &mut ev) {
        Ok(false) => ConditionResult::None,
        Ok(true) => ev.result().into(),
        Err(_) => ConditionResult::Error,
    }
}
