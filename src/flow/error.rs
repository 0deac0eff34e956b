//! What the flow analysis finds, as data, and how each finding reads: [`FlowError::parts`]
//! picks, for each finding, the one function that writes its message, labels and notes.

use std::sync::Arc;

pub use super::fix::{CycleFix, StaleAdvice, StaleFix};
use super::owners::Unit;
use super::story::{self, article};
use crate::ast::EventKind;
use crate::codes::Code;
use crate::diagnostic::{self, Diagnostic, Report, help, primary, secondary};
use crate::span::Span;
use crate::value::Label;

/// One step of a cycle: a unit's write that sets off the next unit.
#[derive(Clone, Debug)]
pub struct CycleStep {
    pub unit: Arc<str>,
    pub span: Span,
    pub kind: EventKind,
    pub entity: Arc<str>,
    pub app: Arc<str>,
}

/// A cycle, told from a user's change, and how to break it.
#[derive(Clone, Debug)]
pub struct CycleReport {
    /// The change that starts the story: kind, entity, app.
    pub start: (EventKind, Arc<str>, Arc<str>),
    /// The story starts with this sync settling a conflict instead, when the first step is a
    /// workflow run on its conflicts.
    pub conflict: Option<Arc<str>>,
    /// The story starts with the clock reaching this timer (`1h before start`) instead, when
    /// the first step is a workflow on a record-relative timer.
    pub timer: Option<Arc<str>>,
    pub steps: Vec<CycleStep>,
    pub fix: CycleFix,
}

#[derive(Clone, Debug)]
pub enum FlowError {
    /// E0301
    Cycle(CycleReport),
    /// E0302
    GuardCannotTell {
        guard: Span,
        workflow: Arc<str>,
        entity: Arc<str>,
        app: Arc<str>,
        kind: EventKind,
        engine: Label,
    },
    /// E0303
    GuardWrongLabel {
        guard: Span,
        workflow: Arc<str>,
        label: Label,
        engine: Label,
        engine_declared: bool,
    },
    /// E0304
    StaleStampCycle {
        cycle: CycleReport,
        guards: Vec<(Arc<str>, Span)>,
        fix: StaleFix,
    },
    /// W0305
    StaleStampGuard {
        guard: Span,
        workflow: Arc<str>,
        entity: Arc<str>,
        app: Arc<str>,
        writer: Arc<str>,
        writer_span: Span,
        /// `updated` or `deleted`.
        kind: EventKind,
        /// What tells a person's edit from the engine's here (for updates).
        advice: StaleAdvice,
    },
    /// E0307
    SecondCopy(super::CopyReport),
    /// W0308
    UnknownLabel {
        guard: Span,
        workflow: Arc<str>,
        label: Label,
        /// The engine's label or `user`, when the label is a slip away from one.
        suggestion: Option<Label>,
        engine: Label,
    },
    /// W0306
    GuardCutsChain {
        guard: Span,
        workflow: Arc<str>,
        writer: Arc<str>,
        write_span: Span,
        entity: Arc<str>,
        app: Arc<str>,
        kind: EventKind,
    },
    /// E0401
    TwoOwners {
        entity: Arc<str>,
        first: (Arc<str>, Span),
        second: (Arc<str>, Span),
    },
    /// E0402
    TwoWayWithOwner {
        owner: Arc<str>,
        entity: Arc<str>,
        other: Arc<str>,
        into_owner: (Unit, Span),
        out_of_owner: (Unit, Span),
    },
    /// W0403
    FlowPastOwner {
        owner: Arc<str>,
        entity: Arc<str>,
        from: Arc<str>,
        to: Arc<str>,
        workflow: Unit,
        span: Span,
    },
    /// W0404
    UpdatesBothWays {
        entity: Arc<str>,
        apps: (Arc<str>, Arc<str>),
        there: (Unit, Span),
        back: (Unit, Span),
    },
    /// E0220
    FailureLoop(super::failures::FailureLoop),
}

