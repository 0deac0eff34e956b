//! Scenarios: user steps run in a fresh simulator, and expectations checked against it.
//!
//! Each scenario starts from empty apps with the clock at 2030-01-01T00:00:00Z (or its `at`).
//! A user step changes the apps as a person would (origin `user`, stamps left alone) and runs
//! to quiescence before the next line; an expectation compares what it sees with what the line
//! says, and the first one that differs ends the scenario with the reason as data.
//!
//! ```text
//! user creates event in Calendar { title: "Standup" }
//! expect 1 event in Outlook where subject == "Standup"     # ok when the mirror ran once
//! expect 2 event in Outlook                                # FAILED: expected 2, found 1
//! ```

use std::fmt::Write as _;
use std::sync::Arc;

use super::apps::{AppError, Record, RecordRef, Write};
use super::error::{Failure, RunError};
use super::eval::{self, Scope};
use super::guard::{self, Held};
use super::trace::{self, TraceItem};
use super::{Change, DEFAULT_NOW, Engine, Options, Outcome};
use crate::program::{EntityId, Expr, Program, Scenario, ScenarioStepKind, WorkflowId};
use crate::source::SourceMap;
use crate::span::Span;
use crate::value::Value;

/// How a scenario went.
pub struct ScenarioRun {
    pub name: Arc<str>,
    /// The first expectation that did not hold, if any.
    pub mismatch: Option<Mismatch>,
    /// Everything that happened, in order.
    pub trace: Vec<TraceItem>,
    /// Runs that stopped with an error along the way.
    pub failures: Vec<Failure>,
}

/// An expectation that did not hold, or a step that could not be carried out.
pub struct Mismatch {
    /// The scenario line.
    pub step: Span,
    pub kind: MismatchKind,
}

pub enum MismatchKind {
    Count {
        expected: u64,
        entity: EntityId,
        /// The records the expectation counted.
        found: Vec<Record>,
        /// Every record of the entity, when that says more than `found`.
        all: Vec<Record>,
    },
    Runs {
        workflow: WorkflowId,
        expected: u64,
        found: u64,
        /// Runs that started and ended before their last step (a condition, or an error).
        stopped: u64,
        /// When each run still waiting at a `wait` goes on.
        waiting: Vec<i64>,
    },
    Notified {
        expected: u64,
        found: u64,
    },
    Loop {
        expected: bool,
        held: Vec<Held>,
    },
    /// A value in the line could not be worked out.
    Error(RunError),
    /// The simulator refused a user step.
    Refused(AppError),
    /// The clock could not be moved as the line says.
    Clock(super::clock::ClockError),
}

/// Runs one scenario of a program.
pub fn run(program: &Arc<Program>, scenario: &Scenario, options: Options) -> ScenarioRun {
    let mut report = ScenarioRun {
        name: scenario.name.clone(),
        mismatch: None,
        trace: Vec::new(),
        failures: Vec::new(),
    };
    let mut options = Options {
        trace: true,
        now: DEFAULT_NOW,
        ..options
    };
    if let Some(at) = &scenario.at {
        match eval::eval(at, &Scope::constant(program, DEFAULT_NOW)) {
            Ok(Value::Time(t)) => options.now = t,
            Ok(_) => {}
            Err(err) => {
                report.mismatch = Some(Mismatch {
                    step: at.span,
                    kind: MismatchKind::Error(err),
                });
                return report;
            }
        }
    }
    let mut engine = Engine::simulated(Arc::clone(program), options);
    for step in &scenario.steps {
        match check_step(&mut engine, &step.kind, &mut report) {
            Ok(()) => {}
            Err(kind) => {
                report.mismatch = Some(Mismatch {
                    step: step.span,
                    kind,
                });
                return report;
            }
        }
    }
    report
}

/// Carries out one scenario step on an engine, as the REPL does for each line typed: the
/// trace and failures it led to, and the mismatch if it was an expectation that did not hold.
pub fn step(engine: &mut Engine, step: &crate::program::ScenarioStep) -> ScenarioRun {
    let mut report = ScenarioRun {
        name: Arc::from(""),
        mismatch: None,
        trace: Vec::new(),
        failures: Vec::new(),
    };
    if let Err(kind) = check_step(engine, &step.kind, &mut report) {
        report.mismatch = Some(Mismatch {
            step: step.span,
            kind,
        });
    }
    report
}

