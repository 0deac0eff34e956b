//! Traces: what happened, as data ([`TraceItem`]), and its two renderings.
//!
//! The engine records items only when tracing is on; off, it keeps nothing per event. The human
//! rendering is a tree: each event, under it the runs it started and the workflows it skipped,
//! under each run its actions, and under each write the event it caused. The JSON rendering is
//! one object per line, in the order things happened (the schema is in docs/runtime.md).
//!
//! ```text
//! #1 new Calendar/event/1, origin user: {title: "Standup", origin: user}
//!   run 1 to_outlook
//!     create → #2 new Outlook/event/1, origin keragon: {subject: "Standup", origin: keragon}
//!       run 2 to_calendar
//!         stopped by `unless origin == keragon` (mirror.weir:19)
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use serde_json::{Map, Value as Json};
use smol_str::SmolStr;

mod json;

pub use json::{bad_line_json, json_lines, summary_json};

use super::apps::{RecordRef, RecordView};
use super::error::Failure;
use super::guard::{self, Actor, Held};
use super::{Counts, Event};
use crate::ast::EventKind;
use crate::program::{EntityId, FieldId, Program};
use crate::source::SourceMap;
use crate::span::Span;
use crate::value::Value;

/// One thing that happened.
#[derive(Clone, Debug)]
pub enum TraceItem {
    Event(Event),
    /// A run started.
    Run {
        run: u64,
        by: Actor,
        event: u64,
    },
    /// A workflow (or sync) whose trigger matched the event's kind did not start.
    Skip {
        by: Actor,
        event: u64,
        why: Skip,
    },
    /// A guard step ended a run.
    Stop {
        run: u64,
        by: Actor,
        step: Span,
        condition: Span,
    },
    Action {
        run: u64,
        by: Actor,
        done: Done,
    },
    Hold(Held),
    Error(Failure),
    /// A run reached `wait` (at `step`) and goes on at `due`.
    Wait {
        run: u64,
        by: Actor,
        step: Span,
        due: i64,
    },
    /// A waiting run went on after its `wait` (at `step`), on the event it started on.
    Resume {
        run: u64,
        by: Actor,
        event: u64,
        step: Span,
    },
}

/// Why a workflow did not start on an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Its trigger's `where` was false.
    Where(Span),
    /// None of its `changing` fields changed.
    Changing(Span),
    /// A sync saw its own write come back.
    Echo,
    /// Its trigger's `at most once per …` (at `span`) let a run through `ago` seconds before.
    Limited { span: Span, ago: i64 },
    /// A sync linked a new record to an existing one with the same `match` value.
    Linked(RecordRef),
    /// A step's `at most once per …` (at `span`) let it through `ago` seconds before: the step
    /// was skipped, the run went on.
    LimitedStep { span: Span, ago: i64 },
}

/// What an action did.
#[derive(Clone, Debug)]
pub enum Done {
    /// `event` is the event the write caused (none where the app does not send that kind).
    Create {
        at: RecordRef,
        event: Option<u64>,
    },
    Update {
        at: RecordRef,
        changed: Arc<[FieldId]>,
        event: Option<u64>,
    },
    Delete {
        at: RecordRef,
        event: Option<u64>,
    },
    /// An `update` or `delete` found no record to write.
    NoRecord {
        kind: EventKind,
        entity: EntityId,
        span: Span,
    },
    Notify {
        channel: Option<SmolStr>,
        text: SmolStr,
    },
    /// A sync found both sides changed: `kept` won, `lost` (in `entity`'s field) lost.
    Conflict {
        entity: EntityId,
        field: FieldId,
        kept: Value,
        lost: Value,
        /// The event the conflict was to workflows that run on it, if any do.
        event: Option<u64>,
    },
}

impl Done {
    fn verb(&self) -> &'static str {
        match self {
            Done::Create { .. } => "create",
            Done::Update { .. } => "update",
            Done::Delete { .. } => "delete",
            Done::NoRecord { .. } => "nothing",
            Done::Notify { .. } => "notify",
            Done::Conflict { .. } => "conflict",
        }
    }

    fn event(&self) -> Option<u64> {
        match self {
            Done::Create { event, .. }
            | Done::Update { event, .. }
            | Done::Delete { event, .. }
            | Done::Conflict { event, .. } => *event,
            _ => None,
        }
    }
}

/// `{title: "Standup", start: time("2030-01-02T09:00:00Z")}`.
pub fn show_record(program: &Program, entity: EntityId, record: RecordView) -> String {
    let e = program.entity(entity);
    let mut out = String::from("{");
    let mut first = true;
    let mut sep = |out: &mut String| {
        if !first {
            out.push_str(", ");
        }
        first = false;
    };
    for (field, value) in e.fields.iter().zip(record.fields.iter()) {
        sep(&mut out);
        let _ = write!(out, "{}: ", field.name);
        show_value(value, &mut out);
    }
    for (name, value) in record.extras() {
        sep(&mut out);
        let _ = write!(out, "{name}: ");
        show_value(value, &mut out);
    }
    out.push('}');
    out
}

