//! Narrowing: an optional value shown present by a comparison is a plain value after it.
//!
//! ```text
//! continue if phone != none
//! notify "call {phone}"          # fine: phone is present here
//! notify "call {email}"          # E0204: email may still be none
//! ```

use crate::ast::BinaryOp;
use crate::program::{Expr, ExprKind, FieldId, LocalId};
use crate::value::Value;

/// A value that a comparison with `none` (or with a value) has shown to be present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Narrow {
    Trigger(FieldId),
    Target(FieldId),
    Local(LocalId),
}

impl Narrow {
    pub(super) fn of(kind: &ExprKind) -> Option<Narrow> {
        match kind {
            ExprKind::TriggerField(f) => Some(Narrow::Trigger(*f)),
            ExprKind::TargetField(f) => Some(Narrow::Target(*f)),
            ExprKind::Local(l) => Some(Narrow::Local(*l)),
            _ => None,
        }
    }
}

/// The optional values that are certainly present when `e` evaluates to `when`.
pub(super) fn present_when(e: &Expr, when: bool, out: &mut Vec<Narrow>) {
    match &e.kind {
        ExprKind::Not(inner) => present_when(inner, !when, out),
        ExprKind::Binary(BinaryOp::And, l, r) if when => {
            present_when(l, true, out);
            present_when(r, true, out);
        }
        ExprKind::Binary(BinaryOp::Or, l, r) if !when => {
            present_when(l, false, out);
            present_when(r, false, out);
        }
        ExprKind::Binary(op @ (BinaryOp::Eq | BinaryOp::Ne), l, r) => {
            let is_none = |x: &Expr| matches!(x.as_const(), Some(Value::None));
            let (subject, other) = if is_none(l) || l.as_const().is_some() {
                (r, l)
            } else {
                (l, r)
            };
            let present = match (op, is_none(other)) {
                // `x != none` holds, or `x == none` fails.
                (BinaryOp::Ne, true) => when,
                (BinaryOp::Eq, true) => !when,
                // `x == "a"` holds: x is "a", so present.
                (BinaryOp::Eq, false) => when && other.as_const().is_some(),
                _ => false,
            };
            if present {
                out.extend(Narrow::of(&subject.kind));
            }
        }
        ExprKind::Binary(BinaryOp::In, l, _) if when => out.extend(Narrow::of(&l.kind)),
        _ => {}
    }
}
