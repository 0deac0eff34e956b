//! What the flow analysis finds, as data, and how each finding reads.

use std::sync::Arc;

use super::graph::Telling;
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
    pub steps: Vec<CycleStep>,
    pub fix: CycleFix,
}

/// The exact change that breaks a cycle.
#[derive(Clone, Debug)]
pub enum CycleFix {
    /// Guards on these workflows would recognise the echo: (workflow, app it triggers on, how
    /// that app tells).
    AddGuards {
        guards: Vec<(Arc<str>, Arc<str>, Telling)>,
        engine: Label,
        /// Of those, the workflows that have the guard already, but after a write.
        misplaced: Vec<Arc<str>>,
    },
    /// An update loop that `changing` can break.
    Changing {
        workflow: Arc<str>,
        /// The workflow whose update sets it off.
        writer: Arc<str>,
        fields: Vec<Arc<str>>,
        written: Vec<Arc<str>>,
        app: Arc<str>,
        app_reports_changes: bool,
        app_declared: bool,
    },
    /// Updates between apps: one owner and one-way flow, or `sync`.
    SyncOrOwner {
        entity: Arc<str>,
        apps: Vec<Arc<str>>,
    },
    /// A workflow writing into records a sync keeps in step.
    ThroughSync { workflow: Arc<str>, sync: Arc<str> },
    /// Updates or deletes nothing can tell apart: only one-way flow helps.
    OneWay { entity: Arc<str> },
    /// Records in an app that cannot tell who wrote them.
    AddStamp {
        entity: Arc<str>,
        app: Arc<str>,
        kind: EventKind,
        workflow: Arc<str>,
        engine: Label,
    },
}

/// How to break an update loop that only stamps stop.
#[derive(Clone, Debug)]
pub enum StaleFix {
    /// These workflows listen to apps that report actors: a guard there is reliable.
    GuardWhereActors {
        workflows: Vec<Arc<str>>,
        apps: Vec<Arc<str>>,
        engine: Label,
    },
    /// An owner is declared: the workflow writing back into it should go.
    RemoveBackFlow {
        owner: Arc<str>,
        entity: Arc<str>,
        workflow: Arc<str>,
    },
    /// The same entity between two apps: `sync`, or an owner.
    SyncOrOwner {
        entity: Arc<str>,
        left: Arc<str>,
        right: Arc<str>,
    },
    /// Different entities: only `changing` or one-way flow helps.
    ChangingOrOneWay,
}

impl StaleFix {
    fn help(&self) -> String {
        match self {
            StaleFix::GuardWhereActors { workflows, apps, engine } => {
                let plain = names(apps).replace('`', "");
                format!(
                    "guard {} instead (`unless origin == {engine}`): {plain} {} who made each change, so people's edits get through",
                    names(workflows),
                    if apps.len() == 1 { "reports" } else { "report" }
                )
            }
            StaleFix::RemoveBackFlow { owner, entity, workflow } => format!(
                "`{owner} owns {entity}`: remove `{workflow}`, which writes back into {owner}, and make changes in {owner}"
            ),
            StaleFix::SyncOrOwner { entity, left, right } => format!(
                "use `sync {entity} between {left} and {right} {{ … }}`, which tells its echoes by what it wrote rather than by stamps, or make the flow one-way from an owner (`{left} owns {entity}`)"
            ),
            StaleFix::ChangingOrOneWay => {
                "give each trigger `changing …` with the fields people edit (so the engine's own write does not set it off), or make the flow one-way".into()
            }
        }
    }
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
            FlowError::TwoOwners { .. } => Code::E0401,
            FlowError::TwoWayWithOwner { .. } => Code::E0402,
            FlowError::FlowPastOwner { .. } => Code::W0403,
            FlowError::UpdatesBothWays { .. } => Code::W0404,
        }
    }
}

