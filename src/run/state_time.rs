//! The clock's part of a state file: the time the clock read, the runs waiting for it
//! (`wait 12h`) and the timers that fired, so that `weir run --state FILE --now T` goes on from
//! the last run's time, firing on the way what came due and nothing twice:
//!
//! ```text
//! weir run clinic.weir --events monday.jsonl --state s.json --now 2030-05-01T08:00:00Z
//! weir run clinic.weir --events /dev/null --state s.json --now 2030-05-02T20:00:00Z
//!     # the timers due since Monday 08:00 fire, and the runs whose wait ended go on
//! ```
//!
//! A waiting run's event is written as a held event is (the same JSON, read back by the same
//! code), with its workflow, its run number, the step it goes on with and its `let`s.

use std::sync::Arc;

use serde_json::{Value as Json, json};

use super::apps::Apps;
use super::guard::{Actor, Held, HoldReason};
use super::state::{StateError, held_json, load_held, record_ref};
use super::wait::Waiting;
use super::{Engine, input};
use crate::program::{Program, WorkflowId};
use crate::types::Type;
use crate::value::{Value, format_rfc3339, parse_time};

/// `"clock"`, `"waiting"` and `"fired"`, to go beside the apps in a state file.
pub(super) fn save<A: Apps>(engine: &Engine<A>, top: &mut serde_json::Map<String, Json>) {
    let p = &**engine.program();
    let core = &engine.core;
    let waiting: Vec<Json> = core.waiting.iter().map(|w| waiting_json(p, w)).collect();
    let mut fired: Vec<_> = core.fired.iter().collect();
    fired.sort_by_key(|(w, at, due)| (w.0, at.entity.0, at.id, *due));
    let fired: Vec<Json> = fired
        .into_iter()
        .map(|(w, at, due)| {
            json!([
                &*p.workflow(*w).name,
                at.show(p).to_string(),
                format_rfc3339(*due)
            ])
        })
        .collect();
    top.insert("clock".into(), Json::String(format_rfc3339(engine.now())));
    top.insert("waiting".into(), Json::Array(waiting));
    top.insert("fired".into(), Json::Array(fired));
}

/// Reads back what [`save`] wrote. The clock goes back to the saved time when that is earlier
/// than the engine's, so that moving it to the engine's time again fires what came due.
pub(super) fn load<A: Apps>(
    engine: &mut Engine<A>,
    top: &serde_json::Map<String, Json>,
) -> Result<(), StateError> {
    let program = Arc::clone(engine.program());
    let p = &*program;
    let mut waiting = Vec::new();
    let entries = top
        .get("waiting")
        .and_then(Json::as_array)
        .map_or(&[][..], Vec::as_slice);
    for (i, entry) in entries.iter().enumerate() {
        let place = format!("waiting[{i}]");
        waiting.push(load_waiting(p, entry, &place)?);
    }
    let mut fired = Vec::new();
    let entries = top
        .get("fired")
        .and_then(Json::as_array)
        .map_or(&[][..], Vec::as_slice);
    for (i, entry) in entries.iter().enumerate() {
        let place = format!("fired[{i}]");
        let bad = || shape(&place, "[workflow, record, time]");
        let [w, at, due] = entry.as_array().map(Vec::as_slice).ok_or_else(bad)? else {
            return Err(bad());
        };
        let workflow = workflow_named(p, w.as_str().ok_or_else(bad)?)?;
        let at = record_ref(p, at.as_str().ok_or_else(bad)?)?;
        let due = due.as_str().and_then(parse_time).ok_or_else(bad)?;
        fired.push((workflow, at, due));
    }
    let core = &mut engine.core;
    core.wait_seq = waiting.iter().map(|w| w.seq).max().unwrap_or(0);
    core.waiting = waiting;
    core.fired.extend(fired);
    if let Some(clock) = top.get("clock") {
        let clock = clock
            .as_str()
            .and_then(parse_time)
            .ok_or_else(|| shape("clock", "a time"))?;
        core.options.now = core.options.now.min(clock);
    }
    Ok(())
}

