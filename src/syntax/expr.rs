//! Lowering expressions: operators by pest's Pratt parser, atoms, and texts with `{…}`.

use std::sync::{Arc, LazyLock};

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::Rule;
use super::error::{SyntaxError, SyntaxErrorKind};
use super::lower::{Lower, Result, parts};
use crate::ast::*;
use crate::span::{Span, Spanned};

/// Deeper nesting than this is refused rather than risking the stack.
const MAX_DEPTH: u32 = 64;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_eq, Assoc::Left)
            | Op::infix(Rule::op_ne, Assoc::Left)
            | Op::infix(Rule::op_lt, Assoc::Left)
            | Op::infix(Rule::op_le, Assoc::Left)
            | Op::infix(Rule::op_gt, Assoc::Left)
            | Op::infix(Rule::op_ge, Assoc::Left)
            | Op::infix(Rule::op_in, Assoc::Left))
        .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
        .op(Op::prefix(Rule::op_neg))
        .op(Op::infix(Rule::op_default, Assoc::Left))
        .op(Op::postfix(Rule::field_access))
});

impl Lower {
    pub(super) fn expr(&mut self, pair: Pair<'_, Rule>) -> Result<Expr> {
        debug_assert_eq!(pair.as_rule(), Rule::expr);
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self.span(&pair);
            return Err(SyntaxError::custom(
                span,
                SyntaxErrorKind::TooDeep { limit: MAX_DEPTH },
            ));
        }
        // Prefix operators (`- - - x`) nest as deeply as parentheses do.
        let prefixes = pair
            .clone()
            .into_inner()
            .filter(|p| matches!(p.as_rule(), Rule::op_not | Rule::op_neg))
            .count() as u32;
        if self.depth + prefixes > MAX_DEPTH {
            let span = self.span(&pair);
            return Err(SyntaxError::custom(
                span,
                SyntaxErrorKind::TooDeep { limit: MAX_DEPTH },
            ));
        }
        let result = self.pratt(pair.into_inner());
        self.depth -= 1;
        result
    }

    pub(super) fn pratt(&mut self, pairs: Pairs<'_, Rule>) -> Result<Expr> {
        let (file, offset) = (self.file, self.offset);
        let span_of = |pair: &Pair<'_, Rule>| {
            let span = pair.as_span();
            Span::new(file, offset + span.start(), offset + span.end())
        };
        // The closures below need `self` for atoms only; collect errors through a cell.
        let this = std::cell::RefCell::new(self);
        PRATT
            .map_primary(|atom| this.borrow_mut().expr_atom(atom))
            .map_prefix(|op, operand| {
                let operand = operand?;
                let op_span = span_of(&op);
                let op = match op.as_rule() {
                    Rule::op_not => UnaryOp::Not,
                    Rule::op_neg => UnaryOp::Neg,
                    rule => unreachable!("expected a prefix operator, found {rule:?}"),
                };
                Ok(Expr {
                    span: op_span.to(operand.span),
                    kind: ExprKind::Unary(op, Box::new(operand)),
                })
            })
            .map_postfix(|operand, access| {
                let operand = operand?;
                let field = access.into_inner().next().expect("field name");
                let name = Spanned::new(Arc::from(field.as_str()), span_of(&field));
                Ok(Expr {
                    span: operand.span.to(name.span),
                    kind: ExprKind::Field(Box::new(operand), name),
                })
            })
            .map_infix(|left, op, right| {
                let (left, right) = (left?, right?);
                let op = match op.as_rule() {
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::Ne,
                    Rule::op_lt => BinaryOp::Lt,
                    Rule::op_le => BinaryOp::Le,
                    Rule::op_gt => BinaryOp::Gt,
                    Rule::op_ge => BinaryOp::Ge,
                    Rule::op_in => BinaryOp::In,
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_sub => BinaryOp::Sub,
                    Rule::op_mul => BinaryOp::Mul,
                    Rule::op_div => BinaryOp::Div,
                    Rule::op_default => BinaryOp::Default,
                    rule => unreachable!("expected an infix operator, found {rule:?}"),
                };
                Ok(Expr {
                    span: left.span.to(right.span),
                    kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
                })
            })
            .parse(pairs)
    }

    pub(super) fn expr_atom(&mut self, pair: Pair<'_, Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::number => ExprKind::Number(
                pair.as_str()
                    .parse()
                    .map_err(|_| SyntaxError::custom(span, SyntaxErrorKind::NumberTooLarge))?,
            ),
            Rule::duration => {
                let text = pair.as_str();
                let (digits, unit) = text.split_at(text.len() - 1);
                let unit = match unit {
                    "s" => DurationUnit::Seconds,
                    "m" => DurationUnit::Minutes,
                    "h" => DurationUnit::Hours,
                    "d" => DurationUnit::Days,
                    other => unreachable!("expected a duration unit, found {other:?}"),
                };
                let amount = digits
                    .parse()
                    .map_err(|_| SyntaxError::custom(span, SyntaxErrorKind::NumberTooLarge))?;
                ExprKind::Duration(DurationLit { amount, unit })
            }
            Rule::text => ExprKind::Text(self.text_parts(pair)?),
            Rule::true_lit => ExprKind::Bool(true),
            Rule::false_lit => ExprKind::Bool(false),
            Rule::none_lit => ExprKind::None,
            Rule::user_lit => ExprKind::User,
            Rule::name_or_call => {
                let mut inner = parts(pair);
                let name = self.name(inner.next().expect("a name"));
                match inner.next() {
                    None => ExprKind::Name(name.node),
                    Some(arguments) => {
                        let args = parts(arguments)
                            .map(|e| self.expr(e))
                            .collect::<Result<_>>()?;
                        ExprKind::Call(name, args)
                    }
                }
            }
            Rule::paren => return self.expr(parts(pair).next().expect("inner expression")),
            Rule::list => ExprKind::List(parts(pair).map(|e| self.expr(e)).collect::<Result<_>>()?),
            Rule::if_expr => {
                let mut inner = parts(pair);
                let mut next = || inner.next().expect("if part");
                let (c, t, e) = (next(), next(), next());
                ExprKind::If(
                    Box::new(self.expr(c)?),
                    Box::new(self.expr(t)?),
                    Box::new(self.expr(e)?),
                )
            }
            rule => unreachable!("expected an expression, found {rule:?}"),
        };
        Ok(Expr { kind, span })
    }

    pub(super) fn text_parts(&mut self, pair: Pair<'_, Rule>) -> Result<Vec<TextPart>> {
        let mut out: Vec<TextPart> = Vec::new();
        let push_literal = |out: &mut Vec<TextPart>, s: &str| match out.last_mut() {
            Some(TextPart::Literal(text)) => text.push_str(s),
            _ => out.push(TextPart::Literal(s.to_string())),
        };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::text_chars => push_literal(&mut out, part.as_str()),
                Rule::text_escape => push_literal(
                    &mut out,
                    match part.as_str() {
                        "{{" => "{",
                        "}}" => "}",
                        "\\\"" => "\"",
                        "\\\\" => "\\",
                        "\\n" => "\n",
                        "\\t" => "\t",
                        other => unreachable!("expected an escape, found {other:?}"),
                    },
                ),
                Rule::interpolation => {
                    let inner = part.into_inner().next().expect("interpolated expression");
                    out.push(TextPart::Interpolation(self.expr(inner)?));
                }
                rule => unreachable!("expected a text part, found {rule:?}"),
            }
        }
        Ok(out)
    }
}