impl FlowError {
    pub fn code(&self) -> Code {
        match self {
            FlowError::Cycle(_) => Code::E0301,
            FlowError::GuardCannotTell { .. } => Code::E0302,
            FlowError::GuardWrongLabel { .. } => Code::E0303,
            FlowError::StaleStampCycle { .. } => Code::E0304,
            FlowError::StaleStampGuard { .. } => Code::W0305,
            FlowError::GuardCutsChain { .. } => Code::W0306,
            FlowError::SecondCopy(_) => Code::E0307,
            FlowError::UnknownLabel { .. } => Code::W0308,
            FlowError::TwoOwners { .. } => Code::E0401,
            FlowError::TwoWayWithOwner { .. } => Code::E0402,
            FlowError::FlowPastOwner { .. } => Code::W0403,
            FlowError::UpdatesBothWays { .. } => Code::W0404,
            FlowError::FailureLoop(_) => Code::E0220,
        }
    }
}

pub(super) fn names(units: &[Arc<str>]) -> String {
    let quoted: Vec<String> = units.iter().map(|u| format!("`{u}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The units of a chain's steps, each once, in order.
pub(super) fn step_units(steps: &[CycleStep]) -> Vec<Arc<str>> {
    let mut units: Vec<Arc<str>> = Vec::new();
    for step in steps {
        if !units.contains(&step.unit) {
            units.push(step.unit.clone());
        }
    }
    units
}

impl CycleReport {
    fn units(&self) -> Vec<Arc<str>> {
        step_units(&self.steps)
    }

    fn story(&self) -> String {
        let steps: Vec<story::Step> = self
            .steps
            .iter()
            .map(|s| story::Step {
                unit: s.unit.to_string(),
                kind: s.kind,
                entity: s.entity.to_string(),
                app: s.app.to_string(),
            })
            .collect();
        let (kind, entity, app) = &self.start;
        // After a conflict, the first record is named in full, not as `it`.
        let entity: &str = if self.conflict.is_some() { "" } else { entity };
        let told = story::cycle_story((*kind, entity, app), &steps);
        let user = story::user_start(*kind, entity, app);
        match (&self.conflict, &self.timer) {
            (Some(sync), _) => told.replacen(&user, &format!("`{sync}` settles a conflict"), 1),
            (None, Some(timer)) => {
                let a = article(entity);
                let reached = format!("the clock reaches {timer} of {a} {entity} in {app}");
                told.replacen(&user, &reached, 1)
            }
            (None, None) => told,
        }
    }

    /// A label on each write that closes a step of the cycle.
    fn labels(&self) -> Vec<codespan_reporting::diagnostic::Label<usize>> {
        let n = self.steps.len();
        let start_entity = &self.start.1;
        self.steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let object = format!("{} {}", article(&step.entity), step.entity);
                let text = if n == 1 {
                    format!(
                        "`{}` {} {object} in {}, which sets it off again",
                        step.unit,
                        step.kind.does(),
                        step.app
                    )
                } else if i == 0 {
                    format!(
                        "`{}` {} {object} in {} …",
                        step.unit,
                        step.kind.does(),
                        step.app
                    )
                } else if i + 1 == n {
                    let back = if step.entity == *start_entity && step.app == self.start.2 {
                        match step.kind {
                            EventKind::New => "one back".to_string(),
                            _ => "it back".to_string(),
                        }
                    } else {
                        object
                    };
                    format!(
                        "… and `{}` {} {back} in {}",
                        step.unit,
                        step.kind.does(),
                        step.app
                    )
                } else {
                    format!(
                        "… `{}` {} {object} in {} …",
                        step.unit,
                        step.kind.does(),
                        step.app
                    )
                };
                if i == 0 {
                    primary(step.span, text)
                } else {
                    secondary(step.span, text)
                }
            })
            .collect()
    }

    fn message(&self, ending: &str) -> String {
        let units = self.units();
        if units.len() == 1 {
            format!("`{}` can trigger itself {ending}", units[0])
        } else {
            format!("{} can trigger each other {ending}", names(&units))
        }
    }
}

impl Report for FlowError {
    fn report(&self) -> Diagnostic {
        let Parts {
            message,
            labels,
            notes,
        } = self.parts();
        diagnostic::new(self.code(), message)
            .with_labels(labels)
            .with_notes(notes)
    }
}

type Labels = Vec<codespan_reporting::diagnostic::Label<usize>>;

/// How one finding reads: its message, its labels, and its notes (the last is the help).
struct Parts {
    message: String,
    labels: Labels,
    notes: Vec<String>,
}

impl FlowError {
    /// Each finding reads as its own function says; this only picks the function. (It is long
    /// only because each arm names its variant's fields, one a line.)
    #[expect(
        clippy::too_many_lines,
        reason = "only picks the function each finding renders with; long because each arm names its variant's fields, one a line"
    )]
    fn parts(&self) -> Parts {
        match self {
            FlowError::Cycle(cycle) => Parts {
                message: cycle.message("forever"),
                labels: cycle.labels(),
                notes: vec![format!("trace: {}", cycle.story()), help(cycle.fix.help())],
            },
            FlowError::FailureLoop(found) => {
                let (message, labels, notes) = found.parts();
                Parts {
                    message,
                    labels,
                    notes,
                }
            }
            FlowError::SecondCopy(copy) => {
                let (labels, notes) = copy.details();
                Parts {
                    message: copy.message(),
                    labels,
                    notes,
                }
            }
            FlowError::UnknownLabel {
                guard,
                label,
                suggestion,
                engine,
                ..
            } => {
                let (labels, notes) =
                    super::labels::details(*guard, label, suggestion.as_ref(), engine);
                Parts {
                    message: super::labels::message(label, suggestion.as_ref()),
                    labels,
                    notes,
                }
            }
            FlowError::GuardCannotTell {
                guard,
                workflow,
                entity,
                app,
                kind,
                engine,
            } => guard_cannot_tell(*guard, workflow, entity, app, *kind, engine),
            FlowError::GuardWrongLabel {
                guard,
                label,
                engine,
                engine_declared,
                ..
            } => guard_wrong_label(*guard, label, engine, *engine_declared),
            FlowError::StaleStampCycle { cycle, guards, fix } => {
                stale_stamp_cycle(cycle, guards, fix)
            }
            FlowError::StaleStampGuard {
                guard,
                workflow,
                entity,
                app,
                writer,
                writer_span,
                kind,
                advice,
            } => stale_stamp_guard(
                *guard,
                workflow,
                entity,
                app,
                (writer, *writer_span),
                *kind,
                advice,
            ),
            FlowError::GuardCutsChain {
                guard,
                workflow,
                writer,
                write_span,
                entity,
                app,
                kind,
            } => guard_cuts_chain(*guard, workflow, (writer, *write_span), entity, app, *kind),
            FlowError::TwoOwners {
                entity,
                first,
                second,
            } => two_owners(entity, first, second),
            FlowError::TwoWayWithOwner {
                owner,
                entity,
                other,
                into_owner,
                out_of_owner,
            } => two_way_with_owner(owner, entity, other, into_owner, out_of_owner),
            FlowError::FlowPastOwner {
                owner,
                entity,
                from,
                to,
                workflow,
                span,
            } => flow_past_owner(owner, entity, (from, to), workflow, *span),
            FlowError::UpdatesBothWays {
                entity,
                apps,
                there,
                back,
            } => updates_both_ways(entity, apps, there, back),
        }
    }
}

