//! Three-valued evaluation of the conditions a workflow checks before it acts.
//!
//! The checker does not know the records a workflow will see, only what an action writes for
//! certain: constant fields (`status: "synced"`) and, where the app can tell, the engine as the
//! origin. Every other value is unknown, and unknown never decides anything:
//!
//! ```text
//! where status == "new"      with status = "synced" written  →  false: the run stops
//! where total > 100          with nothing known              →  unknown: it may run
//! ```

use std::sync::Arc;

use crate::ast::BinaryOp;
use crate::operators::{combine, equal, holds, order};
use crate::program::{Expr, ExprKind, FieldId, Piece, StepKind, Workflow};
use crate::value::{Label, Value};

/// What is known of the event a workflow would run on.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Fields of the trigger record with a value known for certain.
    pub fields: Vec<(FieldId, Value)>,
    /// The event's origin, when it is certain.
    pub origin: Option<Label>,
}

/// The first leading condition that certainly stops the run, with its span.
pub fn stopping_condition(workflow: &Workflow, known: &Known) -> Option<crate::span::Span> {
    let mut locals: Vec<Option<Value>> = vec![None; workflow.locals.len()];
    if let Some(condition) = &workflow.trigger.condition
        && eval(condition, known, &locals) == Some(Value::Bool(false))
    {
        return Some(condition.span);
    }
    for step in &workflow.steps {
        if step.is_write() {
            break;
        }
        match &step.kind {
            StepKind::Let(local, value) => locals[local.0] = eval(value, known, &locals),
            // What a lookup finds is never known before the run.
            StepKind::Lookup(local, _) => locals[local.0] = None,
            StepKind::Guard {
                condition,
                continue_when,
            } => {
                if eval(condition, known, &locals) == Some(Value::Bool(!continue_when)) {
                    return Some(step.span);
                }
            }
            // The analysis follows branches one path at a time (see `paths`); a branch left
            // whole decides nothing here.
            // The trigger record a run sees after a wait is the one it started on: what the
            // write made known stays known.
            StepKind::Action(_)
            | StepKind::Call(_)
            | StepKind::Branch { .. }
            | StepKind::Wait(_) => {}
            // Nothing is known of a list's items.
            StepKind::For { item, .. } => locals[item.0] = None,
        }
    }
    None
}

/// A guard after the first write that would stop the engine's own echo if it came first: a
/// guard in the wrong place (it cannot stop the writes above it).
pub fn guard_after_write(workflow: &Workflow, engine: &Label) -> Option<crate::span::Span> {
    let known = Known {
        fields: Vec::new(),
        origin: Some(engine.clone()),
    };
    let mut locals: Vec<Option<Value>> = vec![None; workflow.locals.len()];
    let mut written = false;
    for step in &workflow.steps {
        match &step.kind {
            StepKind::Let(local, value) => locals[local.0] = eval(value, &known, &locals),
            StepKind::Lookup(local, _) => locals[local.0] = None,
            StepKind::Guard {
                condition,
                continue_when,
            } => {
                if written && eval(condition, &known, &locals) == Some(Value::Bool(!continue_when))
                {
                    return Some(step.span);
                }
            }
            StepKind::Action(_) | StepKind::Call(_) | StepKind::Branch { .. } => {
                written |= step.is_write()
            }
            StepKind::For { item, .. } => {
                locals[item.0] = None;
                written |= step.is_write();
            }
            StepKind::Wait(_) => {}
        }
    }
    None
}

/// The fields each write of a workflow certainly gives, in order of its writes: constants,
/// whether written as such or through a `let` that depends on nothing.
pub fn constant_writes(workflow: &Workflow) -> Vec<Vec<(FieldId, Value)>> {
    let known = Known::default();
    let mut locals: Vec<Option<Value>> = vec![None; workflow.locals.len()];
    let mut out = Vec::new();
    for step in &workflow.steps {
        match &step.kind {
            StepKind::Let(local, value) => locals[local.0] = eval(value, &known, &locals),
            StepKind::Action(action) => {
                let constants: Vec<(FieldId, Value)> = action
                    .kind
                    .assignments()
                    .iter()
                    .filter_map(|a| eval(&a.value, &known, &locals).map(|v| (a.field, v)))
                    .collect();
                // One entry for each change the action may make (an upsert's two alike).
                for _ in action.kind.all_writes() {
                    out.push(constants.clone());
                }
            }
            StepKind::Branch { .. } | StepKind::For { .. } => {
                let inside = crate::program::actions_in(std::slice::from_ref(step));
                out.extend(
                    inside
                        .iter()
                        .filter(|a| a.kind.writes().is_some())
                        .map(|_| Vec::new()),
                );
            }
            _ => {}
        }
    }
    out
}