/// A record as JSON: `{"id": "Calendar/event/1", "title": "Standup", …}`.
pub fn record_json(program: &Program, entity: EntityId, record: RecordView) -> Json {
    let e = program.entity(entity);
    let mut map = Map::new();
    map.insert(
        "id".into(),
        Json::String(RecordRef::new(entity, record.id).show(program).to_string()),
    );
    for (field, value) in e.fields.iter().zip(record.fields.iter()) {
        map.insert(field.name.to_string(), value.as_json());
    }
    for (name, value) in record.extras() {
        map.insert(name.to_string(), value.as_json());
    }
    Json::Object(map)
}

fn field_names(program: &Program, entity: EntityId, fields: &[FieldId]) -> Vec<String> {
    let e = program.entity(entity);
    fields
        .iter()
        .filter_map(|f| e.fields.get(f.0).map(|f| f.name.to_string()))
        .collect()
}

/// `file.weir:12`.
fn place(sources: &SourceMap, span: Span) -> String {
    format!("{}:{}", sources.name(span.file), sources.line_of(span))
}

// ---------------------------------------------------------------- human

/// Renders items as an indented tree, one line per item.
pub fn human(program: &Program, sources: &SourceMap, items: &[TraceItem], out: &mut String) {
    let tree = Tree::new(items);
    let mut shown = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            TraceItem::Event(event) if !tree.caused.contains(&event.id) => {
                tree.event(program, sources, i, 0, &mut shown, out);
            }
            TraceItem::Resume { .. } => {
                shown.insert(i);
                line(program, sources, item, 0, out);
                tree.turn(program, sources, i, 0, &mut shown, out);
            }
            _ => {}
        }
    }
    // Anything not under an event (a failure before any event, say) goes last.
    for (i, item) in items.iter().enumerate() {
        if !shown.contains(&i) && !matches!(item, TraceItem::Event(_)) {
            line(program, sources, item, 0, out);
        }
    }
}

struct Tree<'a> {
    items: &'a [TraceItem],
    /// Event id → the item that reports it.
    events: HashMap<u64, usize>,
    /// Event id → runs, skips, holds and run-less errors about it.
    under_event: HashMap<u64, Vec<usize>>,
    /// The item that started a turn of a run (its `Run`, or a `Resume` after a `wait`) →
    /// the turn's stops, actions, waits and errors.
    under_run: HashMap<usize, Vec<usize>>,
    /// Events some action caused (the rest are roots).
    caused: HashSet<u64>,
}

impl<'a> Tree<'a> {
    fn new(items: &'a [TraceItem]) -> Tree<'a> {
        let mut tree = Tree {
            items,
            events: HashMap::new(),
            under_event: HashMap::new(),
            under_run: HashMap::new(),
            caused: HashSet::new(),
        };
        // The turn each run is in: the index of its `Run` or latest `Resume`.
        let mut turn: HashMap<u64, usize> = HashMap::new();
        // The turn each workflow is running now (a run goes on until it ends or waits): a
        // step skipped by its limit goes among that turn's steps, in the order they ran.
        let mut running: HashMap<Actor, usize> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let mut under_run = |run: u64| {
                if let Some(&start) = turn.get(&run) {
                    tree.under_run.entry(start).or_default().push(i);
                }
            };
            match item {
                TraceItem::Event(e) => {
                    tree.events.insert(e.id, i);
                }
                TraceItem::Run { event, run, by } => {
                    turn.insert(*run, i);
                    running.insert(*by, i);
                    tree.under_event.entry(*event).or_default().push(i);
                }
                TraceItem::Skip {
                    by,
                    why: Skip::LimitedStep { .. },
                    ..
                } if running.contains_key(by) => {
                    tree.under_run.entry(running[by]).or_default().push(i);
                }
                TraceItem::Skip { event, .. } => {
                    tree.under_event.entry(*event).or_default().push(i);
                }
                // A run that goes on after a wait is a root of its own: its event was before.
                TraceItem::Resume { run, by, .. } => {
                    turn.insert(*run, i);
                    running.insert(*by, i);
                }
                TraceItem::Hold(held) => {
                    tree.under_event.entry(held.event.id).or_default().push(i);
                }
                TraceItem::Error(f) if f.run == 0 => {
                    tree.under_event.entry(f.event).or_default().push(i);
                }
                TraceItem::Error(f) => under_run(f.run),
                TraceItem::Stop { run, .. } | TraceItem::Wait { run, .. } => under_run(*run),
                TraceItem::Action { run, done, .. } => {
                    under_run(*run);
                    if let Some(event) = done.event() {
                        tree.caused.insert(event);
                    }
                }
            }
        }
        tree
    }

