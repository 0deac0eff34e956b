//! `sum(…)`, `any(…)`, `all(…)` and `[… for … in …]` in a run, and nested records fitted to
//! their declared types.
//!
//! The item is a local the checker gave its own slot: each item is put there in turn, in a
//! copy of the run's locals made once per walk, not once per item.

use std::sync::Arc;

use super::error::{RunError, RunErrorKind};
use super::eval::{Scope, eval, fit, items, truth};
use crate::ast::EachKind;
use crate::program::Each;
use crate::types::Type;
use crate::value::{Fields, Value};

/// The value of one walk over a list's items.
pub(super) fn each(each: &Each, s: &Scope) -> Result<Value, RunError> {
    let list = items(&each.list, s)?;
    let mut locals = s.locals.to_vec();
    if locals.len() <= each.item.0 {
        locals.resize(each.item.0 + 1, Value::None);
    }
    let mut total = 0.0;
    let mut made = Vec::new();
    for item in list.iter() {
        locals[each.item.0] = item.clone();
        let inner = Scope {
            locals: &locals,
            ..*s
        };
        if let Some(keep) = &each.keep
            && !truth(keep, &inner)?
        {
            continue;
        }
        match each.kind {
            EachKind::Sum => match eval(&each.value, &inner)? {
                Value::Number(n) => total += n,
                Value::None => {
                    return Err(RunError::new(each.value.span, RunErrorKind::Missing));
                }
                other => {
                    return Err(RunError::new(
                        each.value.span,
                        RunErrorKind::WrongType {
                            expected: "number",
                            found: other,
                        },
                    ));
                }
            },
            EachKind::Any if truth(&each.value, &inner)? => return Ok(Value::Bool(true)),
            EachKind::All if !truth(&each.value, &inner)? => return Ok(Value::Bool(false)),
            EachKind::Any | EachKind::All => {}
            EachKind::List => made.push(eval(&each.value, &inner)?),
        }
    }
    Ok(match each.kind {
        EachKind::Sum if total.is_finite() => Value::Number(total),
        EachKind::Sum => {
            return Err(RunError::new(each.value.span, RunErrorKind::Overflow));
        }
        EachKind::Any => Value::Bool(false),
        EachKind::All => Value::Bool(true),
        EachKind::List => Value::List(Arc::from(made)),
    })
}

/// A record value laid out as `types` declares it: fields found by name (in the type's order,
/// which is the usual one, first), optional fields left out as `none`. `Err` gives back the
/// record when a field is missing or does not fit.
pub(super) fn fit_record(types: &[(Arc<str>, Type)], fields: Fields) -> Result<Fields, Fields> {
    let mut fitted = Vec::with_capacity(types.len());
    for (i, (name, ty)) in types.iter().enumerate() {
        let found = match fields.get(i) {
            Some((n, v)) if n == name => Some(v),
            _ => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
        };
        let value = found.cloned().unwrap_or(Value::None);
        match fit(value, ty) {
            Ok(v) => fitted.push((name.clone(), v)),
            Err(_) => return Err(fields),
        }
    }
    Ok(Arc::from(fitted))
}