/// The value of `e`, if what is known decides it.
pub fn eval(e: &Expr, known: &Known, locals: &[Option<Value>]) -> Option<Value> {
    match &e.kind {
        ExprKind::Const(v) => Some(v.clone()),
        ExprKind::TriggerField(f) => known
            .fields
            .iter()
            .find(|(id, _)| id == f)
            .map(|(_, v)| v.clone()),
        ExprKind::Origin => known.origin.clone().map(Value::Label),
        ExprKind::Local(l) => locals.get(l.0).cloned().flatten(),
        ExprKind::Not(inner) => match eval(inner, known, locals)? {
            Value::Bool(b) => Some(Value::Bool(!b)),
            _ => None,
        },
        ExprKind::Binary(op, l, r) => binary(*op, l, r, known, locals),
        ExprKind::If(c, t, o) => match eval(c, known, locals)? {
            Value::Bool(true) => eval(t, known, locals),
            Value::Bool(false) => eval(o, known, locals),
            _ => None,
        },
        ExprKind::List(items) => {
            let values: Option<Vec<Value>> = items.iter().map(|i| eval(i, known, locals)).collect();
            Some(Value::List(Arc::from(values?)))
        }
        ExprKind::Interpolation(pieces) => {
            let mut text = String::new();
            for piece in pieces {
                match piece {
                    Piece::Text(t) => text.push_str(t),
                    Piece::Expr(inner) => {
                        text.push_str(&eval(inner, known, locals)?.to_plain_text())
                    }
                }
            }
            Some(Value::text(&text))
        }
        ExprKind::Call(builtin, args) => {
            // `now()` moves with the clock, so only pure functions of known values count.
            if *builtin == crate::builtins::Builtin::Now {
                return None;
            }
            let values: Option<Vec<Value>> = args.iter().map(|a| eval(a, known, locals)).collect();
            builtin.apply(&values?, 0).ok()
        }
        _ => None,
    }
}

fn binary(
    op: BinaryOp,
    l: &Expr,
    r: &Expr,
    known: &Known,
    locals: &[Option<Value>],
) -> Option<Value> {
    let a = eval(l, known, locals);
    // `and` and `or` are decided by one side when that side is enough (Kleene logic).
    match op {
        BinaryOp::And => {
            let b = eval(r, known, locals);
            return match (a, b) {
                (Some(Value::Bool(false)), _) | (_, Some(Value::Bool(false))) => {
                    Some(Value::Bool(false))
                }
                (Some(Value::Bool(true)), Some(Value::Bool(true))) => Some(Value::Bool(true)),
                _ => None,
            };
        }
        BinaryOp::Or => {
            let b = eval(r, known, locals);
            return match (a, b) {
                (Some(Value::Bool(true)), _) | (_, Some(Value::Bool(true))) => {
                    Some(Value::Bool(true))
                }
                (Some(Value::Bool(false)), Some(Value::Bool(false))) => Some(Value::Bool(false)),
                _ => None,
            };
        }
        _ => {}
    }
    let (a, b) = (a?, eval(r, known, locals)?);
    // The same meaning as when the workflow runs; what would fail there is unknown here.
    Some(match op {
        BinaryOp::Eq => Value::Bool(equal(&a, &b)),
        BinaryOp::Ne => Value::Bool(!equal(&a, &b)),
        BinaryOp::In => match b {
            Value::List(items) => Value::Bool(items.iter().any(|i| equal(&a, i))),
            _ => return None,
        },
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            Value::Bool(holds(op, order(&a, &b)?))
        }
        BinaryOp::Default => match a {
            Value::None => b,
            value => value,
        },
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
            combine(op, &a, &b).ok()?
        }
        BinaryOp::And | BinaryOp::Or => {
            unreachable!("expected a non-logical operator, found {op:?}")
        }
    })
}

/// The labels a condition compares `origin` with, and where (for E0303).
pub fn origin_labels(e: &Expr, out: &mut Vec<(Label, crate::span::Span)>) {
    match &e.kind {
        ExprKind::Binary(BinaryOp::Eq | BinaryOp::Ne | BinaryOp::In, l, r) => {
            let is_origin = |x: &Expr| matches!(x.kind, ExprKind::Origin);
            if is_origin(l) || is_origin(r) {
                let other = if is_origin(l) { r } else { l };
                collect_labels(other, e.span, out);
            }
            origin_labels(l, out);
            origin_labels(r, out);
        }
        ExprKind::Binary(_, l, r) => {
            origin_labels(l, out);
            origin_labels(r, out);
        }
        ExprKind::Not(inner) => origin_labels(inner, out),
        ExprKind::If(c, t, o) => {
            origin_labels(c, out);
            origin_labels(t, out);
            origin_labels(o, out);
        }
        _ => {}
    }
}

fn collect_labels(e: &Expr, span: crate::span::Span, out: &mut Vec<(Label, crate::span::Span)>) {
    match &e.kind {
        ExprKind::Const(Value::Label(label)) => out.push((label.clone(), span)),
        ExprKind::List(items) => items.iter().for_each(|i| collect_labels(i, span, out)),
        _ => {}
    }
}
