//! Lowering expressions: operators by pest's Pratt parser, atoms, and texts with `{…}`.

use std::sync::{Arc, LazyLock};

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::Rule;
use super::error::{SyntaxError, SyntaxErrorKind};
use super::lower::{Lower, Result, parts};
use crate::ast::*;
use crate::span::{Span, Spanned};

/// Deeper nesting of brackets, calls and `if`s than this is refused rather than risking the
/// stack.
pub(super) const MAX_DEPTH: u32 = 64;

/// The deepest expression tree weir accepts, counting every operator, call, list and `if`
/// inside another. Every later stage (checking, folding, running, formatting, dropping)
/// walks trees recursively; this bound keeps that within a thread's stack, even a 2 MiB one,
/// while leaving room for any expression a person writes (a chain `a + b + …` of 128 terms).
pub const MAX_TREE_DEPTH: u32 = 128;

/// An expression with the depth of its tree: 1 for a name or a literal.
type Deep = (Expr, u32);

/// What the largest literals are, for the error that refuses a larger one.
const NUMBER_LIMIT: &str = "numbers go up to about 1.8e308 (309 digits)";
const DURATION_LIMIT: &str = "durations go up to about 292 billion years";

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
        .op(Op::postfix(Rule::field_access) | Op::postfix(Rule::index_access))
});

impl Lower {
    pub(super) fn expr(&mut self, pair: Pair<'_, Rule>) -> Result<Expr> {
        self.deep_expr(pair).map(|(expr, _)| expr)
    }

    fn deep_expr(&mut self, pair: Pair<'_, Rule>) -> Result<Deep> {
        debug_assert_eq!(pair.as_rule(), Rule::expr);
        let span = self.span(&pair);
        self.depth += 1;
        if self.depth > MAX_DEPTH {
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
            return Err(SyntaxError::custom(
                span,
                SyntaxErrorKind::TooDeep { limit: MAX_DEPTH },
            ));
        }
        let result = self.pratt(pair.into_inner());
        self.depth -= 1;
        result
    }

