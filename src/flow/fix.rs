//! The fixes the flow analysis suggests, as data, and the `help:` line each one reads as.
//!
//! Every fix here is applied in `tests/fixes`: following it must leave a script that checks
//! clean and does what its scenarios say.

use std::sync::Arc;

use super::error::names;
use super::graph::Telling;
use super::story::article;
use crate::value::Label;

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
    /// A workflow run on a sync's conflicts that writes what the sync carries.
    ConflictWriteBack { workflow: Arc<str>, sync: Arc<str> },
    /// A write plans again the timer of a workflow in the loop (`24h before start`): origin
    /// guards cannot help, as a timer's run always comes from the clock.
    Timer {
        workflow: Arc<str>,
        timer: Arc<str>,
        entity: Arc<str>,
    },
    /// Updates or deletes nothing can tell apart: only one-way flow helps.
    OneWay { entity: Arc<str> },
    /// New records in apps that cannot tell who wrote them: a stamp in each of `stamps`
    /// (entity, app), and a guard on each of `workflows`, so that no record comes back.
    AddStamp {
        stamps: Vec<(Arc<str>, Arc<str>)>,
        workflows: Vec<Arc<str>>,
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
    pub(super) fn help(&self) -> String {
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

/// What can tell a person's update from the engine's, where a stamp cannot.
#[derive(Clone, Debug)]
pub enum StaleAdvice {
    /// No workflow or sync updates these records: every update is someone else's.
    NoEngineUpdates,
    /// The engine's updates write only some fields: `changing` on the others.
    Changing {
        fields: Vec<Arc<str>>,
        /// The fields the engine's updates write.
        written: Vec<Arc<str>>,
        /// `Some(declared)` when the app must first say it `reports changes`.
        declare_changes: Option<bool>,
    },
    /// The engine's updates may write every field.
    Neither,
}

impl StaleAdvice {
    pub(super) fn help(&self, app: &str, entity: &str) -> String {
        let actor = format!("if `{app}` reports who made each change, declare `reports actor`");
        match self {
            StaleAdvice::NoEngineUpdates => format!(
                "no workflow updates {entity} records in {app}, so every update there is someone else's: remove the guard"
            ),
            StaleAdvice::Changing {
                fields,
                written,
                declare_changes,
            } => {
                let list = fields
                    .iter()
                    .map(|f| f.as_ref())
                    .collect::<Vec<_>>()
                    .join(", ");
                let declare = match declare_changes {
                    Some(true) => format!("declare `reports changes` in `app {app}` and "),
                    Some(false) => format!("declare `app {app} {{ reports changes … }}` and "),
                    None => String::new(),
                };
                format!(
                    "{actor}; otherwise, if the edits that matter are to {}, {declare}replace the guard with `changing {list}`: the engine's updates write only {}, so edits to {} cannot be told from the engine's",
                    names(fields),
                    names(written),
                    if written.len() == 1 { "it" } else { "those" }
                )
            }
            StaleAdvice::Neither => format!(
                "{actor}; otherwise the engine's updates write every field people can edit, so nothing tells them apart: let one app own {entity} and make the flow one-way"
            ),
        }
    }
}

/// The guard line users write, and where it goes in a workflow.
fn guard_place(workflow: &str, engine: &str) -> String {
    match workflow.strip_prefix("line ") {
        Some(line) => format!("add `unless origin == {engine}` at the end of line {line}"),
        None => format!("add `unless origin == {engine}` to `{workflow}`"),
    }
}

/// The same, for several workflows: `at the end of lines 3 and 4` for one-liners.
fn guards_place(workflows: &[Arc<str>], engine: &str) -> String {
    if let [one] = workflows {
        return guard_place(one, engine);
    }
    let lines: Option<Vec<&str>> = workflows.iter().map(|w| w.strip_prefix("line ")).collect();
    match lines {
        Some(lines) => {
            let (last, rest) = lines.split_last().expect("several workflows");
            format!(
                "add `unless origin == {engine}` at the end of lines {} and {last}",
                rest.join(", ")
            )
        }
        None => format!("add `unless origin == {engine}` to {}", names(workflows)),
    }
}

impl CycleFix {
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per kind of fix, each the exact words of its help"
    )]
    pub(super) fn help(&self) -> String {
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
                // `Cal and Out store stamps`, `Hub reports who made each change`.
                let reasons: Vec<String> = [
                    (false, "store", "stamps"),
                    (true, "report", "who made each change"),
                ]
                .into_iter()
                .filter_map(|(actor, verb, what)| {
                    let apps = apps_that(actor);
                    let verb = if apps.len() == 1 {
                        format!("{verb}s")
                    } else {
                        verb.to_string()
                    };
                    (!apps.is_empty())
                        .then(|| format!("{} {verb} {what}", names(&apps).replace('`', "")))
                })
                .collect();
                let place = guards_place(&workflows, engine);
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
            CycleFix::Timer {
                workflow,
                timer,
                entity,
            } => format!(
                "`{workflow}` runs `{timer}` of each `{entity}`, so a new `{entity}` or a new time plans it again: write another field or entity to keep what was done, or add a `where` to its trigger that the records written in the loop do not pass"
            ),
            CycleFix::ConflictWriteBack { workflow, sync } => format!(
                "`{workflow}` runs on conflicts of `{sync}` and writes a field the sync carries across, which can conflict again: tell someone with `notify`, or write a field the sync does not map"
            ),
            CycleFix::AddStamp {
                stamps,
                workflows,
                engine,
            } => {
                let cannot: Vec<String> = stamps
                    .iter()
                    .enumerate()
                    .map(|(i, (entity, app))| {
                        if i == 0 {
                            format!(
                                "`{app}` cannot tell who created {} {entity}",
                                article(entity)
                            )
                        } else {
                            format!("nor `{app}` {} {entity}", article(entity))
                        }
                    })
                    .collect();
                let places: Vec<String> = stamps
                    .iter()
                    .map(|(entity, app)| format!("`{entity}` in {app}"))
                    .collect();
                let (can, them) = if stamps.len() == 1 {
                    ("it can keep a stamp", "one")
                } else {
                    ("they can keep stamps", "one in each")
                };
                let guard = guards_place(workflows, engine);
                format!(
                    "{}: if {can}, declare {them} (`origin: stamp` in {}) and {guard}; otherwise make the flow one-way",
                    cannot.join(", "),
                    places.join(" and ")
                )
            }
        }
    }
}