fn absorb(report: &mut ScenarioRun, outcome: Outcome) -> Result<(), MismatchKind> {
    report.trace.extend(outcome.trace);
    report.failures.extend(outcome.failures);
    match outcome.refused {
        Some(err) => Err(MismatchKind::Refused(err)),
        None => Ok(()),
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one arm per kind of scenario step, each comparing what the step expects with what ran"
)]
fn check_step(
    engine: &mut Engine,
    step: &ScenarioStepKind,
    report: &mut ScenarioRun,
) -> Result<(), MismatchKind> {
    match step {
        ScenarioStepKind::UserCreates { .. }
        | ScenarioStepKind::UserUpdates { .. }
        | ScenarioStepKind::UserDeletes { .. } => {
            let changes = user_changes(engine, step)?;
            let outcome = engine.act(changes);
            absorb(report, outcome)
        }
        // Every change is made (its records chosen) before the engine sees any of them.
        ScenarioStepKind::Together(steps) => {
            let mut changes = Vec::new();
            for step in steps {
                changes.extend(user_changes(engine, &step.kind)?);
            }
            let outcome = engine.act(changes);
            absorb(report, outcome)
        }
        ScenarioStepKind::ExpectCount {
            count,
            entity,
            condition,
            ..
        } => {
            let found = engine
                .select(*entity, condition.as_ref())
                .map_err(MismatchKind::Error)?;
            if found.len() as u64 == *count {
                return Ok(());
            }
            let all = if condition.is_some() {
                engine.select(*entity, None).map_err(MismatchKind::Error)?
            } else {
                Vec::new()
            };
            Err(MismatchKind::Count {
                expected: *count,
                entity: *entity,
                found,
                all,
            })
        }
        ScenarioStepKind::ExpectRuns { workflow, count } => {
            let found = engine.completed_runs(*workflow);
            if found == *count {
                return Ok(());
            }
            let waiting: Vec<i64> = engine
                .core
                .waiting
                .iter()
                .filter(|w| w.workflow == *workflow)
                .map(|w| w.due)
                .collect();
            Err(MismatchKind::Runs {
                workflow: *workflow,
                expected: *count,
                found,
                stopped: engine.stopped_runs(*workflow) - waiting.len() as u64,
                waiting,
            })
        }
        ScenarioStepKind::ExpectNotified(count) => {
            let found = engine.totals().notified;
            if found == *count {
                return Ok(());
            }
            Err(MismatchKind::Notified {
                expected: *count,
                found,
            })
        }
        ScenarioStepKind::At(time) => {
            let to = match engine.eval_constant(time).map_err(MismatchKind::Error)? {
                Value::Time(t) => t,
                // The checker has refused anything else.
                _ => return Ok(()),
            };
            let outcome = engine.move_clock(to).map_err(MismatchKind::Clock)?;
            absorb(report, outcome)
        }
        ScenarioStepKind::AppWrites { app, refuses } => {
            let name = engine.program().app(*app).name.clone();
            engine.apps.refuse_writes(&name, *refuses);
            Ok(())
        }
        ScenarioStepKind::Advance(by) => {
            let by = match engine.eval_constant(by).map_err(MismatchKind::Error)? {
                Value::Duration(d) => d,
                _ => return Ok(()),
            };
            let outcome = engine.advance_clock(by).map_err(MismatchKind::Clock)?;
            absorb(report, outcome)
        }
        ScenarioStepKind::ExpectLoop(expected) => {
            let held = engine.held();
            if held.is_empty() != *expected {
                return Ok(());
            }
            Err(MismatchKind::Loop {
                expected: *expected,
                held: held.to_vec(),
            })
        }
    }
}

/// The changes a user step makes, with the records it names as they stand now.
fn user_changes(engine: &Engine, step: &ScenarioStepKind) -> Result<Vec<Change>, MismatchKind> {
    let program = Arc::clone(engine.program());
    let p = &*program;
    let now = engine.options().now;
    let user = engine.user_label().clone();
    let constant = Scope::constant(p, now);
    let value_of = |assign: &crate::program::Assign, entity: EntityId| {
        let value = eval::eval(&assign.value, &constant).map_err(MismatchKind::Error)?;
        super::action::fit_field(p, entity, assign.field, value, assign.value.span)
            .map_err(MismatchKind::Error)
    };
    Ok(match step {
        ScenarioStepKind::UserCreates { entity, fields, .. } => {
            let mut record = Record::empty(p.entity(*entity).fields.len());
            for assign in fields {
                record.set(assign.field, value_of(assign, *entity)?);
            }
            vec![Change::Create {
                entity: *entity,
                record,
                id: None,
                actor: user,
            }]
        }
        ScenarioStepKind::UserUpdates {
            entity,
            condition,
            fields,
            ..
        } => {
            let mut write = Write::default();
            for assign in fields {
                write
                    .fields
                    .push((assign.field, value_of(assign, *entity)?));
            }
            let targets = chosen(engine, *entity, condition)?.into_iter();
            targets
                .map(|at| Change::Update {
                    at,
                    write: write.clone(),
                    actor: user.clone(),
                })
                .collect()
        }
        ScenarioStepKind::UserDeletes {
            entity, condition, ..
        } => {
            let targets = chosen(engine, *entity, condition)?.into_iter();
            targets
                .map(|at| Change::Delete {
                    at,
                    actor: user.clone(),
                })
                .collect()
        }
        _ => Vec::new(),
    })
}