    /// Builds the tree of one expression's operators. The tree's depth is counted as it grows
    /// and the first node past [`MAX_TREE_DEPTH`] stops it, so a chain of thousands of terms
    /// is an error before it is a tree too deep to walk (or to drop).
    #[expect(
        clippy::too_many_lines,
        reason = "pest's Pratt parser set up once, with one closure each for prefix, postfix and infix operators and the depth count"
    )]
    fn pratt(&mut self, pairs: Pairs<'_, Rule>) -> Result<Deep> {
        let (file, offset) = (self.file, self.offset);
        let operators = pairs
            .clone()
            .filter(|p| {
                !matches!(
                    p.as_rule(),
                    Rule::op_not | Rule::op_neg | Rule::field_access | Rule::index_access
                )
            })
            .count()
            .saturating_sub(1) as u32
            / 2;
        let span_of = |pair: &Pair<'_, Rule>| {
            let span = pair.as_span();
            Span::new(file, offset + span.start(), offset + span.end())
        };
        let node = |kind: ExprKind, span: Span, depth: u32| -> Result<Deep> {
            if depth > MAX_TREE_DEPTH {
                // The part that went past the limit: a chain's first terms, not all of it.
                return Err(SyntaxError::custom(
                    span,
                    SyntaxErrorKind::TooLong {
                        limit: MAX_TREE_DEPTH,
                        operators,
                    },
                ));
            }
            Ok((Expr { kind, span }, depth))
        };
        // The closures below need `self` for atoms only; collect errors through a cell.
        let this = std::cell::RefCell::new(self);
        PRATT
            .map_primary(|atom| this.borrow_mut().deep_atom(atom))
            .map_prefix(|op, operand| {
                let (operand, depth) = operand?;
                let op_span = span_of(&op);
                let op = match op.as_rule() {
                    Rule::op_not => UnaryOp::Not,
                    Rule::op_neg => UnaryOp::Neg,
                    rule => unreachable!("expected a prefix operator, found {rule:?}"),
                };
                let span = op_span.to(operand.span);
                node(ExprKind::Unary(op, Box::new(operand)), span, depth + 1)
            })
            .map_postfix(|operand, access| {
                let (operand, depth) = operand?;
                if access.as_rule() == Rule::index_access {
                    let end = span_of(&access);
                    let inner = access.into_inner().next().expect("index");
                    let (index, inner_depth) = this.borrow_mut().deep_expr(inner)?;
                    let span = operand.span.to(end);
                    let kind = ExprKind::Index(Box::new(operand), Box::new(index));
                    return node(kind, span, depth.max(inner_depth) + 1);
                }
                let field = access.into_inner().next().expect("field name");
                let name = Spanned::new(Arc::from(field.as_str()), span_of(&field));
                let span = operand.span.to(name.span);
                node(ExprKind::Field(Box::new(operand), name), span, depth + 1)
            })
            .map_infix(|left, op, right| {
                let ((left, l), (right, r)) = (left?, right?);
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
                let span = left.span.to(right.span);
                let kind = ExprKind::Binary(op, Box::new(left), Box::new(right));
                node(kind, span, l.max(r) + 1)
            })
            .parse(pairs)
    }

    /// `90m`: a whole number and a unit, refused when its seconds do not fit (E0003).
    pub(super) fn duration(&self, pair: Pair<'_, Rule>) -> Result<DurationLit> {
        let span = self.span(&pair);
        let text = pair.as_str();
        let (digits, unit) = text.split_at(text.len() - 1);
        let unit = match unit {
            "s" => DurationUnit::Seconds,
            "m" => DurationUnit::Minutes,
            "h" => DurationUnit::Hours,
            "d" => DurationUnit::Days,
            other => unreachable!("expected a duration unit, found {other:?}"),
        };
        digits
            .parse()
            .ok()
            .map(|amount| DurationLit { amount, unit })
            .filter(|lit| lit.checked_seconds().is_some())
            .ok_or_else(|| {
                SyntaxError::custom(
                    span,
                    SyntaxErrorKind::NumberTooLarge {
                        limit: DURATION_LIMIT,
                    },
                )
            })
    }

    pub(super) fn expr_atom(&mut self, pair: Pair<'_, Rule>) -> Result<Expr> {
        self.deep_atom(pair).map(|(expr, _)| expr)
    }

    fn deep_atom(&mut self, pair: Pair<'_, Rule>) -> Result<Deep> {
        let span = self.span(&pair);
        // The depth of the deepest expression inside this one.
        let mut inner = 0;
        let kind = match pair.as_rule() {
            Rule::number => {
                let n: f64 = pair.as_str().parse().unwrap_or(f64::INFINITY);
                if !n.is_finite() {
                    return Err(SyntaxError::custom(
                        span,
                        SyntaxErrorKind::NumberTooLarge {
                            limit: NUMBER_LIMIT,
                        },
                    ));
                }
                ExprKind::Number(n)
            }
            Rule::duration => ExprKind::Duration(self.duration(pair)?),
            Rule::text => {
                let (parts, depth) = self.deep_text_parts(pair)?;
                inner = depth;
                ExprKind::Text(parts)
            }
            Rule::true_lit => ExprKind::Bool(true),
            Rule::false_lit => ExprKind::Bool(false),
            Rule::none_lit => ExprKind::None,
            Rule::user_lit => ExprKind::User,
            Rule::name_or_call => {
                let mut parts_of = parts(pair);
                let name = self.name(parts_of.next().expect("a name"));
                match parts_of.next() {
                    None => ExprKind::Name(name.node),
                    Some(arguments) => {
                        let (args, depth) = self.deep_list(parts(arguments))?;
                        inner = depth;
                        ExprKind::Call(name, args)
                    }
                }
            }
            Rule::paren => return self.deep_expr(parts(pair).next().expect("inner expression")),
            Rule::list => {
                let (items, depth) = self.deep_list(parts(pair))?;
                inner = depth;
                ExprKind::List(items)
            }
            Rule::record_lit => {
                let (record, depth) = self.deep_record(pair)?;
                inner = depth;
                record
            }
            Rule::aggregate | Rule::each => {
                let (each, depth) = self.deep_each(pair)?;
                inner = depth;
                each
            }
            Rule::if_expr => {
                let mut branches = parts(pair);
                let mut next = || branches.next().expect("if part");
                let (c, t, e) = (next(), next(), next());
                let (c, t, e) = (self.deep_expr(c)?, self.deep_expr(t)?, self.deep_expr(e)?);
                inner = c.1.max(t.1).max(e.1);
                ExprKind::If(Box::new(c.0), Box::new(t.0), Box::new(e.0))
            }
            rule => unreachable!("expected an expression, found {rule:?}"),
        };
        if inner >= MAX_TREE_DEPTH {
            return Err(SyntaxError::custom(
                span,
                SyntaxErrorKind::TooLong {
                    limit: MAX_TREE_DEPTH,
                    operators: 0,
                },
            ));
        }
        Ok((Expr { kind, span }, inner + 1))
    }

    /// `{ street: "…", city: "…" }`, with the depth of its deepest value.
    fn deep_record(&mut self, pair: Pair<'_, Rule>) -> Result<(ExprKind, u32)> {
        let mut inner = 0;
        let mut fields = Vec::new();
        for init in parts(pair) {
            let mut part = parts(init);
            let name = self.name(part.next().expect("field name"));
            let (value, depth) = self.deep_expr(part.next().expect("field value"))?;
            inner = inner.max(depth);
            fields.push(FieldInit { name, value });
        }
        Ok((ExprKind::Record(fields), inner))
    }

    /// `sum(… for x in xs)`, `any(…)`, `all(…)` or `[… for x in xs if …]`, with its depth.
    fn deep_each(&mut self, pair: Pair<'_, Rule>) -> Result<(ExprKind, u32)> {
        let mut part = parts(pair);
        let (kind, comprehension) = match part.next().expect("a function or a comprehension") {
            word if word.as_rule() == Rule::aggregate_fn => {
                let kind = match word.as_str() {
                    "sum" => EachKind::Sum,
                    "any" => EachKind::Any,
                    "all" => EachKind::All,
                    other => unreachable!("expected sum, any or all, found {other:?}"),
                };
                (kind, part.next().expect("a comprehension"))
            }
            comprehension => (EachKind::List, comprehension),
        };
        let mut part = parts(comprehension);
        let (value, v) = self.deep_expr(part.next().expect("a value"))?;
        let item = self.name(part.next().expect("an item name"));
        let (list, l) = self.deep_expr(part.next().expect("a list"))?;
        let (keep, k) = match part.next() {
            Some(keep) => {
                let (keep, k) = self.deep_expr(keep)?;
                (Some(keep), k)
            }
            None => (None, 0),
        };
        let each = ExprKind::Each(Box::new(Each {
            kind,
            value,
            item,
            list,
            keep,
        }));
        Ok((each, v.max(l).max(k)))
    }

    /// Arguments or list items, with the depth of the deepest.
    fn deep_list<'i>(
        &mut self,
        items: impl Iterator<Item = Pair<'i, Rule>>,
    ) -> Result<(Vec<Expr>, u32)> {
        let mut out = Vec::new();
        let mut deepest = 0;
        for item in items {
            let (expr, depth) = self.deep_expr(item)?;
            deepest = deepest.max(depth);
            out.push(expr);
        }
        Ok((out, deepest))
    }

    pub(super) fn text_parts(&mut self, pair: Pair<'_, Rule>) -> Result<Vec<TextPart>> {
        self.deep_text_parts(pair).map(|(parts, _)| parts)
    }

    fn deep_text_parts(&mut self, pair: Pair<'_, Rule>) -> Result<(Vec<TextPart>, u32)> {
        let mut out: Vec<TextPart> = Vec::new();
        let mut deepest = 0;
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
                    let (expr, depth) = self.deep_expr(inner)?;
                    deepest = deepest.max(depth);
                    out.push(TextPart::Interpolation(expr));
                }
                rule => unreachable!("expected a text part, found {rule:?}"),
            }
        }
        Ok((out, deepest))
    }
}
