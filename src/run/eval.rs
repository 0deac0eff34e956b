//! Evaluating checked expressions.
//!
//! Names were resolved by the checker: a trigger field is an index into the trigger record, a
//! `let` an index into the run's locals, so evaluation never looks up a string. Types were
//! checked too, except for values of type `any` (fields of open apps) and scripts run with
//! `--no-check`; where a value turns out not to fit, evaluation stops with a [`RunError`]
//! pointing at the expression. For example, with `lead` from an open app:
//!
//! ```text
//! create contact in Crm { name: upper(lead.name) }   # fine when `name` is text
//! create contact in Crm { name: upper(lead.name) }   # R0302 when it is 12: `upper` needs text
//! ```
//!
//! What `==`, `<` and `+` mean on values is [`crate::operators`], shared with the checker's
//! constant folding; this module adds where a run stops (a missing operand, a fault) and why.

use std::cmp::Ordering;
use std::sync::Arc;

use smol_str::SmolStr;

use super::apps::{RecordRef, RecordView};
use super::error::{RunError, RunErrorKind};
use crate::ast::BinaryOp;
use crate::operators::{Fault, combine, equal, holds, order, text_of};
use crate::program::{EntityId, Expr, ExprKind, FieldId, Piece, Program};
use crate::types::Type;
use crate::value::{Label, Value};

/// A record an expression can see, with where it lives.
#[derive(Clone, Copy)]
pub struct Subject<'a> {
    pub entity: EntityId,
    pub record: RecordView<'a>,
}

impl Subject<'_> {
    fn at(&self) -> RecordRef {
        RecordRef::new(self.entity, self.record.id)
    }
}

/// What an expression can see while it is evaluated.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub program: &'a Program,
    /// The clock: what `now()` returns.
    pub now: i64,
    /// The record that triggered the run.
    pub trigger: Option<Subject<'a>>,
    /// The record an action's `where` (or a scenario's condition) is testing.
    pub target: Option<Subject<'a>>,
    /// What `origin` means here: the event's origin in a workflow, the record's stamp in a
    /// scenario condition.
    pub origin: Option<&'a Label>,
    /// The run's `let` values, by [`crate::program::LocalId`].
    pub locals: &'a [Value],
    /// The conflict a run on a sync's conflict reads as `conflict.…`.
    pub conflict: Option<&'a super::ConflictNote>,
    /// The failed run a run on failed runs reads as `error.…`.
    pub failure: Option<&'a super::FailureNote>,
}

