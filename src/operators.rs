//! The one meaning of `==`, `<`, `+` and the other operators on values, below both the
//! checker's constant folding ([`crate::flow::eval`]) and the interpreter
//! ([`crate::run::eval`]), so that what the checker works out ahead of a run is what the run
//! does:
//!
//! ```text
//! origin == "weir"   a label and a text with the same letters: equal, checked and run
//! 1h + 30m           a duration of 5400 seconds, folded or run
//! 1 / 0              a fault (divide by zero): unknown to the checker, R0302 in a run
//! ```
//!
//! The type table of arithmetic ([`arithmetic_type`], what the checker accepts) sits beside
//! [`combine`] (what a run does), and a test holds them to each other. Each side adds only
//! what is its own: the interpreter turns a [`Fault`] into an error at the
//! operand, the checker treats it as unknown.

use std::cmp::Ordering;
use std::sync::Arc;

use smol_str::SmolStr;

use crate::ast::BinaryOp;
use crate::types::Type;
use crate::value::Value;

/// The letters of a text or a label.
pub fn text_of(v: &Value) -> Option<&str> {
    match v {
        Value::Text(t) => Some(t),
        Value::Label(l) => Some(l),
        _ => None,
    }
}

/// Equality as `==` sees it: labels and texts compare by their letters (a stamp read from an
/// open app is text), numbers by value, lists element by element; `none` equals only `none`.
pub fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Label(x), Value::Label(y)) => Arc::ptr_eq(x, y) || x == y,
        (Value::Text(_) | Value::Label(_), Value::Text(_) | Value::Label(_)) => {
            text_of(a) == text_of(b)
        }
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(p, q))
        }
        _ => a == b,
    }
}

/// How two present values order, if their kinds have an order.
pub fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Time(x), Value::Time(y)) | (Value::Duration(x), Value::Duration(y)) => {
            Some(x.cmp(y))
        }
        _ => None,
    }
}

/// Whether values of type `t` have an order: the checker's table of what [`order`] takes
/// (`Any` may hold any of them).
pub fn ordered_type(t: &Type) -> bool {
    matches!(
        t,
        Type::Number | Type::Text | Type::Time | Type::Duration | Type::Any
    )
}

/// Whether `<`, `<=`, `>` or `>=` holds of two values that order so.
pub fn holds(op: BinaryOp, ordering: Ordering) -> bool {
    match op {
        BinaryOp::Lt => ordering.is_lt(),
        BinaryOp::Le => ordering.is_le(),
        BinaryOp::Gt => ordering.is_gt(),
        BinaryOp::Ge => ordering.is_ge(),
        _ => unreachable!("expected a comparison, found {op:?}"),
    }
}

/// Why `+`, `-`, `*` or `/` could not combine two present values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A time or a duration past what weir can keep.
    Overflow,
    /// A number past what weir can keep (beyond about ±1.8e308).
    TooLarge,
    DivideByZero,
    /// A text longer than [`crate::value::TEXT_LIMIT`].
    TextTooLong,
    /// The two kinds do not combine with this operator.
    Mismatch,
}