    fn event(
        &self,
        program: &Program,
        sources: &SourceMap,
        index: usize,
        depth: usize,
        shown: &mut HashSet<usize>,
        out: &mut String,
    ) {
        shown.insert(index);
        let item = &self.items[index];
        line(program, sources, item, depth, out);
        self.under(program, sources, item, depth, shown, out);
    }

    /// What happened because of an event: its runs and skips, their steps, and (on the same
    /// line as each write) the event the write caused, and so on down.
    fn under(
        &self,
        program: &Program,
        sources: &SourceMap,
        item: &TraceItem,
        depth: usize,
        shown: &mut HashSet<usize>,
        out: &mut String,
    ) {
        let TraceItem::Event(event) = item else {
            return;
        };
        for &child in self.under_event.get(&event.id).into_iter().flatten() {
            shown.insert(child);
            line(program, sources, &self.items[child], depth + 1, out);
            self.turn(program, sources, child, depth + 1, shown, out);
        }
    }

    /// The steps of one turn of a run (started by the item at `start`), below its line at `depth`.
    fn turn(
        &self,
        program: &Program,
        sources: &SourceMap,
        start: usize,
        depth: usize,
        shown: &mut HashSet<usize>,
        out: &mut String,
    ) {
        {
            for &step in self.under_run.get(&start).into_iter().flatten() {
                shown.insert(step);
                let item = &self.items[step];
                let caused = match item {
                    TraceItem::Action { done, .. } => {
                        done.event().and_then(|e| self.events.get(&e))
                    }
                    _ => None,
                };
                match (item, caused) {
                    // A conflict keeps its own line; the event it was to workflows goes below.
                    (
                        TraceItem::Action {
                            done: Done::Conflict { .. },
                            ..
                        },
                        Some(&caused),
                    ) => {
                        shown.insert(caused);
                        line(program, sources, item, depth + 1, out);
                        indent(depth + 2, out);
                        out.push_str("→ ");
                        line(program, sources, &self.items[caused], 0, out);
                        self.under(program, sources, &self.items[caused], depth + 2, shown, out);
                    }
                    (TraceItem::Action { done, .. }, Some(&caused)) => {
                        shown.insert(caused);
                        indent(depth + 1, out);
                        out.push_str(done.verb());
                        out.push_str(" → ");
                        line(program, sources, &self.items[caused], 0, out);
                        self.under(program, sources, &self.items[caused], depth + 1, shown, out);
                    }
                    _ => line(program, sources, item, depth + 1, out),
                }
            }
        }
    }
}

fn indent(depth: usize, out: &mut String) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// A value as a trace shows it: texts quoted, times and durations plain.
fn show_value(value: &Value, out: &mut String) {
    match value {
        Value::Text(t) => {
            let _ = write!(out, "{:?}", &**t);
        }
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                show_value(item, out);
            }
            out.push(']');
        }
        Value::None | Value::Bool(_) => {
            let _ = write!(out, "{value}");
        }
        other => other.push_plain_text(out),
    }
}

fn line(program: &Program, sources: &SourceMap, item: &TraceItem, depth: usize, out: &mut String) {
    indent(depth, out);
    let _ = match item {
        TraceItem::Event(e) => event_line(program, e, out),
        TraceItem::Run { run, by, .. } => write!(out, "run {run} {}", by.name(program)),
        TraceItem::Skip { by, why, .. } => skip_line(program, sources, by, why, out),
        TraceItem::Stop { step, .. } => write!(
            out,
            "stopped by `{}` ({})",
            sources.slice(*step),
            place(sources, *step)
        ),
        TraceItem::Action { done, .. } => done_line(program, sources, done, out),
        TraceItem::Hold(held) => write!(
            out,
            "HELD before {} ran on {} ({}): {}",
            held.by.name(program),
            held.event.at().show(program),
            held.reason.code(),
            hold_reason(held)
        ),
        TraceItem::Error(f) => write!(
            out,
            "FAILED {} (R0302): {} ({})",
            f.by,
            f.error.kind,
            place(sources, f.error.span)
        ),
        TraceItem::Wait { step, due, .. } => write!(
            out,
            "waits at `{}` ({}) until {}",
            sources.slice(*step),
            place(sources, *step),
            crate::value::format_rfc3339(*due)
        ),
        TraceItem::Resume { run, by, step, .. } => write!(
            out,
            "run {run} {} goes on after `{}` ({})",
            by.name(program),
            sources.slice(*step),
            place(sources, *step)
        ),
    };
    out.push('\n');
}