impl<'a> Scope<'a> {
    /// A scope with no record: scenario values, the clock of a scenario header.
    pub fn constant(program: &'a Program, now: i64) -> Scope<'a> {
        Scope {
            program,
            now,
            trigger: None,
            target: None,
            origin: None,
            locals: &[],
            conflict: None,
            failure: None,
        }
    }
}

fn fail(e: &Expr, kind: RunErrorKind) -> RunError {
    RunError::new(e.span, kind)
}

/// Evaluates a condition: it must come out `true` or `false`.
pub fn truth(e: &Expr, s: &Scope) -> Result<bool, RunError> {
    match eval(e, s)? {
        Value::Bool(b) => Ok(b),
        Value::None => Err(fail(e, RunErrorKind::Missing)),
        other => Err(fail(
            e,
            RunErrorKind::WrongType {
                expected: "bool",
                found: other,
            },
        )),
    }
}

/// Evaluates an expression to its value.
#[expect(
    clippy::too_many_lines,
    reason = "one arm per kind of expression: the interpreter's hot path stays one match"
)]
pub fn eval(e: &Expr, s: &Scope) -> Result<Value, RunError> {
    Ok(match &e.kind {
        ExprKind::Const(v) => v.clone(),
        ExprKind::TriggerField(f) => match &s.trigger {
            Some(t) => t.record.get(*f).clone(),
            None => Value::None,
        },
        ExprKind::TargetField(f) => match &s.target {
            Some(t) => t.record.get(*f).clone(),
            None => Value::None,
        },
        ExprKind::TriggerId => id_text(s.program, s.trigger),
        ExprKind::TargetId => id_text(s.program, s.target),
        ExprKind::Origin => match s.origin {
            Some(label) => Value::Label(label.clone()),
            None => Value::Label(Arc::from("user")),
        },
        ExprKind::Local(l) => s.locals.get(l.0).cloned().unwrap_or(Value::None),
        ExprKind::Conflict(part) => match s.conflict {
            Some(note) => Value::Text(note.part(*part).clone()),
            None => Value::None,
        },
        ExprKind::Failure(part) => match s.failure {
            Some(note) => Value::Text(note.part(*part).clone()),
            None => Value::None,
        },
        // A found record is kept in its `let` as its values, then its id (see `QueryKind`).
        ExprKind::RecordField(l, f) => match s.locals.get(l.0) {
            Some(Value::List(values)) => values.get(f.0).cloned().unwrap_or(Value::None),
            _ => Value::None,
        },
        ExprKind::RecordId(l) => match s.locals.get(l.0) {
            Some(Value::List(values)) => values.last().cloned().unwrap_or(Value::None),
            _ => Value::None,
        },
        ExprKind::Interpolation(pieces) => {
            let mut out = String::new();
            for piece in pieces {
                match piece {
                    Piece::Text(text) => out.push_str(text),
                    Piece::Expr(inner) => match eval(inner, s)? {
                        Value::None => return Err(fail(inner, RunErrorKind::Missing)),
                        v => v.push_plain_text(&mut out),
                    },
                }
            }
            Value::Text(SmolStr::from(out))
        }
        ExprKind::Call(builtin, args) => {
            let mut values = [Value::None, Value::None, Value::None];
            if args.len() > values.len() {
                unreachable!("expected at most 3 arguments, found {}", args.len());
            }
            for (slot, arg) in values.iter_mut().zip(args) {
                *slot = eval(arg, s)?;
                if *slot == Value::None && !arg.ty.is_optional() {
                    return Err(fail(arg, RunErrorKind::Missing));
                }
            }
            builtin
                .apply(&values[..args.len()], s.now)
                .map_err(|message| {
                    fail(
                        e,
                        RunErrorKind::Function {
                            function: builtin.name(),
                            message,
                        },
                    )
                })?
        }
        ExprKind::List(items) => {
            let values = items
                .iter()
                .map(|i| eval(i, s))
                .collect::<Result<Vec<_>, _>>()?;
            Value::List(Arc::from(values))
        }
        ExprKind::Not(inner) => Value::Bool(!truth(inner, s)?),
        ExprKind::Neg(inner) => match eval(inner, s)? {
            Value::Number(n) => Value::Number(-n),
            Value::Duration(d) => Value::Duration(
                d.checked_neg()
                    .ok_or_else(|| fail(e, RunErrorKind::Overflow))?,
            ),
            Value::None => return Err(fail(inner, RunErrorKind::Missing)),
            other => {
                return Err(fail(
                    inner,
                    RunErrorKind::WrongType {
                        expected: "number",
                        found: other,
                    },
                ));
            }
        },
        ExprKind::If(c, then, otherwise) => {
            if truth(c, s)? {
                eval(then, s)?
            } else {
                eval(otherwise, s)?
            }
        }
        ExprKind::Binary(op, l, r) => binary(e, *op, l, r, s)?,
        ExprKind::Member(base, at) => match eval(base, s)? {
            Value::Record(fields) => fields.get(*at).map_or(Value::None, |(_, v)| v.clone()),
            Value::None if base.ty.is_optional() => Value::None,
            Value::None => return Err(fail(base, RunErrorKind::Missing)),
            other => {
                return Err(fail(
                    base,
                    RunErrorKind::WrongType {
                        expected: "record",
                        found: other,
                    },
                ));
            }
        },
        ExprKind::Record(fields) => {
            let values = fields
                .iter()
                .map(|(name, value)| Ok((name.clone(), eval(value, s)?)))
                .collect::<Result<Vec<_>, RunError>>()?;
            Value::Record(Arc::from(values))
        }
        ExprKind::Each(each) => super::each::each(each, s)?,
        ExprKind::Index(list, index) => {
            let items = items(list, s)?;
            // Only a whole number from 0 up names an item; any other, like one past the end,
            // names none.
            match eval(index, s)? {
                Value::Number(n) if n >= 0.0 && n.fract() == 0.0 => {
                    items.get(n as usize).cloned().unwrap_or(Value::None)
                }
                Value::Number(_) => Value::None,
                Value::None => return Err(fail(index, RunErrorKind::Missing)),
                other => {
                    return Err(fail(
                        index,
                        RunErrorKind::WrongType {
                            expected: "number",
                            found: other,
                        },
                    ));
                }
            }
        }
    })
}