fn guard_cannot_tell(
    guard: Span,
    workflow: &str,
    entity: &str,
    app: &str,
    kind: EventKind,
    engine: &Label,
) -> Parts {
    let message = match kind {
        EventKind::Deleted => format!(
            "this guard can never match: a deleted {entity}'s stamp does not say who deleted it"
        ),
        _ => format!(
            "this guard can never match: `{app}` cannot tell who {} {} {entity}",
            kind.done(),
            article(entity)
        ),
    };
    let always_user = || format!("`origin` is always `user` for {entity} records in {app}");
    let no_actor = || {
        format!(
            "`{app}` neither reports actors nor keeps a `stamp` field in `{entity}`, so no change there looks like the engine's"
        )
    };
    let (label, note, fix) = match kind {
        EventKind::Deleted => (
            "cannot tell the engine's deletes from anyone else's".to_string(),
            format!(
                "a stamp names who last wrote a record, not who deleted it, so `origin == {engine}` is never known for deletes"
            ),
            format!(
                "remove this guard from `{workflow}` and break the loop where records are created or updated (see the cycle above)"
            ),
        ),
        EventKind::Updated => (
            always_user(),
            no_actor(),
            format!(
                "guard a workflow on the other side of the loop instead (see the cycle above), declare `reports actor` in `app {app}` if it tells who changed a record, or break the loop with `changing`; a stamp would not do for updates (see E0304)"
            ),
        ),
        EventKind::New => (
            always_user(),
            no_actor(),
            format!(
                "declare `origin: stamp` in `{entity}` if `{app}` can keep one (and guard every workflow of the loop, see the cycle above); otherwise make the flow one-way: a guard on the other side alone ends the loop but brings each record back once more (E0307)"
            ),
        ),
    };
    Parts {
        message,
        labels: vec![primary(guard, label)],
        notes: vec![note, help(fix)],
    }
}