/// A waiting run as a state file keeps it: its time, workflow, run, next step, `let`s and the
/// event it started on (with its chain).
pub(super) fn waiting_json(p: &Program, w: &Waiting) -> Json {
    let held = Held {
        event: w.event.clone(),
        by: Actor::Workflow(w.workflow),
        reason: HoldReason::Repeated,
    };
    json!({
        "due": format_rfc3339(w.due),
        "workflow": &*p.workflow(w.workflow).name,
        "run": w.run,
        "next": w.next,
        "locals": w.locals.iter().map(Value::as_json).collect::<Vec<_>>(),
        "started_on": held_json(p, &held),
    })
}

pub(super) fn load_waiting(p: &Program, entry: &Json, place: &str) -> Result<Waiting, StateError> {
    let map = entry.as_object().ok_or_else(|| shape(place, "an object"))?;
    let field = |name: &str| {
        map.get(name)
            .ok_or_else(|| shape(format!("{place}.{name}"), "present"))
    };
    let due = field("due")?.as_str().and_then(parse_time);
    let due = due.ok_or_else(|| shape(format!("{place}.due"), "a time"))?;
    let name = field("workflow")?.as_str().unwrap_or_default();
    let workflow = workflow_named(p, name)?;
    let number = |name: &str| {
        let n = field(name)?.as_u64();
        n.ok_or_else(|| shape(format!("{place}.{name}"), "a whole number"))
    };
    let (run, next) = (number("run")?, number("next")?);
    let next = usize::try_from(next).unwrap_or(usize::MAX);
    let w = p.workflow(workflow);
    if next > w.steps.len() {
        return Err(shape(format!("{place}.next"), "a step of the workflow"));
    }
    let locals = field("locals")?
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if locals.len() != w.locals.len() {
        return Err(shape(format!("{place}.locals"), "the workflow's `let`s"));
    }
    let mut values = Vec::new();
    for (local, json) in w.locals.iter().zip(locals) {
        let place = format!("{place}.locals.{}", local.name);
        values.push(local_value(
            p,
            &local.name,
            &local.ty,
            json.clone(),
            &place,
        )?);
    }
    let held = load_held(p, field("started_on")?, &format!("{place}.started_on"))?;
    Ok(Waiting {
        due,
        workflow,
        run,
        next,
        event: held.event,
        locals: values,
        seq: run,
    })
}

/// A `let`'s value as [`Value::as_json`] wrote it; a record found by `find` is its fields
/// and then its id, and the records `every` found are a list of those.
fn local_value(
    p: &Program,
    name: &Arc<str>,
    ty: &Type,
    json: Json,
    place: &str,
) -> Result<Value, StateError> {
    // A `let` below the wait has no value yet.
    if json.is_null() {
        return Ok(Value::None);
    }
    if let Type::List(item) = ty.unwrapped()
        && matches!(**item, Type::Record(..))
    {
        let Json::Array(records) = json else {
            return Err(shape(place, "a list of records"));
        };
        let mut values = Vec::with_capacity(records.len());
        for (i, record) in records.into_iter().enumerate() {
            values.push(local_value(
                p,
                name,
                item,
                record,
                &format!("{place}[{i}]"),
            )?);
        }
        return Ok(Value::List(Arc::from(values)));
    }
    if let Type::Record(entity, _) = ty.unwrapped() {
        let Json::Array(items) = json else {
            return Ok(Value::None);
        };
        let fields = &p.entity(*entity).fields;
        let mut values = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            values.push(match fields.get(i) {
                Some(f) => local_value(p, &f.name, &f.ty, item, place)?,
                None => Value::text(item.as_str().unwrap_or_default()),
            });
        }
        return Ok(Value::List(Arc::from(values)));
    }
    input::decode_value(p, name, ty, json).map_err(|problem| StateError::Record {
        place: place.to_string(),
        problem,
    })
}

fn workflow_named(p: &Program, name: &str) -> Result<WorkflowId, StateError> {
    let found = p.workflows.iter().position(|w| &*w.name == name);
    found
        .map(WorkflowId)
        .ok_or_else(|| StateError::UnknownWorkflow(name.to_string()))
}

fn shape(place: impl Into<String>, expected: &'static str) -> StateError {
    StateError::Shape {
        place: place.into(),
        expected,
    }
}