fn names(units: &[Arc<str>]) -> String {
    let quoted: Vec<String> = units.iter().map(|u| format!("`{u}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The guard line users write, and where it goes in a workflow.
fn guard_place(workflow: &str, engine: &str) -> String {
    match workflow.strip_prefix("line ") {
        Some(line) => format!("add `unless origin == {engine}` at the end of line {line}"),
        None => format!("add `unless origin == {engine}` to `{workflow}`"),
    }
}

impl CycleReport {
    fn units(&self) -> Vec<Arc<str>> {
        let mut units: Vec<Arc<str>> = Vec::new();
        for step in &self.steps {
            if !units.contains(&step.unit) {
                units.push(step.unit.clone());
            }
        }
        units
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
        story::cycle_story((*kind, entity, app), &steps)
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

impl CycleFix {
    fn help(&self) -> String {
        match self {
            CycleFix::AddGuards {
                engine, misplaced, ..
            } if !misplaced.is_empty() => format!(
                "move `unless origin == {engine}` in {} above the first write: a guard after a write cannot stop that write",
                names(misplaced)
            ),
            CycleFix::OneWay { entity } => format!(
                "make the flow one-way: let one app own `{entity}` (`App owns {entity}`) and remove the workflow that writes back"
            ),
            CycleFix::AddGuards { guards, engine, .. } => {
                let workflows: Vec<Arc<str>> = guards.iter().map(|(w, _, _)| w.clone()).collect();
                let apps_that = |actor: bool| {
                    let mut apps: Vec<Arc<str>> = Vec::new();
                    for (_, app, telling) in guards {
                        if (*telling == Telling::Actor) == actor && !apps.contains(app) {
                            apps.push(app.clone());
                        }
                    }
                    apps
                };
                let plain = |apps: &[Arc<str>]| names(apps).replace('`', "");
                let mut reasons: Vec<String> = Vec::new();
                let stamping = apps_that(false);
                if !stamping.is_empty() {
                    let verb = if stamping.len() == 1 {
                        "stores"
                    } else {
                        "store"
                    };
                    reasons.push(format!("{} {verb} stamps", plain(&stamping)));
                }
                let reporting = apps_that(true);
                if !reporting.is_empty() {
                    let verb = if reporting.len() == 1 {
                        "reports"
                    } else {
                        "report"
                    };
                    reasons.push(format!("{} {verb} who made each change", plain(&reporting)));
                }
                let place = if workflows.len() == 1 {
                    guard_place(&workflows[0], engine)
                } else {
                    format!("add `unless origin == {engine}` to {}", names(&workflows))
                };
                let echo = if workflows.len() == 1 {
                    "the echo is"
                } else {
                    "each echo is"
                };
                format!("{place}: {}, so {echo} recognised", reasons.join(" and "))
            }
            CycleFix::Changing {
                workflow,
                writer,
                fields,
                written,
                app,
                app_reports_changes,
                app_declared,
            } => {
                let whose = if writer == workflow {
                    "its own update".to_string()
                } else {
                    format!("`{writer}`'s update")
                };
                let list = fields
                    .iter()
                    .map(|f| f.as_ref())
                    .collect::<Vec<_>>()
                    .join(", ");
                let wrote = names(written);
                if *app_reports_changes {
                    format!(
                        "let the trigger of `{workflow}` watch only `changing {list}`: {whose} touches {wrote}, so it will not set it off again"
                    )
                } else {
                    let declare = if *app_declared {
                        format!("declare `reports changes` in `app {app}`")
                    } else {
                        format!("declare `app {app} {{ reports changes … }}`")
                    };
                    format!(
                        "if `{app}` reports which fields changed, {declare} and add `changing {list}` to the trigger of `{workflow}`, so that {whose} of {wrote} does not set it off again; otherwise make the flow one-way"
                    )
                }
            }
            CycleFix::SyncOrOwner { entity, apps } => {
                let owner = &apps[0];
                format!(
                    "let one app be the source of truth and make the flow one-way (`{owner} owns {entity}`, and remove the workflow that writes back), or replace the workflows with `sync {entity} between {} and {} {{ … }}`, which recognises its own echoes",
                    apps[0],
                    apps.get(1).unwrap_or(&apps[0])
                )
            }
            CycleFix::ThroughSync { workflow, sync } => format!(
                "`{workflow}` writes fields that `{sync}` copies back to where `{workflow}` listens: write a field the sync does not map, or make the change in one app and let the sync carry it"
            ),
            CycleFix::AddStamp {
                entity,
                app,
                kind,
                workflow,
                engine,
            } => format!(
                "`{app}` cannot tell who {} {} {entity}: if it can keep a stamp, declare one in `{entity}` (`origin: stamp`) and {}; otherwise make the flow one-way",
                kind.done(),
                article(entity),
                guard_place(workflow, engine)
            ),
        }
    }
}

impl Report for FlowError {
    fn report(&self) -> Diagnostic {
        let d = diagnostic::new(self.code(), self.message());
        let (labels, notes) = self.details();
        d.with_labels(labels).with_notes(notes)
    }
}

type Labels = Vec<codespan_reporting::diagnostic::Label<usize>>;

impl FlowError {
    fn message(&self) -> String {
        match self {
            FlowError::Cycle(cycle) => cycle.message("forever"),
            FlowError::GuardCannotTell {
                app, entity, kind, ..
            } => match kind {
                EventKind::Deleted => format!(
                    "this guard can never match: a deleted {entity}'s stamp does not say who deleted it"
                ),
                _ => format!(
                    "this guard can never match: `{app}` cannot tell who {} {} {entity}",
                    kind.done(),
                    article(entity)
                ),
            },
            FlowError::GuardWrongLabel { label, engine, .. } => {
                format!(
                    "this guard compares `origin` with `{label}`, but the engine writes as `{engine}`"
                )
            }
            FlowError::StaleStampCycle { cycle, .. } => {
                let units = cycle.units();
                format!(
                    "{} stop their update loop only by stamps, which also drop people's later edits",
                    if units.len() == 1 {
                        format!("`{}`", units[0])
                    } else {
                        names(&units)
                    }
                )
            }
            FlowError::StaleStampGuard {
                workflow,
                entity,
                kind,
                ..
            } => {
                let what = if *kind == EventKind::Deleted {
                    "deletes of"
                } else {
                    "edits to"
                };
                format!(
                    "the stamp guard of `{workflow}` will also skip people's {what} {entity} records the engine wrote"
                )
            }
            FlowError::GuardCutsChain {
                workflow,
                writer,
                entity,
                kind,
                ..
            } => format!(
                "the guard of `{workflow}` skips every {entity} `{writer}` {}, so that chain never runs",
                kind.does()
            ),
            FlowError::TwoOwners {
                entity,
                first,
                second,
            } => {
                format!(
                    "`{entity}` has two owners, `{}` and `{}`",
                    first.0, second.0
                )
            }
            FlowError::TwoWayWithOwner {
                owner,
                entity,
                other,
                ..
            } => {
                format!("`{entity}` flows both ways between its owner `{owner}` and `{other}`")
            }
            FlowError::FlowPastOwner {
                owner,
                entity,
                from,
                to,
                ..
            } => {
                format!("`{entity}` is owned by `{owner}` but flows from `{from}` to `{to}`")
            }
            FlowError::UpdatesBothWays { entity, apps, .. } => format!(
                "`{}` and `{}` update each other's {entity} records, and no owner says which is right",
                apps.0, apps.1
            ),
        }
    }

    fn details(&self) -> (Labels, Vec<String>) {
        match self {
            FlowError::Cycle(cycle) => (
                cycle.labels(),
                vec![format!("trace: {}", cycle.story()), help(cycle.fix.help())],
            ),
            FlowError::GuardCannotTell {
                guard,
                app,
                entity,
                kind,
                engine,
                workflow,
            } => {
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
                        format!("`origin` is always `user` for {entity} records in {app}"),
                        format!(
                            "`{app}` neither reports actors nor keeps a `stamp` field in `{entity}`, so no change there looks like the engine's"
                        ),
                        format!(
                            "guard a workflow on the other side of the loop instead (see the cycle above), declare `reports actor` in `app {app}` if it tells who changed a record, or break the loop with `changing`; a stamp would not do for updates (see E0304)"
                        ),
                    ),
                    EventKind::New => (
                        format!("`origin` is always `user` for {entity} records in {app}"),
                        format!(
                            "`{app}` neither reports actors nor keeps a `stamp` field in `{entity}`, so no change there looks like the engine's"
                        ),
                        format!(
                            "guard a workflow on the other side of the loop instead (see the cycle above), or declare `origin: stamp` in `{entity}` if `{app}` can keep one"
                        ),
                    ),
                };
                (vec![primary(*guard, label)], vec![note, help(fix)])
            }
            FlowError::GuardWrongLabel {
                guard,
                label,
                engine,
                engine_declared,
                ..
            } => {
                let source = if *engine_declared {
                    format!("the engine's label is set by `engine {engine}`")
                } else {
                    format!("the engine's label is `{engine}` unless an `engine` item sets another")
                };
                (
                    vec![primary(
                        *guard,
                        format!("never true for the engine's own changes, which carry `{engine}`"),
                    )],
                    vec![
                        format!(
                            "a guard on `{label}` skips what that tool wrote, but this loop runs through weir itself; {source}"
                        ),
                        help(format!(
                            "compare with the engine's label: `origin == {engine}`"
                        )),
                    ],
                )
            }
            FlowError::StaleStampCycle { cycle, guards, fix } => {
                let mut labels: Labels = guards
                    .iter()
                    .map(|(w, span)| primary(*span, format!("`{w}` skips the echo here, and every later edit of a record weir wrote")))
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
                (
                    labels,
                    vec![format!("trace: {}", cycle.story()), why, help(fix.help())],
                )
            }
            FlowError::StaleStampGuard {
                guard,
                entity,
                app,
                writer,
                writer_span,
                kind: EventKind::Deleted,
                ..
            } => (
                vec![
                    primary(
                        *guard,
                        format!(
                            "skips every delete of {} {entity} the engine wrote last",
                            article(entity)
                        ),
                    ),
                    secondary(
                        *writer_span,
                        format!("`{writer}` writes {entity} records in {app} here, stamping them"),
                    ),
                ],
                vec![
                    format!(
                        "a deleted record's stamp names who wrote it last, not who deleted it, so a person's delete of a record weir wrote looks like weir's own"
                    ),
                    help(format!(
                        "if `{app}` reports who made each change, declare `reports actor`; otherwise remove the guard: a chain of deletes ends by itself"
                    )),
                ],
            ),
            FlowError::StaleStampGuard {
                guard,
                entity,
                app,
                writer,
                writer_span,
                ..
            } => (
                vec![
                    primary(
                        *guard,
                        format!(
                            "skips every update of {} {entity} the engine wrote last",
                            article(entity)
                        ),
                    ),
                    secondary(
                        *writer_span,
                        format!("`{writer}` writes {entity} records in {app} here, stamping them"),
                    ),
                ],
                vec![
                    format!(
                        "a person's edit in `{app}` leaves the engine's stamp on the record, so it looks like the engine's own change"
                    ),
                    help(format!(
                        "if `{app}` reports who made each change, declare `reports actor`; otherwise guard with `changing …` on the fields people edit, or use `sync`"
                    )),
                ],
            ),
            FlowError::GuardCutsChain {
                guard,
                workflow,
                writer,
                write_span,
                entity,
                app,
                ..
            } => (
                vec![
                    primary(*guard, format!("skips {entity} records the engine wrote")),
                    secondary(
                        *write_span,
                        format!("`{writer}` writes {entity} records in {app} here"),
                    ),
                ],
                vec![help(format!(
                    "no loop runs through here, so this guard is not needed to stop one: remove it if `{workflow}` should also handle what `{writer}` writes"
                ))],
            ),
            FlowError::TwoOwners {
                entity,
                first,
                second,
            } => (
                vec![
                    primary(second.1, format!("`{}` claims `{entity}` here", second.0)),
                    secondary(first.1, format!("`{}` owns it here", first.0)),
                ],
                vec![help(format!(
                    "keep one `owns` line for `{entity}`: an entity has one source of truth"
                ))],
            ),
            FlowError::TwoWayWithOwner {
                owner,
                entity,
                other,
                into_owner,
                out_of_owner,
            } => (
                vec![
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
                vec![
                    format!(
                        "`{owner} owns {entity}` makes {owner} the source of truth: {entity} data should flow out of it, one way"
                    ),
                    help(if matches!(into_owner.0, Unit::Sync(_)) {
                        format!(
                            "make the sync's mappings flow one way, out of {owner} (`a -> b` with {owner} on the left, or `a <- b` with it on the right); or remove `{owner} owns {entity}` if both apps may change {entity} records"
                        )
                    } else {
                        format!(
                            "remove `{}` and make changes in {owner}; or, if both apps may change {entity} records, remove `{owner} owns {entity}` and use `sync {entity} between {owner} and {other} {{ … }}`",
                            into_owner.0
                        )
                    }),
                ],
            ),
            FlowError::FlowPastOwner {
                owner,
                entity,
                from,
                to,
                workflow,
                span,
            } => (
                vec![primary(
                    *span,
                    format!("`{workflow}` copies {entity} data from {from} to {to}"),
                )],
                vec![help(format!(
                    "take {entity} records from their owner instead (`on new {entity} in {owner} do …`), so {to} gets the source of truth's version"
                ))],
            ),
            FlowError::UpdatesBothWays {
                entity,
                apps,
                there,
                back,
            } => (
                vec![
                    primary(
                        there.1,
                        format!("`{}` updates {} from {}", there.0, apps.1, apps.0),
                    ),
                    secondary(
                        back.1,
                        format!("`{}` updates {} from {}", back.0, apps.0, apps.1),
                    ),
                ],
                vec![help(format!(
                    "say which app is the source of truth (`{} owns {entity}`) and make the flow one-way, or use `sync {entity} between {} and {} {{ … prefer {} }}`",
                    apps.0, apps.0, apps.1, apps.0
                ))],
            ),
        }
    }
}
