//! Reads in a run: `find`, `every`, `exists` and `count`, the record a `let NAME = create` names, and
//! `upsert`, which reads before it writes.
//!
//! A lookup asks the app for the records its `where` accepts (a real app through its list,
//! filtered by the condition's equalities) and writes nothing. A read that gets no answer is an
//! error of the run, never "nothing found": `find` must not make a second record because an
//! app was down for a moment.

use std::cmp::Ordering;
use std::sync::Arc;

use super::action::{RunCtx, fit_field, stamp_record, stamp_write};
use super::apps::{Apps, Record, RecordRef, Write};
use super::error::{RunError, RunErrorKind};
use super::eval::{self, Scope, Subject};
use super::{Core, Outcome};
use crate::program::{Action, EntityId, FieldId, Program, Query, QueryKind};
use crate::span::Span;
use crate::value::Value;

impl Core {
    /// `upsert … match KEY { … }`: the first record whose `KEY` has the block's value is
    /// updated with the block; with none, one is created from it. Run again (a retried event),
    /// it finds what it made the first time and updates that, so it never makes two.
    #[expect(clippy::too_many_arguments, reason = "a write has this many parts")]
    pub(super) fn upsert<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        action: &Action,
        entity: EntityId,
        key: FieldId,
        fields: &[crate::program::Assign],
        ctx: &mut RunCtx,
        scope: &Scope,
        out: &mut Outcome,
    ) -> Result<(), RunError> {
        let mut values = Vec::with_capacity(fields.len());
        for assign in fields {
            let value = eval::eval(&assign.value, scope)?;
            values.push((
                assign.field,
                fit_field(p, entity, assign.field, value, assign.value.span)?,
            ));
        }
        let wanted = values
            .iter()
            .find(|(f, _)| *f == key)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::None);
        let equal = [(key, wanted.clone())];
        let found = apps
            .lookup(entity, &equal, &mut |record| {
                crate::operators::equal(record.get(key), &wanted)
            })
            .map_err(|err| RunError::new(action.span, RunErrorKind::App(err)))?;
        let engine = self.engine.clone();
        if let Some(existing) = found.first() {
            let mut write = Write {
                fields: values,
                ..Write::default()
            };
            stamp_write(p, entity, &mut write, &engine);
            let at = RecordRef::new(entity, existing.id);
            self.update(p, apps, at, write, ctx, action.span, out)?;
            self.last_created = Some(at);
            return Ok(());
        }
        let e = p.entity(entity);
        let mut record = Record::empty(e.fields.len());
        for (field, value) in values {
            record.set(field, value);
        }
        if let Some((field, _)) = e
            .fields
            .iter()
            .zip(record.fields().iter())
            .find(|(f, v)| f.required && **v == Value::None)
        {
            return Err(RunError::new(
                action.span,
                RunErrorKind::MissingField {
                    field: field.name.clone(),
                    entity: e.name.clone(),
                },
            ));
        }
        stamp_record(p, entity, &mut record, &engine);
        self.create(p, apps, entity, record, ctx, action.span, out)?;
        Ok(())
    }

    /// The record the last `create` made, as a `let` holds it: its values, then its id.
    pub(super) fn created_value<A: Apps>(
        &mut self,
        p: &Program,
        apps: &A,
        span: Span,
    ) -> Result<Value, RunError> {
        let Some(at) = self.last_created.take() else {
            return Ok(Value::None);
        };
        let record = apps
            .get(at)
            .map_err(|err| RunError::new(span, RunErrorKind::App(err)))?;
        Ok(match record {
            Some(record) => record_value(p, at, &record),
            None => Value::None,
        })
    }

    /// `find`, `every`, `exists` or `count`: reads records, writes nothing. A real app that cannot be
    /// asked fails the run (to be retried), never "nothing found".
    pub(super) fn query<A: Apps>(
        &mut self,
        apps: &A,
        query: &Query,
        scope: &Scope,
    ) -> Result<Value, RunError> {
        let found = matching(
            apps,
            query.entity,
            query.condition.as_ref(),
            query.span,
            scope,
        )?;
        Ok(match query.kind {
            QueryKind::Exists => Value::Bool(!found.is_empty()),
            QueryKind::Count => Value::Number(found.len() as f64),
            QueryKind::Find(order) => match in_order(found, order).first() {
                Some(record) => record_value(
                    scope.program,
                    RecordRef::new(query.entity, record.id),
                    record,
                ),
                None => Value::None,
            },
            QueryKind::Every(order) => {
                let records = in_order(found, order);
                let items: Vec<Value> = records
                    .iter()
                    .map(|record| {
                        record_value(
                            scope.program,
                            RecordRef::new(query.entity, record.id),
                            record,
                        )
                    })
                    .collect();
                Value::List(Arc::from(items))
            }
        })
    }
}

/// The records found, by `ordered by` (a field, and whether descending) or as found (in id
/// order). The sort is stable, so equal keys keep the id order (`find` takes the first of
/// them), and a record without the field comes after every one with it, either way.
fn in_order(mut found: Vec<Record>, order: Option<(FieldId, bool)>) -> Vec<Record> {
    if let Some((field, descending)) = order {
        found.sort_by(|a, b| {
            let (a, b) = (a.get(field), b.get(field));
            match (a == &Value::None, b == &Value::None) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) if descending => key_order(b, a),
                (false, false) => key_order(a, b),
            }
        });
    }
    found
}

/// A total order of one field's values, as `sort_by` needs: numbers by `total_cmp`, so that a
/// NaN cannot make it inconsistent; values that have no order are equal.
fn key_order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.total_cmp(y),
        _ => crate::operators::order(a, b).unwrap_or(Ordering::Equal),
    }
}

/// A record as a `let` holds it (`find`, `let NAME = create`): its values, then its id.
fn record_value(p: &Program, at: RecordRef, record: &Record) -> Value {
    let mut values: Vec<Value> = record.fields().to_vec();
    values.push(Value::text(&at.show(p).to_string()));
    Value::List(Arc::from(values))
}

/// The records of `entity` for which `condition` holds (all without one), in id order; through
/// the app's list endpoint, filtered by the condition's equalities, for a real app.
pub(super) fn matching<A: Apps>(
    apps: &A,
    entity: EntityId,
    condition: Option<&crate::program::Expr>,
    span: Span,
    scope: &Scope,
) -> Result<Vec<Record>, RunError> {
    // A real app filters on these before it sends; the simulator finds them by an index.
    let mut equal = Vec::new();
    if let Some(condition) = condition {
        eval::equalities(condition, scope, &mut equal);
    }
    let mut failed = None;
    let found = apps.lookup(entity, &equal, &mut |record| {
        let Some(condition) = condition else {
            return true;
        };
        if failed.is_some() {
            return false;
        }
        let inner = Scope {
            target: Some(Subject { entity, record }),
            ..*scope
        };
        eval::truth(condition, &inner).unwrap_or_else(|err| {
            failed = Some(err);
            false
        })
    });
    if let Some(err) = failed {
        return Err(err);
    }
    found.map_err(|err| RunError::new(span, RunErrorKind::App(err)))
}