/// The items of a list, for `for` and `xs[i]`.
pub fn items(e: &Expr, s: &Scope) -> Result<Arc<[Value]>, RunError> {
    match eval(e, s)? {
        Value::List(items) => Ok(items),
        Value::None => Err(fail(e, RunErrorKind::Missing)),
        other => Err(fail(
            e,
            RunErrorKind::WrongType {
                expected: "list",
                found: other,
            },
        )),
    }
}

fn id_text(program: &Program, subject: Option<Subject>) -> Value {
    match subject {
        Some(subject) => Value::Text(SmolStr::from(subject.at().show(program).to_string())),
        None => Value::None,
    }
}

fn binary(e: &Expr, op: BinaryOp, l: &Expr, r: &Expr, s: &Scope) -> Result<Value, RunError> {
    match op {
        BinaryOp::And => return Ok(Value::Bool(truth(l, s)? && truth(r, s)?)),
        BinaryOp::Or => return Ok(Value::Bool(truth(l, s)? || truth(r, s)?)),
        BinaryOp::Default => {
            return match eval(l, s)? {
                Value::None => eval(r, s),
                v => Ok(v),
            };
        }
        BinaryOp::Eq | BinaryOp::Ne => {
            if let (Some(a), Some(b)) = (peek(l, s), peek(r, s)) {
                return Ok(Value::Bool(a.equals(&b) == (op == BinaryOp::Eq)));
            }
        }
        _ => {}
    }
    let a = eval(l, s)?;
    let b = eval(r, s)?;
    match op {
        BinaryOp::Eq => Ok(Value::Bool(equal(&a, &b))),
        BinaryOp::Ne => Ok(Value::Bool(!equal(&a, &b))),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let ordering = compare(e, op, l, r, a, b)?;
            Ok(Value::Bool(holds(op, ordering)))
        }
        BinaryOp::In => match b {
            Value::List(items) => Ok(Value::Bool(items.iter().any(|i| equal(&a, i)))),
            Value::None => Err(fail(r, RunErrorKind::Missing)),
            other => Err(fail(
                r,
                RunErrorKind::WrongType {
                    expected: "list",
                    found: other,
                },
            )),
        },
        _ => arithmetic(e, op, l, r, a, b),
    }
}

/// An operand that can be looked at where it is, without copying it out.
enum Peek<'a> {
    Value(&'a Value),
    Label(&'a str),
}

impl Peek<'_> {
    fn equals(&self, other: &Peek) -> bool {
        match (self, other) {
            (Peek::Value(a), Peek::Value(b)) => equal(a, b),
            (Peek::Label(a), Peek::Label(b)) => a == b,
            (Peek::Label(a), Peek::Value(v)) | (Peek::Value(v), Peek::Label(a)) => {
                text_of(v).is_some_and(|t| t == *a)
            }
        }
    }
}

/// The operands a guard such as `origin == weir` or `status == "new"` compares, borrowed.
fn peek<'a>(e: &'a Expr, s: &Scope<'a>) -> Option<Peek<'a>> {
    Some(match &e.kind {
        ExprKind::Const(v) => Peek::Value(v),
        ExprKind::TriggerField(f) => Peek::Value(s.trigger?.record.get(*f)),
        ExprKind::TargetField(f) => Peek::Value(s.target?.record.get(*f)),
        ExprKind::Local(l) => Peek::Value(s.locals.get(l.0)?),
        ExprKind::Origin => Peek::Label(s.origin.map_or("user", |l| &**l)),
        _ => return None,
    })
}

