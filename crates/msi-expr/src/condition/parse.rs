//! Tokens to postfix: an operator-precedence (shunting-yard) parser without recursion.
//!
//! Grammar and precedence as in "Conditional Statement Syntax":
//! `condition = [imp]`, `imp = eqv {IMP eqv}`, … down to `and = not {AND not}`,
//! `not = NOT not | primary`, `primary = "(" imp ")" | value [cmp value]`.
//! A comparison sits inside a primary, so it binds tighter than `NOT`
//! (`NOT A = B` is `NOT (A = B)`) and never chains (`(1 AND 1) = 2` is an error).

use super::ast::{Node, Operand, Sink};
use crate::error::{ParseError, ParseErrorKind};
use crate::lexer::{Lexer, LogicOp, Prefix, Token, TokenKind};

/// How deeply parentheses and `NOT`s (counted together) may nest before the condition is an
/// error (`MSICONDITION_ERROR`).
///
/// Windows' own limit is not documented. Wine's bison parser gives up ("memory exhausted",
/// hence an error) somewhere below 10,000 levels; real packages nest a handful. The parser
/// needs no stack for nesting, so the limit only bounds memory and keeps 100,000
/// parentheses an error rather than a long walk.
pub const NEST_LIMIT: usize = 1000;

#[derive(Debug, Clone, Copy)]
enum StackOp {
    /// An open `(` (its start offset, for the error span).
    Paren(usize),
    Not,
    Logic(LogicOp),
}

/// Parses `input`, sending the postfix program to `sink`. Returns `Ok(false)` for an empty
/// condition (only spaces), `Ok(true)` when something was emitted.
pub(crate) fn parse<'a>(input: &'a str, sink: &mut impl Sink<'a>) -> Result<bool, ParseError> {
    let mut lexer = Lexer::new(input);
    let err = |kind, span| Err(ParseError::new(kind, span, input));
    let mut stack: Vec<StackOp> = Vec::new();
    let mut nest = 0usize;
    let mut tok = lexer.next_token()?;
    if tok.kind == TokenKind::End {
        return Ok(false);
    }
    loop {
        // Operand position: any number of NOT and "(", then a primary. `NOT NOT x` is
        // accepted as Wine does, though the grammar of "Conditional Statement
        // Syntax" has one NOT per term.
        while matches!(tok.kind, TokenKind::Not | TokenKind::LParen) {
            if nest >= NEST_LIMIT {
                return err(ParseErrorKind::NestTooDeep, tok.span());
            }
            nest += 1;
            stack.push(if tok.kind == TokenKind::Not {
                StackOp::Not
            } else {
                StackOp::Paren(tok.start)
            });
            tok = lexer.next_token()?;
        }
        let (left, next) = operand(&mut lexer, tok)?;
        tok = next;
        if let TokenKind::Cmp(op) = tok.kind {
            let first = lexer.next_token()?;
            let (right, next) = operand(&mut lexer, first)?;
            tok = next;
            sink.emit(Node::Compare(left, op, right));
        } else {
            sink.emit(Node::Value(left));
        }
        // Operator position: any number of ")", then a logical operator or the end.
        loop {
            match tok.kind {
                TokenKind::RParen => {
                    loop {
                        match stack.pop() {
                            Some(StackOp::Paren(_)) => break,
                            Some(StackOp::Not) => {
                                nest -= 1;
                                sink.emit(Node::Not);
                            }
                            Some(StackOp::Logic(op)) => sink.emit(Node::Logic(op)),
                            None => return err(ParseErrorKind::UnmatchedParen, tok.span()),
                        }
                    }
                    nest -= 1;
                    // NOTs directly before the "(" stay pending, like any NOT before a value.
                    tok = lexer.next_token()?;
                }
                TokenKind::Logic(op) => {
                    // Left-associative: pop everything that binds at least as tightly.
                    // A pending NOT always does (NOT binds tighter than every binary operator).
                    while let Some(&top) = stack.last() {
                        match top {
                            StackOp::Not => {
                                nest -= 1;
                                sink.emit(Node::Not);
                            }
                            StackOp::Logic(t) if t.precedence() >= op.precedence() => {
                                sink.emit(Node::Logic(t));
                            }
                            _ => break,
                        }
                        stack.pop();
                    }
                    stack.push(StackOp::Logic(op));
                    tok = lexer.next_token()?;
                    break;
                }
                TokenKind::End => {
                    while let Some(top) = stack.pop() {
                        match top {
                            StackOp::Paren(start) => {
                                return err(ParseErrorKind::UnclosedParen, start..start + 1);
                            }
                            StackOp::Not => sink.emit(Node::Not),
                            StackOp::Logic(op) => sink.emit(Node::Logic(op)),
                        }
                    }
                    return Ok(true);
                }
                _ => return err(ParseErrorKind::ExpectedOperator, tok.span()),
            }
        }
    }
}

/// Reads one value starting with `tok`; returns it and the token after it.
fn operand<'a>(
    lexer: &mut Lexer<'a>,
    tok: Token<'a>,
) -> Result<(Operand<'a>, Token<'a>), ParseError> {
    let value = match tok.kind {
        TokenKind::Ident(name) => Operand::Property(name),
        TokenKind::Literal(text) => Operand::Literal(text),
        TokenKind::Int(v) => Operand::Integer(v),
        TokenKind::Prefix(prefix) => {
            // Spaces may separate a prefix from its name ("$ Comp"), as between any tokens.
            let name_tok = lexer.next_token()?;
            match (name_tok.kind, prefix) {
                (TokenKind::Ident(name), Prefix::Env) => Operand::Env(name),
                (TokenKind::Ident(name), p) => Operand::State(p, name),
                _ => return Err(lexer.error(ParseErrorKind::ExpectedName, name_tok.span())),
            }
        }
        _ => return Err(lexer.error(ParseErrorKind::ExpectedValue, tok.span())),
    };
    Ok((value, lexer.next_token()?))
}
