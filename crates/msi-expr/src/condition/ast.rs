//! The parsed form of a condition: a postfix (reverse Polish) program borrowing the input.
//!
//! Postfix keeps both the parser and the evaluator free of recursion, so no input can
//! overflow the stack, and it costs one flat vector instead of a tree of boxes.

use crate::lexer::{CmpOp, LogicOp, Prefix};

/// One operand, before it is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operand<'a> {
    /// A property name: a Symbol.
    Property(&'a str),
    /// `%NAME`: a Symbol.
    Env(&'a str),
    /// `"text"`: a Literal.
    Literal(&'a str),
    /// An integer token.
    Integer(i32),
    /// `$C`, `?C`, `&F`, `!F`: an Integer state, or the empty Literal for an unknown name.
    State(Prefix, &'a str),
}

/// One instruction of the postfix program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Node<'a> {
    /// Pushes the truth value of a lone operand.
    Value(Operand<'a>),
    /// Pushes the result of a comparison.
    Compare(Operand<'a>, CmpOp, Operand<'a>),
    /// Negates the top of the stack.
    Not,
    /// Combines the two topmost values.
    Logic(LogicOp),
}

/// Where the parser sends each instruction as it completes.
///
/// [`Condition`](crate::Condition) collects them; [`evaluate_condition`](crate::evaluate_condition)
/// evaluates them on the spot, so the common path never builds the program at all.
pub(crate) trait Sink<'a> {
    fn emit(&mut self, node: Node<'a>);
}

impl<'a> Sink<'a> for Vec<Node<'a>> {
    fn emit(&mut self, node: Node<'a>) {
        self.push(node);
    }
}
