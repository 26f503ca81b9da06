//! Running the postfix program against a [`Lookup`].

use std::borrow::Cow;

use super::ast::{Node, Operand, Sink};
use crate::lexer::Prefix;
use crate::lookup::Lookup;
use crate::value::{Value, compare};

/// Looks an operand up ("Conditional Statement Syntax").
pub(crate) fn operand_value<'v>(op: &Operand<'v>, lookup: &'v dyn Lookup) -> Value<'v> {
    match *op {
        Operand::Property(name) => {
            Value::Symbol(lookup.property(name).unwrap_or(Cow::Borrowed("")))
        }
        Operand::Env(name) => Value::Symbol(lookup.env_var(name).unwrap_or(Cow::Borrowed(""))),
        Operand::Literal(text) => Value::Literal(Cow::Borrowed(text)),
        Operand::Integer(v) => Value::Int(v),
        Operand::State(prefix, name) => {
            let state = match prefix {
                Prefix::FeatureInstalled => lookup.feature_state(name).map(|s| s.0),
                Prefix::FeatureAction => lookup.feature_state(name).map(|s| s.1),
                Prefix::ComponentInstalled => lookup.component_state(name).map(|s| s.0),
                Prefix::ComponentAction | Prefix::Env => lookup.component_state(name).map(|s| s.1),
            };
            // An unknown feature or component is the empty literal (Windows-verified:
            // `&nofeature=""` is true). "No action" is the integer -1 ("Conditional Statement
            // Syntax"; other pages say "Null").
            match state {
                Some(s) => Value::Int(s as i32),
                None => Value::Literal(Cow::Borrowed("")),
            }
        }
    }
}

/// Evaluates instructions as the parser completes them, on a stack of booleans.
///
/// Invariant: the parser only emits a well-formed postfix program, so `Not` and `Logic`
/// always find their operands; a malformed one (which cannot happen) evaluates to false
/// rather than panicking.
pub(crate) struct Evaluator<'l> {
    lookup: &'l dyn Lookup,
    stack: Vec<bool>,
}

impl<'l> Evaluator<'l> {
    pub(crate) fn new(lookup: &'l dyn Lookup) -> Self {
        Evaluator {
            lookup,
            stack: Vec::new(),
        }
    }

    pub(crate) fn result(&self) -> bool {
        self.stack.last().copied().unwrap_or(false)
    }

    pub(crate) fn step(&mut self, node: &Node<'_>) {
        match node {
            Node::Value(op) => {
                let v = operand_value(op, self.lookup).truth();
                self.stack.push(v);
            }
            Node::Compare(l, op, r) => {
                let (l, r) = (operand_value(l, self.lookup), operand_value(r, self.lookup));
                self.stack.push(compare(&l, *op, &r));
            }
            Node::Not => {
                if let Some(top) = self.stack.last_mut() {
                    *top = !*top;
                }
            }
            Node::Logic(op) => {
                let b = self.stack.pop().unwrap_or(false);
                if let Some(a) = self.stack.last_mut() {
                    *a = op.apply(*a, b);
                }
            }
        }
    }
}

impl<'a> Sink<'a> for Evaluator<'_> {
    fn emit(&mut self, node: Node<'a>) {
        self.step(&node);
    }
}