/// The records a user step's `where` chooses.
fn chosen(
    engine: &Engine,
    entity: EntityId,
    condition: &Expr,
) -> Result<Vec<RecordRef>, MismatchKind> {
    let found = engine
        .select(entity, Some(condition))
        .map_err(MismatchKind::Error)?;
    Ok(found.iter().map(|r| RecordRef::new(entity, r.id)).collect())
}

/// Lists records, at most a few, one a line.
fn list_records(p: &Program, entity: EntityId, records: &[Record], out: &mut String) {
    const SHOWN: usize = 5;
    for r in records.iter().take(SHOWN) {
        let at = RecordRef::new(entity, r.id);
        let _ = writeln!(
            out,
            "  {} {}",
            at.show(p),
            trace::show_record(p, entity, r.view())
        );
    }
    if records.len() > SHOWN {
        let _ = writeln!(out, "  … and {} more", records.len() - SHOWN);
    }
}

impl Mismatch {
    /// Why the scenario failed: the line, what it expected, what was found.
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per kind of mismatch, each saying what was expected and what was found"
    )]
    pub fn explain(&self, p: &Program, sources: &SourceMap) -> String {
        let mut out = format!(
            "{}:{}: {}\n",
            sources.name(self.step.file),
            sources.line_of(self.step),
            sources.slice(self.step).trim()
        );
        match &self.kind {
            MismatchKind::Count {
                expected,
                entity,
                found,
                all,
            } => {
                let e = p.entity(*entity);
                let app = &p.app(e.app).name;
                let _ = writeln!(
                    out,
                    "expected {} in {app}, found {}",
                    crate::diagnostic::plural(*expected, &e.name),
                    found.len()
                );
                if !found.is_empty() {
                    let _ = writeln!(out, "found:");
                    list_records(p, *entity, found, &mut out);
                }
                if all.len() > found.len() {
                    let _ = writeln!(
                        out,
                        "{app} has {}:",
                        crate::diagnostic::plural(all.len() as u64, &e.name)
                    );
                    list_records(p, *entity, all, &mut out);
                }
            }
            MismatchKind::Runs {
                workflow,
                expected,
                found,
                stopped,
                waiting,
            } => {
                let name = &p.workflow(*workflow).name;
                let _ = writeln!(
                    out,
                    "expected {} of `{name}`, found {found}",
                    crate::diagnostic::plural(*expected, "run")
                );
                if *stopped > 0 {
                    let _ = writeln!(
                        out,
                        "{} more started but a condition stopped {}, and those do not count",
                        stopped,
                        if *stopped == 1 { "it" } else { "them" }
                    );
                }
                if !waiting.is_empty() {
                    let times: Vec<String> = waiting
                        .iter()
                        .map(|t| crate::value::format_rfc3339(*t))
                        .collect();
                    let _ = writeln!(
                        out,
                        "{} more started and {} at a `wait` until {}: a run counts when it reaches its end (`advance` the clock to let it go on)",
                        waiting.len(),
                        if waiting.len() == 1 { "waits" } else { "wait" },
                        times.join(", ")
                    );
                }
            }
            MismatchKind::Notified { expected, found } => {
                let _ = writeln!(
                    out,
                    "expected {}, found {found}",
                    crate::diagnostic::plural(*expected, "notification")
                );
            }
            MismatchKind::Loop { expected: true, .. } => {
                let _ = writeln!(
                    out,
                    "expected the run-time guard to hold a chain, but every chain ended on its own"
                );
            }
            MismatchKind::Loop {
                expected: false,
                held,
            } => {
                let _ = writeln!(
                    out,
                    "expected no loop, but the run-time guard held {}:",
                    crate::diagnostic::plural(held.len() as u64, "chain")
                );
                for h in held.iter().take(3) {
                    let _ = writeln!(out, "  {}", guard::story(p, h));
                }
            }
            MismatchKind::Error(err) => {
                let _ = writeln!(
                    out,
                    "could not be carried out: {} ({}:{})",
                    err.kind,
                    sources.name(err.span.file),
                    sources.line_of(err.span)
                );
            }
            MismatchKind::Refused(err) => {
                let _ = writeln!(out, "could not be carried out: {err}");
            }
            MismatchKind::Clock(err) => {
                let _ = writeln!(out, "could not be carried out: {err}");
            }
        }
        out
    }
}