/// `a op b` for `+`, `-`, `*` and `/` on two present values: the one meaning of arithmetic,
/// for runs and for what the checker works out ahead of them.
pub fn combine(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, Fault> {
    use Value::{Duration, Number, Text, Time};
    let overflow = || Fault::Overflow;
    // Numbers are finite: a result that is not (`x * 10` for a huge `x`) is an error rather
    // than an infinity that no app, state file or JSON reader could take.
    let number = |n: f64| {
        if n.is_finite() {
            Ok(Number(n))
        } else {
            Err(Fault::TooLarge)
        }
    };
    let time = |t: Option<i64>| {
        t.and_then(crate::value::checked_time)
            .map(Time)
            .ok_or(Fault::Overflow)
    };
    Ok(match (op, a, b) {
        (BinaryOp::Add, Number(x), Number(y)) => number(x + y)?,
        (BinaryOp::Add, Text(x), Text(y)) => {
            if x.len() + y.len() > crate::value::TEXT_LIMIT {
                return Err(Fault::TextTooLong);
            }
            let mut joined = String::with_capacity(x.len() + y.len());
            joined.push_str(x);
            joined.push_str(y);
            Text(SmolStr::from(joined))
        }
        (BinaryOp::Add, Time(t), Duration(d)) | (BinaryOp::Add, Duration(d), Time(t)) => {
            time(t.checked_add(*d))?
        }
        (BinaryOp::Add, Duration(x), Duration(y)) => {
            Duration(x.checked_add(*y).ok_or_else(overflow)?)
        }
        (BinaryOp::Sub, Number(x), Number(y)) => number(x - y)?,
        (BinaryOp::Sub, Time(t), Duration(d)) => time(t.checked_sub(*d))?,
        (BinaryOp::Sub, Time(x), Time(y)) | (BinaryOp::Sub, Duration(x), Duration(y)) => {
            Duration(x.checked_sub(*y).ok_or_else(overflow)?)
        }
        (BinaryOp::Mul, Number(x), Number(y)) => number(x * y)?,
        (BinaryOp::Mul, Duration(d), Number(n)) | (BinaryOp::Mul, Number(n), Duration(d)) => {
            Duration(scale(*d, *n).ok_or_else(overflow)?)
        }
        (BinaryOp::Div, _, Number(y)) if *y == 0.0 => return Err(Fault::DivideByZero),
        (BinaryOp::Div, Number(x), Number(y)) => number(x / y)?,
        (BinaryOp::Div, Duration(d), Number(n)) => {
            Duration(scale(*d, 1.0 / n).ok_or_else(overflow)?)
        }
        _ => return Err(Fault::Mismatch),
    })
}

fn scale(seconds: i64, factor: f64) -> Option<i64> {
    let scaled = (seconds as f64 * factor).round();
    (scaled.is_finite() && scaled.abs() < 9.0e18).then_some(scaled as i64)
}

/// The type of `+`, `-`, `*` or `/` on operands of these types, if they go together: the
/// checker's table of what [`combine`] takes.
pub fn arithmetic_type(op: BinaryOp, l: &Type, r: &Type) -> Option<Type> {
    use Type::*;
    Some(match (op, l, r) {
        (_, Any, Any) => Any,
        (BinaryOp::Add, Any, t) | (BinaryOp::Add, t, Any) if matches!(t, Number | Text) => {
            t.clone()
        }
        (_, Any, _) | (_, _, Any) => Any,
        (BinaryOp::Add, Number, Number) => Number,
        (BinaryOp::Add, Text, Text) => Text,
        (BinaryOp::Add, Time, Duration) | (BinaryOp::Add, Duration, Time) => Time,
        (BinaryOp::Add, Duration, Duration) => Duration,
        (BinaryOp::Sub, Number, Number) => Number,
        (BinaryOp::Sub, Time, Duration) => Time,
        (BinaryOp::Sub, Time, Time) => Duration,
        (BinaryOp::Sub, Duration, Duration) => Duration,
        (BinaryOp::Mul, Number, Number) => Number,
        (BinaryOp::Mul, Duration, Number) | (BinaryOp::Mul, Number, Duration) => Duration,
        (BinaryOp::Div, Number, Number) => Number,
        (BinaryOp::Div, Duration, Number) => Duration,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::equal;
    use crate::ast::BinaryOp;
    use crate::flow::eval::Known;
    use crate::program::{Expr, ExprKind, Program};
    use crate::run::eval::Scope;
    use crate::span::Span;
    use crate::types::Type;
    use crate::value::Value;

    fn empty_program() -> Program {
        let loaded = crate::load::parse_all(vec![("t.weir".into(), String::new())]);
        crate::check::check(&loaded.scripts, &loaded.sources).program
    }

    fn node(kind: ExprKind) -> Expr {
        Expr {
            kind,
            ty: Type::Any,
            span: Span::default(),
        }
    }

    fn constant() -> impl Strategy<Value = Value> {
        prop_oneof![
            1 => Just(Value::None),
            1 => any::<bool>().prop_map(Value::Bool),
            1 => (-1000i32..1000).prop_map(|n| Value::Number(f64::from(n) / 4.0)),
            1 => Just(Value::Number(1.0e308)),
            // Texts and labels with the same letters, often: where the two sides once differed.
            3 => prop::sample::select(vec!["", "user", "weir"]).prop_map(Value::text),
            3 => prop::sample::select(vec!["user", "weir"]).prop_map(|l| Value::Label(Arc::from(l))),
            1 => (-100_000i64..100_000).prop_map(Value::Time),
            1 => Just(Value::Time(253_402_300_799)),
            1 => (-10_000i64..10_000).prop_map(Value::Duration),
        ]
    }

    const OPS: [BinaryOp; 14] = [
        BinaryOp::Or,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::In,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Default,
    ];

    /// Closed expressions: constants under operators, `not`, `if` and lists, well typed or not.
    fn closed() -> impl Strategy<Value = Expr> {
        let leaf = constant().prop_map(|v| node(ExprKind::Const(v)));
        leaf.prop_recursive(4, 24, 3, |inner| {
            prop_oneof![
                (
                    prop::sample::select(OPS.to_vec()),
                    inner.clone(),
                    inner.clone()
                )
                    .prop_map(|(op, l, r)| node(ExprKind::Binary(
                        op,
                        Box::new(l),
                        Box::new(r)
                    ))),
                inner.clone().prop_map(|e| node(ExprKind::Not(Box::new(e)))),
                (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, t, o)| node(
                    ExprKind::If(Box::new(c), Box::new(t), Box::new(o))
                )),
                prop::collection::vec(inner, 0..3).prop_map(|items| node(ExprKind::List(items))),
            ]
        })
    }

    /// A value of each kind, with its type.
    fn samples() -> [(Value, Type); 5] {
        [
            (Value::Number(3.0), Type::Number),
            (Value::text("a"), Type::Text),
            (Value::Time(1_000), Type::Time),
            (Value::Duration(60), Type::Duration),
            (Value::Bool(true), Type::Bool),
        ]
    }

    /// The checker's table of ordered types is what a run can order.
    #[test]
    fn the_ordered_types_are_what_order_orders() {
        let samples = samples();
        for (value, ty) in &samples {
            assert_eq!(
                super::ordered_type(ty),
                super::order(value, value).is_some(),
                "{ty:?}"
            );
        }
    }

    /// The checker's table says which operands `+`, `-`, `*` and `/` take, and of what type
    /// the result is; a run combines exactly those, into a value of that type.
    #[test]
    fn the_arithmetic_type_table_is_what_combine_does() {
        use super::{Fault, arithmetic_type, combine};
        let samples = samples();
        let type_of = |v: &Value| {
            samples
                .iter()
                .find(|(s, _)| std::mem::discriminant(s) == std::mem::discriminant(v))
                .map(|(_, t)| t.clone())
        };
        for op in [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div] {
            for (a, ta) in &samples {
                for (b, tb) in &samples {
                    let typed = arithmetic_type(op, ta, tb);
                    match combine(op, a, b) {
                        Ok(v) => assert_eq!(typed, type_of(&v), "{a:?} {op:?} {b:?}"),
                        Err(Fault::Mismatch) => assert_eq!(typed, None, "{a:?} {op:?} {b:?}"),
                        Err(fault) => panic!("{a:?} {op:?} {b:?}: {fault:?}"),
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// What the checker folds a closed expression to is what a run evaluates it to. (The
        /// checker may fold what a run stops on: `(1 / 0 == 1) and false` is false to it, an
        /// error in a run; both stop the workflow.)
        #[test]
        fn constant_folding_and_evaluation_agree(e in closed()) {
            let program = empty_program();
            let folded = crate::flow::eval::eval(&e, &Known::default(), &[]);
            let run = crate::run::eval::eval(&e, &Scope::constant(&program, 0));
            if let (Some(folded), Ok(run)) = (&folded, &run) {
                prop_assert!(equal(folded, run), "folded {folded:?}, run {run:?} for {e:?}");
            }
        }
    }
}