fn mismatch(e: &Expr, op: BinaryOp, a: Value, b: Value) -> RunError {
    fail(
        e,
        RunErrorKind::Mismatch {
            op: op.symbol(),
            left: a,
            right: b,
        },
    )
}

fn compare(
    e: &Expr,
    op: BinaryOp,
    l: &Expr,
    r: &Expr,
    a: Value,
    b: Value,
) -> Result<Ordering, RunError> {
    match (&a, &b) {
        (Value::None, _) => Err(fail(l, RunErrorKind::Missing)),
        (_, Value::None) => Err(fail(r, RunErrorKind::Missing)),
        _ => order(&a, &b).ok_or_else(|| mismatch(e, op, a, b)),
    }
}

fn arithmetic(
    e: &Expr,
    op: BinaryOp,
    l: &Expr,
    r: &Expr,
    a: Value,
    b: Value,
) -> Result<Value, RunError> {
    match (&a, &b) {
        (Value::None, _) => Err(fail(l, RunErrorKind::Missing)),
        (_, Value::None) => Err(fail(r, RunErrorKind::Missing)),
        _ => combine(op, &a, &b).map_err(|fault| match fault {
            Fault::Overflow => fail(e, RunErrorKind::Overflow),
            Fault::TooLarge => fail(e, RunErrorKind::NumberTooLarge),
            Fault::TextTooLong => fail(e, RunErrorKind::TextTooLong),
            Fault::DivideByZero => fail(r, RunErrorKind::DivideByZero),
            Fault::Mismatch => mismatch(e, op, a, b),
        }),
    }
}

/// Makes a value fit a field of type `ty`, or says why it cannot. Values of checked types
/// already fit; those of type `any` are checked here. Texts from open apps become times and
/// labels where a field wants those, since JSON has no other way to carry them.
pub fn fit(value: Value, ty: &Type) -> Result<Value, Value> {
    match (ty, value) {
        (Type::Any | Type::Error | Type::Nothing, v) => Ok(v),
        (Type::Optional(_), Value::None) => Ok(Value::None),
        (Type::Optional(inner), v) => fit(v, inner),
        (_, Value::None) => Err(Value::None),
        (Type::Text, v @ Value::Text(_)) => Ok(v),
        (Type::Choice(choices), Value::Text(t)) => {
            if choices.iter().any(|c| **c == *t) {
                Ok(Value::Text(t))
            } else {
                Err(Value::Text(t))
            }
        }
        (Type::Text, Value::Label(l)) => Ok(Value::Text(SmolStr::new(&*l))),
        (Type::Number, v @ Value::Number(_)) => Ok(v),
        (Type::Bool, v @ Value::Bool(_)) => Ok(v),
        (Type::Duration, v @ Value::Duration(_)) => Ok(v),
        (Type::Time, v @ Value::Time(_)) => Ok(v),
        (Type::Time, Value::Text(t)) => match crate::value::parse_time(&t) {
            Some(time) => Ok(Value::Time(time)),
            None => Err(Value::Text(t)),
        },
        (Type::Origin, v @ Value::Label(_)) => Ok(v),
        (Type::Origin, Value::Text(t)) => Ok(Value::Label(Arc::from(t.as_str()))),
        (Type::List(element), Value::List(items)) => {
            if **element == Type::Any {
                return Ok(Value::List(items));
            }
            let mut fitted = Vec::with_capacity(items.len());
            for item in items.iter() {
                match fit(item.clone(), element) {
                    Ok(v) => fitted.push(v),
                    Err(_) => return Err(Value::List(items)),
                }
            }
            Ok(Value::List(Arc::from(fitted)))
        }
        (Type::Nested(types), Value::Record(fields)) => super::each::fit_record(types, fields)
            .map(Value::Record)
            .map_err(Value::Record),
        (_, v) => Err(v),
    }
}

