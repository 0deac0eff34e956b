//! The JSON Lines trace: one object per line, `type` first, in the order things happened.
//!
//! The schema is documented in docs/runtime.md. Objects are built from structs, so their keys
//! keep a fixed, readable order, and a record's fields keep their declaration order.

use serde::Serialize as DeriveSerialize;
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::{Done, Skip, TraceItem, field_names};
use crate::ast::EventKind;
use crate::program::{EntityId, Program};
use crate::run::Counts;
use crate::run::apps::{Record, RecordRef};
use crate::run::guard;
use crate::source::SourceMap;
use crate::span::Span;
use crate::value::Value;

/// Renders items as JSON Lines, in the order they happened.
pub fn json_lines(program: &Program, sources: &SourceMap, items: &[TraceItem], out: &mut String) {
    for item in items {
        let line = serde_json::to_string(&item_json(program, sources, item))
            .unwrap_or_else(|err| format!("{{\"type\":\"error\",\"message\":\"{err}\"}}"));
        out.push_str(&line);
        out.push('\n');
    }
}

/// The summary as one JSON line.
pub fn summary_json(counts: &Counts, bad_lines: u64) -> String {
    let summary = Item::Summary {
        events: counts.events,
        runs: counts.runs,
        actions: counts.actions,
        held: counts.held,
        failed: counts.failed,
        notified: counts.notified,
        bad_lines,
    };
    serde_json::to_string(&summary).unwrap_or_default()
}

/// A bad input line as one JSON line (its diagnostic goes to standard error as well).
pub fn bad_line_json(input: &str, line: usize, message: String) -> String {
    serde_json::to_string(&Item::BadLine {
        input,
        line,
        message,
    })
    .unwrap_or_default()
}

/// A record with its fields in declaration order.
struct RecordJson<'a> {
    program: &'a Program,
    entity: EntityId,
    record: &'a Record,
}

impl Serialize for RecordJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let e = self.program.entity(self.entity);
        let mut map = serializer.serialize_map(Some(1 + e.fields.len()))?;
        let at = RecordRef::new(self.entity, self.record.id);
        map.serialize_entry("id", &at.show(self.program).to_string())?;
        for (field, value) in e.fields.iter().zip(self.record.fields().iter()) {
            map.serialize_entry(&*field.name, &value.as_json())?;
        }
        for (name, value) in self.record.extras() {
            map.serialize_entry(&**name, &value.as_json())?;
        }
        map.end()
    }
}

#[derive(DeriveSerialize)]
struct At<'a> {
    file: &'a str,
    line: usize,
    column: usize,
}

fn at<'a>(sources: &'a SourceMap, span: Span) -> At<'a> {
    let (line, column) = sources.line_col(span.file, span.start as usize);
    At {
        file: sources.name(span.file),
        line,
        column,
    }
}

#[derive(DeriveSerialize)]
struct Cause {
    run: u64,
    by: String,
}

#[derive(DeriveSerialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Item<'a> {
    Event {
        id: u64,
        kind: &'static str,
        app: &'a str,
        entity: &'a str,
        record: RecordJson<'a>,
        origin: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        changed: Option<Vec<String>>,
        cause: Option<Cause>,
        root: u64,
        hops: u32,
    },
    Run {
        id: u64,
        by: String,
        event: u64,
    },
    Skip {
        #[serde(skip_serializing_if = "Option::is_none")]
        run: Option<u64>,
        by: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        event: Option<u64>,
        reason: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        step: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        at: Option<At<'a>>,
    },
    Action {
        run: u64,
        by: String,
        action: &'static str,
        #[serde(flatten)]
        detail: Detail<'a>,
    },
    Hold {
        event: u64,
        by: String,
        record: String,
        reason: &'static str,
        limit: Option<u64>,
        story: String,
    },
    Error {
        run: Option<u64>,
        by: &'a str,
        event: u64,
        message: String,
        at: At<'a>,
    },
    /// A run reached a `wait`.
    Wait {
        run: u64,
        by: String,
        until: String,
        at: At<'a>,
    },
    /// A waiting run went on.
    Resume {
        run: u64,
        by: String,
        event: u64,
        at: At<'a>,
    },
    /// An input line that could not be run.
    #[serde(rename = "error")]
    BadLine {
        input: &'a str,
        line: usize,
        message: String,
    },
    Summary {
        events: u64,
        runs: u64,
        actions: u64,
        held: u64,
        failed: u64,
        notified: u64,
        bad_lines: u64,
    },
}

/// The parts of an `action` object that depend on the action.
#[derive(DeriveSerialize)]
#[serde(untagged)]
enum Detail<'a> {
    Write {
        record: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        changed: Option<Vec<String>>,
        event: Option<u64>,
    },
    NoRecord {
        app: &'a str,
        entity: &'a str,
        record: Option<String>,
        at: At<'a>,
    },
    Notify {
        channel: Option<&'a str>,
        text: &'a str,
    },
    Conflict {
        app: &'a str,
        entity: &'a str,
        field: &'a str,
        kept: serde_json::Value,
        lost: serde_json::Value,
    },
}