fn guard_wrong_label(guard: Span, label: &Label, engine: &Label, engine_declared: bool) -> Parts {
    let source = if engine_declared {
        format!("the engine's label is set by `engine {engine}`")
    } else {
        format!("the engine's label is `{engine}` unless an `engine` item sets another")
    };
    Parts {
        message: format!(
            "this guard compares `origin` with `{label}`, but the engine writes as `{engine}`"
        ),
        labels: vec![primary(
            guard,
            format!("never true for the engine's own changes, which carry `{engine}`"),
        )],
        notes: vec![
            format!(
                "a guard on `{label}` skips what that tool wrote, but this loop runs through weir itself; {source}"
            ),
            help(format!(
                "compare with the engine's label: `origin == {engine}`"
            )),
        ],
    }
}

fn stale_stamp_cycle(cycle: &CycleReport, guards: &[(Arc<str>, Span)], fix: &StaleFix) -> Parts {
    let units = cycle.units();
    let message = format!(
        "{} stop their update loop only by stamps, which also drop people's later edits",
        if units.len() == 1 {
            format!("`{}`", units[0])
        } else {
            names(&units)
        }
    );
    let mut labels: Labels = guards
        .iter()
        .map(|(w, span)| {
            primary(
                *span,
                format!("`{w}` skips the echo here, and every later edit of a record weir wrote"),
            )
        })
        .collect();
    labels.extend(cycle.steps.iter().map(|s| {
        secondary(
            s.span,
            format!(
                "`{}` {} {} {} in {}, stamping it",
                s.unit,
                s.kind.does(),
                article(&s.entity),
                s.entity,
                s.app
            ),
        )
    }));
    let entity = &cycle.start.1;
    let why = format!(
        "why: the engine stamps its label on every {entity} it updates; a person's later edit leaves that stamp as it was, so the edit looks like the engine's own echo and is dropped silently"
    );
    Parts {
        message,
        labels,
        notes: vec![format!("trace: {}", cycle.story()), why, help(fix.help())],
    }
}

fn stale_stamp_guard(
    guard: Span,
    workflow: &str,
    entity: &str,
    app: &str,
    (writer, writer_span): (&str, Span),
    kind: EventKind,
    advice: &StaleAdvice,
) -> Parts {
    let deleted = kind == EventKind::Deleted;
    let what = if deleted { "deletes of" } else { "edits to" };
    let message = format!(
        "the stamp guard of `{workflow}` will also skip people's {what} {entity} records the engine wrote"
    );
    let change = if deleted { "delete" } else { "update" };
    let labels = vec![
        primary(
            guard,
            format!(
                "skips every {change} of {} {entity} the engine wrote last",
                article(entity)
            ),
        ),
        secondary(
            writer_span,
            format!("`{writer}` writes {entity} records in {app} here, stamping them"),
        ),
    ];
    let notes = if deleted {
        vec![
            "a deleted record's stamp names who wrote it last, not who deleted it, so a person's delete of a record weir wrote looks like weir's own".to_string(),
            help(format!(
                "if `{app}` reports who made each change, declare `reports actor`; otherwise remove the guard: a chain of deletes ends by itself"
            )),
        ]
    } else {
        vec![
            format!(
                "a person's edit in `{app}` leaves the engine's stamp on the record, so it looks like the engine's own change"
            ),
            help(advice.help(app, entity)),
        ]
    };
    Parts {
        message,
        labels,
        notes,
    }
}