/// The `field == value` parts of a condition that every record it keeps must meet (those
/// joined by `and`), with the value worked out: a real app filters on them before sending.
pub(super) fn equalities(condition: &Expr, scope: &Scope, out: &mut Vec<(FieldId, Value)>) {
    match &condition.kind {
        ExprKind::Binary(BinaryOp::And, left, right) => {
            equalities(left, scope, out);
            equalities(right, scope, out);
        }
        ExprKind::Binary(BinaryOp::Eq, left, right) => {
            let (field, other) = match (&left.kind, &right.kind) {
                (ExprKind::TargetField(f), _) => (*f, right),
                (_, ExprKind::TargetField(f)) => (*f, left),
                _ => return,
            };
            if mentions_target(other) {
                return;
            }
            if let Ok(value) = eval(other, scope)
                && value != Value::None
            {
                out.push((field, value));
            }
        }
        _ => {}
    }
}

fn mentions_target(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::TargetField(_) | ExprKind::TargetId => true,
        ExprKind::Interpolation(pieces) => pieces.iter().any(|p| match p {
            Piece::Expr(e) => mentions_target(e),
            Piece::Text(_) => false,
        }),
        ExprKind::Call(_, args) | ExprKind::List(args) => args.iter().any(mentions_target),
        ExprKind::Not(e) | ExprKind::Neg(e) => mentions_target(e),
        ExprKind::Binary(_, l, r) | ExprKind::Index(l, r) => {
            mentions_target(l) || mentions_target(r)
        }
        ExprKind::Member(base, _) => mentions_target(base),
        ExprKind::Record(fields) => fields.iter().any(|(_, v)| mentions_target(v)),
        ExprKind::Each(each) => {
            mentions_target(&each.value)
                || mentions_target(&each.list)
                || each.keep.as_ref().is_some_and(mentions_target)
        }
        ExprKind::If(c, a, b) => mentions_target(c) || mentions_target(a) || mentions_target(b),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_equal_texts_with_the_same_letters() {
        assert!(equal(
            &Value::Label(Arc::from("weir")),
            &Value::text("weir")
        ));
        assert!(!equal(&Value::None, &Value::text("")));
        assert!(equal(&Value::None, &Value::None));
        assert!(!equal(&Value::Number(1.0), &Value::text("1")));
    }

    #[test]
    fn values_of_open_apps_are_fitted_to_declared_fields() {
        let t = fit(Value::text("2030-01-02T09:00:00Z"), &Type::Time).unwrap();
        assert!(matches!(t, Value::Time(_)));
        assert!(fit(Value::text("soon"), &Type::Time).is_err());
        assert!(fit(Value::Number(3.0), &Type::Text).is_err());
        assert_eq!(
            fit(Value::None, &Type::optional(Type::Text)),
            Ok(Value::None)
        );
        assert!(fit(Value::None, &Type::Text).is_err());
        let list = Value::List(Arc::from(vec![Value::text("a")]));
        assert!(fit(list, &Type::list(Type::Text)).is_ok());
    }

    #[test]
    fn results_past_the_range_of_numbers_and_times_are_faults() {
        let huge = Value::Number(f64::MAX);
        assert_eq!(
            combine(BinaryOp::Mul, &huge, &Value::Number(10.0)),
            Err(Fault::TooLarge)
        );
        assert_eq!(combine(BinaryOp::Add, &huge, &huge), Err(Fault::TooLarge));
        assert_eq!(
            combine(BinaryOp::Div, &huge, &Value::Number(0.5)),
            Err(Fault::TooLarge)
        );
        assert_eq!(
            combine(BinaryOp::Div, &huge, &Value::Number(2.0)),
            Ok(Value::Number(f64::MAX / 2.0))
        );
        let start = crate::value::parse_time("9000-01-01").unwrap();
        let years = Value::Duration(2000 * 366 * 86_400);
        assert_eq!(
            combine(BinaryOp::Add, &Value::Time(start), &years),
            Err(Fault::Overflow)
        );
        assert_eq!(
            combine(
                BinaryOp::Sub,
                &Value::Time(start),
                &Value::Duration(i64::MAX)
            ),
            Err(Fault::Overflow)
        );
    }
}