fn item_json<'a>(program: &'a Program, sources: &'a SourceMap, item: &'a TraceItem) -> Item<'a> {
    match item {
        TraceItem::Event(e) => event_json(program, e),
        TraceItem::Run { run, by, event } => Item::Run {
            id: *run,
            by: by.name(program).to_string(),
            event: *event,
        },
        TraceItem::Skip { by, event, why } => {
            let (reason, span) = match why {
                Skip::Where(span) => ("where", Some(*span)),
                Skip::Changing(span) => ("changing", Some(*span)),
                Skip::Echo => ("echo", None),
                Skip::Limited { span, .. } => ("limited", Some(*span)),
                Skip::LimitedStep { span, .. } => ("limited step", Some(*span)),
                Skip::Linked(_) => ("linked", None),
            };
            Item::Skip {
                run: None,
                by: by.name(program).to_string(),
                event: Some(*event),
                reason,
                step: None,
                at: span.map(|s| at(sources, s)),
            }
        }
        TraceItem::Stop { run, by, step, .. } => Item::Skip {
            run: Some(*run),
            by: by.name(program).to_string(),
            event: None,
            reason: "condition",
            step: Some(sources.slice(*step)),
            at: Some(at(sources, *step)),
        },
        TraceItem::Action { run, by, done } => {
            let (action, detail) = done_json(program, sources, done);
            Item::Action {
                run: *run,
                by: by.name(program).to_string(),
                action,
                detail,
            }
        }
        TraceItem::Hold(held) => Item::Hold {
            event: held.event.id,
            by: held.by.name(program).to_string(),
            record: held.event.at().show(program).to_string(),
            reason: held.reason.key(),
            limit: held.reason.limit(),
            story: guard::story(program, held),
        },
        TraceItem::Error(f) => Item::Error {
            run: (f.run != 0).then_some(f.run),
            by: &f.by,
            event: f.event,
            message: f.error.kind.to_string(),
            at: at(sources, f.error.span),
        },
        TraceItem::Wait { run, by, step, due } => Item::Wait {
            run: *run,
            by: by.name(program).to_string(),
            until: crate::value::format_rfc3339(*due),
            at: at(sources, *step),
        },
        TraceItem::Resume {
            run,
            by,
            event,
            step,
        } => Item::Resume {
            run: *run,
            by: by.name(program).to_string(),
            event: *event,
            at: at(sources, *step),
        },
    }
}

fn event_json<'a>(program: &'a Program, e: &'a crate::run::Event) -> Item<'a> {
    let entity = program.entity(e.entity);
    Item::Event {
        id: e.id,
        kind: if e.conflict.is_some() {
            "conflict"
        } else {
            e.kind.keyword()
        },
        app: &program.app(entity.app).name,
        entity: &entity.name,
        record: RecordJson {
            program,
            entity: e.entity,
            record: &e.record,
        },
        origin: &e.origin,
        changed: e
            .changed
            .as_ref()
            .map(|c| field_names(program, e.entity, c)),
        cause: e.cause.as_ref().map(|h| Cause {
            run: h.run,
            by: h.by.name(program).to_string(),
        }),
        root: e.root(),
        hops: e.hops(),
    }
}

/// The action's word and what it did, for `--trace json`.
fn done_json<'a>(
    program: &'a Program,
    sources: &'a SourceMap,
    done: &'a Done,
) -> (&'static str, Detail<'a>) {
    let show = |r: &RecordRef| r.show(program).to_string();
    match done {
        Done::Create { at, event } => (
            "create",
            Detail::Write {
                record: show(at),
                changed: None,
                event: *event,
            },
        ),
        Done::Update { at, changed, event } => (
            "update",
            Detail::Write {
                record: show(at),
                changed: Some(field_names(program, at.entity, changed)),
                event: *event,
            },
        ),
        Done::Delete { at, event } => (
            "delete",
            Detail::Write {
                record: show(at),
                changed: None,
                event: *event,
            },
        ),
        Done::NoRecord { kind, entity, span } => {
            let e = program.entity(*entity);
            (
                if *kind == EventKind::Deleted {
                    "delete"
                } else {
                    "update"
                },
                Detail::NoRecord {
                    app: &program.app(e.app).name,
                    entity: &e.name,
                    record: None,
                    at: at(sources, *span),
                },
            )
        }
        Done::Notify { channel, text } => (
            "notify",
            Detail::Notify {
                channel: channel.as_deref(),
                text,
            },
        ),
        Done::Conflict {
            entity,
            field,
            kept,
            lost,
            ..
        } => {
            let e = program.entity(*entity);
            (
                "conflict",
                Detail::Conflict {
                    app: &program.app(e.app).name,
                    entity: &e.name,
                    field: &e.fields[field.0].name,
                    kept: Value::as_json(kept),
                    lost: Value::as_json(lost),
                },
            )
        }
    }
}