fn guard_cuts_chain(
    guard: Span,
    workflow: &str,
    (writer, write_span): (&str, Span),
    entity: &str,
    app: &str,
    kind: EventKind,
) -> Parts {
    Parts {
        message: format!(
            "the guard of `{workflow}` skips every {entity} `{writer}` {}, so that chain never runs",
            kind.does()
        ),
        labels: vec![
            primary(guard, format!("skips {entity} records the engine wrote")),
            secondary(
                write_span,
                format!("`{writer}` writes {entity} records in {app} here"),
            ),
        ],
        notes: vec![help(format!(
            "no loop runs through here, so this guard is not needed to stop one: remove it if `{workflow}` should also handle what `{writer}` writes"
        ))],
    }
}

fn two_owners(entity: &str, first: &(Arc<str>, Span), second: &(Arc<str>, Span)) -> Parts {
    Parts {
        message: format!(
            "`{entity}` has two owners, `{}` and `{}`",
            first.0, second.0
        ),
        labels: vec![
            primary(second.1, format!("`{}` claims `{entity}` here", second.0)),
            secondary(first.1, format!("`{}` owns it here", first.0)),
        ],
        notes: vec![help(format!(
            "keep one `owns` line for `{entity}`: an entity has one source of truth"
        ))],
    }
}

fn two_way_with_owner(
    owner: &str,
    entity: &str,
    other: &str,
    into_owner: &(Unit, Span),
    out_of_owner: &(Unit, Span),
) -> Parts {
    let fix = if matches!(into_owner.0, Unit::Sync(_)) {
        format!(
            "make the sync's mappings flow one way, out of {owner} (`a -> b` with {owner} on the left, or `a <- b` with it on the right); or remove `{owner} owns {entity}` if both apps may change {entity} records"
        )
    } else {
        format!(
            "remove `{}` and make changes in {owner}; or, if both apps may change {entity} records, remove `{owner} owns {entity}` and use `sync {entity} between {owner} and {other} {{ … }}`",
            into_owner.0
        )
    };
    Parts {
        message: format!("`{entity}` flows both ways between its owner `{owner}` and `{other}`"),
        labels: vec![
            primary(
                into_owner.1,
                format!(
                    "`{}` writes {entity} data from {other} into {owner}, the owner …",
                    into_owner.0
                ),
            ),
            secondary(
                out_of_owner.1,
                format!(
                    "… while `{}` sends it from {owner} to {other}",
                    out_of_owner.0
                ),
            ),
        ],
        notes: vec![
            format!(
                "`{owner} owns {entity}` makes {owner} the source of truth: {entity} data should flow out of it, one way"
            ),
            help(fix),
        ],
    }
}

fn flow_past_owner(
    owner: &str,
    entity: &str,
    (from, to): (&str, &str),
    workflow: &Unit,
    span: Span,
) -> Parts {
    Parts {
        message: format!("`{entity}` is owned by `{owner}` but flows from `{from}` to `{to}`"),
        labels: vec![primary(
            span,
            format!("`{workflow}` copies {entity} data from {from} to {to}"),
        )],
        notes: vec![help(format!(
            "take {entity} records from their owner instead (`on new {entity} in {owner} do …`), so {to} gets the source of truth's version"
        ))],
    }
}

fn updates_both_ways(
    entity: &str,
    apps: &(Arc<str>, Arc<str>),
    there: &(Unit, Span),
    back: &(Unit, Span),
) -> Parts {
    Parts {
        message: format!(
            "`{}` and `{}` update each other's {entity} records, and no owner says which is right",
            apps.0, apps.1
        ),
        labels: vec![
            primary(
                there.1,
                format!("`{}` updates {} from {}", there.0, apps.1, apps.0),
            ),
            secondary(
                back.1,
                format!("`{}` updates {} from {}", back.0, apps.0, apps.1),
            ),
        ],
        notes: vec![help(format!(
            "say which app is the source of truth (`{} owns {entity}`) and make the flow one-way, or use `sync {entity} between {} and {} {{ … prefer {} }}`; if both apps may change them and the workflows are what you mean, acknowledge it with `# weir: allow W0404` above `{}`",
            apps.0, apps.0, apps.1, apps.0, there.0
        ))],
    }
}