/// An event: what happened to which record, and its values.
fn event_line(program: &Program, e: &Event, out: &mut String) -> std::fmt::Result {
    if e.conflict.is_some() {
        let sync = e.conflict.as_ref().map(|c| c.sync.0).unwrap_or_default();
        write!(
            out,
            "#{} conflict in sync {} on {}: {}",
            e.id,
            program.syncs[sync].name,
            e.at().show(program),
            show_record(program, e.entity, e.record.view())
        )
    } else if program.app(program.entity(e.entity).app).is_clock() {
        write!(out, "#{} {}", e.id, super::schedule::tick_text(e))
    } else {
        let _ = write!(
            out,
            "#{} {} {}, origin {}",
            e.id,
            e.kind,
            e.at().show(program),
            e.origin
        );
        if let Some(changed) = &e.changed {
            let names = field_names(program, e.entity, changed);
            if names.is_empty() {
                out.push_str(", nothing changed");
            } else {
                let _ = write!(out, ", changed {}", names.join(", "));
            }
        }
        write!(out, ": {}", show_record(program, e.entity, e.record.view()))
    }
}

/// Why a workflow did not run on an event.
fn skip_line(
    program: &Program,
    sources: &SourceMap,
    by: &Actor,
    why: &Skip,
    out: &mut String,
) -> std::fmt::Result {
    let name = by.name(program);
    match why {
        Skip::Where(span) => write!(
            out,
            "skip {name}: `where {}` is false ({})",
            sources.slice(*span),
            place(sources, *span)
        ),
        Skip::Changing(span) => write!(
            out,
            "skip {name}: none of `{}` changed ({})",
            sources.slice(*span),
            place(sources, *span)
        ),
        Skip::Echo => write!(out, "skip {name}: the echo of its own write"),
        Skip::LimitedStep { span, ago } => write!(
            out,
            "skip a step of {name}: `{}`, and it ran {ago}s ago ({})",
            sources.slice(*span),
            place(sources, *span)
        ),
        Skip::Limited { span, ago } => write!(
            out,
            "skip {name}: `{}`, and it ran {ago}s ago ({})",
            sources.slice(*span),
            place(sources, *span)
        ),
        Skip::Linked(to) => write!(
            out,
            "skip {name}: linked to the existing {}, which matches it",
            to.show(program)
        ),
    }
}

/// What an action did.
fn done_line(
    program: &Program,
    sources: &SourceMap,
    done: &Done,
    out: &mut String,
) -> std::fmt::Result {
    match done {
        Done::Create { at, .. } => write!(out, "create {}", at.show(program)),
        Done::Update { at, changed, .. } => {
            let names = field_names(program, at.entity, changed);
            if names.is_empty() {
                write!(out, "update {} (no value changed)", at.show(program))
            } else {
                write!(out, "update {} ({})", at.show(program), names.join(", "))
            }
        }
        Done::Delete { at, .. } => write!(out, "delete {}", at.show(program)),
        Done::NoRecord { kind, entity, span } => {
            let e = program.entity(*entity);
            let verb = if *kind == EventKind::Deleted {
                "delete"
            } else {
                "update"
            };
            write!(
                out,
                "{verb}: no {} in {} to {verb} ({})",
                e.name,
                program.app(e.app).name,
                place(sources, *span)
            )
        }
        Done::Notify { channel, text } => match channel {
            Some(c) => write!(out, "notify {c} {:?}", &**text),
            None => write!(out, "notify {:?}", &**text),
        },
        Done::Conflict {
            entity,
            field,
            kept,
            lost,
            ..
        } => {
            let e = program.entity(*entity);
            let _ = write!(
                out,
                "conflict on `{}` of {} in {}: kept ",
                e.fields[field.0].name,
                e.name,
                program.app(e.app).name
            );
            show_value(kept, out);
            out.push_str(", lost ");
            show_value(lost, out);
            Ok(())
        }
    }
}

fn hold_reason(held: &Held) -> String {
    match held.reason {
        guard::HoldReason::Hops(n) => format!(
            "the chain has reached {n} hop{}",
            if n == 1 { "" } else { "s" }
        ),
        guard::HoldReason::Repeated => "the same workflow came back to the same record".into(),
        guard::HoldReason::Budget(n) => format!("the workflow has used up its {n} runs"),
        guard::HoldReason::NoActor => "the app reports actors, but the event named none".into(),
    }
}

/// `summary: 3 events, 2 runs, 2 actions, 0 held, 0 failed`.
pub fn summary(counts: &Counts, bad_lines: u64) -> String {
    let count = |n: u64, one: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    let mut text = format!(
        "summary: {}, {}, {}, {} held, {} failed",
        count(counts.events, "event"),
        count(counts.runs, "run"),
        count(counts.actions, "action"),
        counts.held,
        counts.failed
    );
    if bad_lines > 0 {
        let _ = write!(text, ", {}", count(bad_lines, "bad input line"));
    }
    text
}
