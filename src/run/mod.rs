//! The interpreter: events, the queue, and the runs they start.
//!
//! Every write to an app (a person's, an input line's, or a workflow's) is an [`Event`]. Events
//! wait in one FIFO queue; for each, every workflow whose trigger matches starts a run, in
//! script order, and a run goes through its steps top to bottom. Its writes are events again,
//! which join the queue, so a change set off by a person runs until the queue is empty. Every
//! event carries its causal chain, and the run-time guard ([`guard`]) holds a chain that goes
//! on too long instead of running it.
//!
//! ```text
//! on new event in Calendar do create event in Outlook { subject: title }
//!     # a user creates an event in Calendar: one run, one new event in Outlook, quiet
//! on new event in Outlook do create event in Calendar { title: subject }
//!     # with this one too, the two feed each other; the guard holds the chain (R0301)
//! ```
//!
//! [`Engine`] holds the apps and takes one change at a time ([`Engine::act`],
//! [`Engine::input`]), returning what happened as data ([`Outcome`]); [`trace`] renders it.
//! The apps sit behind the [`apps::Apps`] trait; [`sim::Simulator`] is the in-memory one.

mod action;
pub mod agenda;
pub mod apps;
pub mod budget;
mod call;
pub mod clock;
mod each;
pub mod echo;
pub mod error;
pub mod eval;
mod failed;
pub mod guard;
pub mod input;
pub mod limit;
mod lookup;
mod report;
pub mod scenario;
pub mod schedule;
pub mod sim;
mod sim_index;
pub mod state;
mod state_time;
mod sync;
pub mod timer;
pub mod trace;
pub mod wait;

use std::collections::VecDeque;
use std::sync::Arc;

use crate::ast::EventKind;
use crate::program::{EntityId, Expr, FieldId, Program, SyncId, WorkflowId, kind_index};
use crate::value::{Label, Value};
use apps::{AppError, Apps, Record, RecordId, RecordRef, Write};
use error::{Failure, RunError};
use eval::{Scope, Subject};
use guard::{Actor, Chain, Held, HoldReason};
use sim::Simulator;
use trace::{Skip, TraceItem};

pub use failed::{FailureNote, LateFailure, event_text};
pub use report::Reported;
pub use sync::ConflictNote;

/// 2030-01-01T00:00:00Z: the simulator's clock unless told otherwise.
pub const DEFAULT_NOW: i64 = 1_893_456_000;

/// How the engine runs.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Runs a chain may have before the guard holds it.
    pub max_hops: u32,
    /// Runs each workflow may make in this invocation.
    pub max_runs: u64,
    /// Whether to record a trace (off, nothing is kept per event).
    pub trace: bool,
    /// Whether to note every run and how it ended ([`Outcome::runs`]), even with the trace
    /// off (a journal keeps them).
    pub runs: bool,
    /// What `now()` returns.
    pub now: i64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_hops: 8,
            max_runs: 10_000,
            trace: false,
            runs: false,
            now: DEFAULT_NOW,
        }
    }
}

/// A write, as the app reports it.
#[derive(Clone, Debug)]
pub struct Event {
    pub id: u64,
    pub kind: EventKind,
    pub entity: EntityId,
    /// The record after the change (as it was, for `deleted`).
    pub record: Record,
    /// Who made the change, as far as the app can tell.
    pub origin: Label,
    /// The fields whose value changed, where the app reports changes.
    pub changed: Option<Arc<[FieldId]>>,
    pub cause: Chain,
    /// The conflict a sync settled, for a workflow run on it (`on conflict in sync …`).
    pub conflict: Option<Arc<ConflictNote>>,
    /// The failure of a run on this event, for the workflows on it (`on failed run of …`).
    pub failure: Option<Arc<FailureNote>>,
}

impl Event {
    pub fn at(&self) -> RecordRef {
        RecordRef::new(self.entity, self.record.id)
    }

    /// How many runs led to this event.
    pub fn hops(&self) -> u32 {
        self.cause.as_ref().map_or(0, |h| h.hops)
    }

    /// The event at the start of the chain.
    pub fn root(&self) -> u64 {
        self.cause.as_ref().map_or(self.id, |h| h.root_event)
    }
}

/// How much happened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub events: u64,
    pub runs: u64,
    pub actions: u64,
    pub held: u64,
    pub failed: u64,
    pub notified: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.events += other.events;
        self.runs += other.runs;
        self.actions += other.actions;
        self.held += other.held;
        self.failed += other.failed;
        self.notified += other.notified;
    }
}

/// What one change set off, until the queue was empty.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Everything that happened, in order (empty unless tracing).
    pub trace: Vec<TraceItem>,
    /// The events the guard held, as indexes into [`Engine::held`].
    pub held: Vec<usize>,
    pub failures: Vec<Failure>,
    /// A change an app refused (the changes after it were not made).
    pub refused: Option<AppError>,
    pub counts: Counts,
    /// The writes to real apps, kept in the write ledger until their echoes come back.
    pub written: Vec<echo::Written>,
    /// Every run and how it ended, where [`Options::runs`] asks for them.
    pub runs: Vec<RunNote>,
    /// The notifications sent, `(channel, text)`.
    pub notes: Vec<(Option<smol_str::SmolStr>, smol_str::SmolStr)>,
    /// Runs a rate limit noted: `(workflow, per value, started at)`, for a journal to keep.
    pub limited: Vec<(WorkflowId, Arc<str>, i64)>,
    /// Runs of workflows whose failed runs other workflows are on, with the event each started
    /// on (where [`Options::runs`] asks for runs): `weir serve` keeps them, so that a write
    /// that fails once the run is over raises its failed run on that event, in its chain.
    pub heard: Vec<(u64, Event)>,
}

/// A run, as a journal keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunNote {
    pub run: u64,
    pub by: Actor,
    pub end: RunEnd,
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    Done,
    /// A condition stopped it.
    Stopped,
    Failed,
    /// It reached a `wait` (under `weir serve`: it goes on with another event).
    Waiting,
}

/// A change made from outside the engine: by a person, a scenario, or an input line.
#[derive(Clone, Debug)]
pub enum Change {
    Create {
        entity: EntityId,
        record: Record,
        id: Option<RecordId>,
        actor: Label,
    },
    Update {
        at: RecordRef,
        write: Write,
        actor: Label,
    },
    Delete {
        at: RecordRef,
        actor: Label,
    },
}

/// The apps' state and the queue: takes one change at a time and runs it to the end.
pub struct Engine<A: Apps = Simulator> {
    program: Arc<Program>,
    apps: A,
    core: Core,
}

/// Everything but the program and the apps, so that both can be borrowed beside it.
struct Core {
    options: Options,
    queue: VecDeque<Event>,
    next_event: u64,
    next_run: u64,
    totals: Counts,
    /// Runs started and runs completed (no condition stopped them), by workflow.
    started: Vec<u64>,
    /// Runs started in the budget's window, by workflow.
    budget: budget::Budget,
    /// The engine's recent writes to real apps.
    echoes: echo::Echoes,
    completed: Vec<u64>,
    held: Vec<Held>,
    /// The workflows each `(entity, kind)` triggers, in script order.
    listeners: Vec<Vec<WorkflowId>>,
    /// The syncs each entity takes part in, and on which side (`true`: left).
    syncs: Vec<Vec<(SyncId, bool)>>,
    /// The workflows each sync's conflicts run, in script order.
    on_conflict: Vec<Vec<WorkflowId>>,
    /// The workflows on failed runs of each workflow.
    on_failure: Vec<Vec<WorkflowId>>,
    ledger: sync::Ledger,
    /// When rate-limited workflows last ran.
    limits: limit::Limits,
    /// Runs waiting for the clock (`wait 12h`), and how many began waiting so far.
    waiting: Vec<wait::Waiting>,
    wait_seq: u64,
    /// The timers that fired: workflow, record and the time they were due.
    fired: std::collections::HashSet<(WorkflowId, RecordRef, i64)>,
    /// Reused buffers: a run's `let` values, records found by `linked`.
    locals: Vec<Value>,
    linked: Vec<RecordRef>,
    /// A record being made, before it goes into its app.
    scratch: Vec<Value>,
    /// The record the last `create` of a run made, for `let NAME = create …`.
    last_created: Option<apps::RecordRef>,
    user: Label,
    engine: Label,
}

impl Engine<Simulator> {
    /// An engine with empty simulated apps.
    pub fn simulated(program: Arc<Program>, options: Options) -> Engine<Simulator> {
        let apps = Simulator::new(&program);
        Engine::new(program, apps, options)
    }
}

impl<A: Apps> Engine<A> {
    pub fn new(program: Arc<Program>, apps: A, options: Options) -> Engine<A> {
        let core = Core::new(&program, options);
        Engine {
            program,
            apps,
            core,
        }
    }

    pub fn program(&self) -> &Arc<Program> {
        &self.program
    }

    /// Goes on with a program that grew (a REPL session adds or redefines items): the apps
    /// keep their records, links and held events; workflows are looked up afresh. Entities and
    /// fields must keep their indexes, as the checker keeps them when it adds items.
    pub fn replace_program(&mut self, program: Arc<Program>) {
        self.apps.adopt(&program);
        let fresh = Core::new(&program, self.core.options);
        let old = std::mem::replace(&mut self.core, fresh);
        let core = &mut self.core;
        core.next_event = old.next_event;
        core.next_run = old.next_run;
        core.totals = old.totals;
        core.held = old.held;
        core.ledger = old.ledger;
        core.limits = old.limits;
        core.waiting = old.waiting;
        let workflows = program.workflows.len();
        core.waiting.retain(|w| w.workflow.0 < workflows);
        core.wait_seq = old.wait_seq;
        core.fired = old.fired;
        core.echoes = old.echoes;
        core.budget.carry(old.budget);
        for (w, started) in old.started.iter().enumerate().take(core.started.len()) {
            core.started[w] = *started;
            core.completed[w] = old.completed[w];
        }
        self.program = program;
    }

    pub fn apps(&self) -> &A {
        &self.apps
    }

    pub fn apps_mut(&mut self) -> &mut A {
        &mut self.apps
    }

    pub fn options(&self) -> Options {
        self.core.options
    }

    pub fn set_options(&mut self, options: Options) {
        self.core.options = options;
    }

    /// Everything held so far (this invocation's, and those restored from a state file).
    pub fn held(&self) -> &[Held] {
        &self.core.held
    }

    /// Forgets the held events (a journal keeps them instead).
    pub fn clear_held(&mut self) {
        self.core.held.clear();
    }

    /// Adds held events restored from a state file.
    pub fn restore_held(&mut self, held: impl IntoIterator<Item = Held>) {
        self.core.held.extend(held);
    }

    /// What happened since the engine started.
    pub fn totals(&self) -> Counts {
        self.core.totals
    }

    /// Runs of a workflow that no condition stopped.
    pub fn completed_runs(&self, workflow: WorkflowId) -> u64 {
        self.core.completed.get(workflow.0).copied().unwrap_or(0)
    }

    /// Runs of a workflow that a condition stopped after they started.
    pub fn stopped_runs(&self, workflow: WorkflowId) -> u64 {
        let w = workflow.0;
        self.core.started.get(w).copied().unwrap_or(0) - self.completed_runs(workflow)
    }

    /// The id the next event will get (saved with the state, so that ids go on).
    pub fn next_event_id(&self) -> u64 {
        self.core.next_event
    }

    pub fn set_next_event_id(&mut self, next: u64) {
        self.core.next_event = self.core.next_event.max(next);
    }

    pub(crate) fn ledger(&self) -> &sync::Ledger {
        &self.core.ledger
    }

    pub(crate) fn ledger_mut(&mut self) -> &mut sync::Ledger {
        &mut self.core.ledger
    }

    /// Makes changes (all of them first), then runs everything they set off.
    pub fn act(&mut self, changes: impl IntoIterator<Item = Change>) -> Outcome {
        let mut out = Outcome::default();
        for change in changes {
            if let Err(err) = self
                .core
                .change(&self.program, &mut self.apps, change, &mut out)
            {
                out.refused = Some(err);
                break;
            }
        }
        self.core.settle(&self.program, &mut self.apps, &mut out);
        self.core.totals += out.counts;
        out
    }

    /// Runs one input line: the change it reports, and everything that sets off. An `updated`
    /// line for a record the simulator does not have is refused.
    pub fn input(&mut self, event: input::InputEvent) -> Outcome {
        let input::InputEvent {
            kind,
            entity,
            id,
            mut record,
            given,
            actor,
            ..
        } = event;
        let change = match (kind, id) {
            (EventKind::New, _) => Change::Create {
                entity,
                record,
                id,
                actor,
            },
            (EventKind::Updated, Some(id)) => {
                let at = RecordRef::new(entity, id);
                if !self.apps.exists(at) {
                    let p = &self.program;
                    return Outcome {
                        refused: Some(AppError {
                            app: p.app(p.entity(entity).app).name.clone(),
                            reason: format!("there is no record {} to update", at.show(p)),
                            failed: false,
                            read: false,
                        }),
                        ..Outcome::default()
                    };
                }
                let fields = given
                    .iter()
                    .map(|f| (f, record.set(f, Value::None)))
                    .collect();
                let extras = record.take_extras();
                Change::Update {
                    at,
                    write: Write {
                        fields,
                        stamp: None,
                        extras,
                    },
                    actor,
                }
            }
            (_, Some(id)) => Change::Delete {
                at: RecordRef::new(entity, id),
                actor,
            },
            (_, None) => return Outcome::default(),
        };
        self.act([change])
    }

    /// The records of an entity for which `condition` holds (all of them without one), as a
    /// scenario sees them: bare names are the record's fields, `origin` its stamp.
    pub fn select(
        &self,
        entity: EntityId,
        condition: Option<&Expr>,
    ) -> Result<Vec<Record>, RunError> {
        let mut failed = None;
        let program = &*self.program;
        let user = &self.core.user;
        let now = self.core.options.now;
        let found = self.apps.select(entity, &mut |record| {
            let Some(condition) = condition else {
                return true;
            };
            if failed.is_some() {
                return false;
            }
            let stamp = record.stamp().unwrap_or(user);
            let scope = Scope {
                target: Some(Subject { entity, record }),
                origin: Some(stamp),
                ..Scope::constant(program, now)
            };
            eval::truth(condition, &scope).unwrap_or_else(|err| {
                failed = Some(err);
                false
            })
        });
        if let Some(err) = failed {
            return Err(err);
        }
        found.map_err(|err| {
            let span = condition.map(|c| c.span).unwrap_or_default();
            RunError::new(span, error::RunErrorKind::App(err))
        })
    }

    /// The label user steps and input lines without an actor write under.
    pub fn user_label(&self) -> &Label {
        &self.core.user
    }
}

impl Core {
    fn new(program: &Program, options: Options) -> Core {
        let mut listeners = vec![Vec::new(); program.entities.len() * 3];
        let mut on_conflict = vec![Vec::new(); program.syncs.len()];
        let mut on_failure = vec![Vec::new(); program.workflows.len()];
        for (i, w) in program.workflows.iter().enumerate() {
            if w.trigger.schedule.is_some() || w.trigger.timer.is_some() {
                // The clock starts these (`schedule`, `timer`), on no event of an app.
                continue;
            }
            match (w.trigger.conflict, w.trigger.failed) {
                (Some(sync), _) => on_conflict[sync.0].push(WorkflowId(i)),
                (None, Some(of)) => failed::listen(program, of, WorkflowId(i), &mut on_failure),
                (None, None) => listeners[w.trigger.entity.0 * 3 + kind_index(w.trigger.kind)]
                    .push(WorkflowId(i)),
            }
        }
        let mut syncs = vec![Vec::new(); program.entities.len()];
        for (i, s) in program.syncs.iter().enumerate() {
            syncs[s.left.entity.0].push((SyncId(i), true));
            syncs[s.right.entity.0].push((SyncId(i), false));
        }
        Core {
            options,
            queue: VecDeque::new(),
            next_event: 1,
            next_run: 1,
            totals: Counts::default(),
            started: vec![0; program.workflows.len()],
            budget: budget::Budget::new(program.workflows.len()),
            echoes: echo::Echoes::default(),
            completed: vec![0; program.workflows.len()],
            held: Vec::new(),
            listeners,
            syncs,
            on_conflict,
            on_failure,
            ledger: sync::Ledger::default(),
            limits: limit::Limits::default(),
            waiting: Vec::new(),
            wait_seq: 0,
            fired: std::collections::HashSet::new(),
            locals: Vec::new(),
            linked: Vec::new(),
            scratch: Vec::new(),
            last_created: None,
            user: Arc::from("user"),
            engine: program.engine.clone(),
        }
    }

    /// Whether an event of this kind would be looked at by anyone (or shown).
    fn wanted(&self, entity: EntityId, kind: EventKind) -> bool {
        self.options.trace
            || !self.listeners[entity.0 * 3 + kind_index(kind)].is_empty()
            || !self.syncs[entity.0].is_empty()
    }

    /// A label with these letters, shared with the engine's own where they are equal.
    fn intern(&self, label: &str) -> Label {
        if label == &*self.engine {
            self.engine.clone()
        } else if label == &*self.user {
            self.user.clone()
        } else {
            Arc::from(label)
        }
    }

    /// Who made a change, as the app can tell: its actor, the record's stamp, or `user`.
    fn origin_of(&self, p: &Program, entity: EntityId, record: &Record, actor: &Label) -> Label {
        let e = p.entity(entity);
        if p.app(e.app).reports_actor {
            return actor.clone();
        }
        if let Some(stamp) = e.stamp {
            return match record.get(stamp) {
                Value::Label(l) => l.clone(),
                Value::Text(t) => self.intern(t),
                _ => self.user.clone(),
            };
        }
        if !e.declared {
            return record.stamp().cloned().unwrap_or_else(|| self.user.clone());
        }
        self.user.clone()
    }

    /// Reports a write as an event and queues it, unless nobody would look at it.
    #[expect(clippy::too_many_arguments, reason = "an event has this many parts")]
    fn emit(
        &mut self,
        p: &Program,
        kind: EventKind,
        entity: EntityId,
        record: Record,
        changed: Option<Arc<[FieldId]>>,
        actor: &Label,
        cause: Chain,
        out: &mut Outcome,
    ) -> u64 {
        let id = self.next_event;
        if !self.count_event(p, entity, kind, out) || !self.wanted(entity, kind) {
            return id;
        }
        let origin = self.origin_of(p, entity, &record, actor);
        let reports_changes = p.app(p.entity(entity).app).reports_changes;
        let event = Event {
            id,
            kind,
            entity,
            record,
            origin,
            changed: if reports_changes { changed } else { None },
            cause,
            conflict: None,
            failure: None,
        };
        if self.options.trace {
            out.trace.push(TraceItem::Event(event.clone()));
        }
        self.queue.push_back(event);
        id
    }

    /// Gives a write's event its id and counts it; false where the app does not send this kind
    /// of event (`emits new`, say).
    fn count_event(
        &mut self,
        p: &Program,
        entity: EntityId,
        kind: EventKind,
        out: &mut Outcome,
    ) -> bool {
        if !p.app(p.entity(entity).app).emits(kind) {
            return false;
        }
        self.next_event += 1;
        out.counts.events += 1;
        true
    }

    /// A change from outside: written, and its event queued.
    fn change<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        change: Change,
        out: &mut Outcome,
    ) -> Result<(), AppError> {
        match change {
            Change::Create {
                entity,
                mut record,
                id,
                actor,
            } => {
                let e = p.entity(entity);
                if e.stamp.is_some() {
                    let fields = record.fields_mut();
                    for (field, value) in e.fields.iter().zip(fields.iter_mut()) {
                        if field.is_stamp && *value == Value::None {
                            *value = Value::Label(self.user.clone());
                        }
                    }
                }
                let created = apps.create(entity, record, id)?;
                self.emit(p, EventKind::New, entity, created, None, &actor, None, out);
            }
            Change::Update { at, write, actor } => {
                if let Some(updated) = apps.update(at, write)? {
                    let (record, changed) = (updated.record, Some(updated.changed));
                    self.emit(
                        p,
                        EventKind::Updated,
                        at.entity,
                        record,
                        changed,
                        &actor,
                        None,
                        out,
                    );
                }
            }
            Change::Delete { at, actor } => {
                if let Some(old) = apps.delete(at)? {
                    self.emit(
                        p,
                        EventKind::Deleted,
                        at.entity,
                        old,
                        None,
                        &actor,
                        None,
                        out,
                    );
                }
            }
        }
        Ok(())
    }

    /// Runs the queue until it is empty.
    fn settle<A: Apps>(&mut self, p: &Program, apps: &mut A, out: &mut Outcome) {
        while let Some(event) = self.queue.pop_front() {
            if event.failure.is_some() {
                self.failed_event(p, apps, &event, out);
                continue;
            }
            for i in 0..self.syncs[event.entity.0].len() {
                let (sync, left) = self.syncs[event.entity.0][i];
                self.sync_event(p, apps, sync, left, &event, out);
            }
            let key = event.entity.0 * 3 + kind_index(event.kind);
            for i in 0..self.listeners[key].len() {
                let workflow = self.listeners[key][i];
                self.consider(p, apps, workflow, &event, out);
            }
        }
    }

    /// Starts a run of `workflow` on `event` if its trigger matches and the guard allows it.
    fn consider<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        workflow: WorkflowId,
        event: &Event,
        out: &mut Outcome,
    ) {
        let w = p.workflow(workflow);
        let by = Actor::Workflow(workflow);
        if let (false, Some(changed)) = (w.trigger.changing.is_empty(), &event.changed)
            && !w.trigger.changing.iter().any(|f| changed.contains(f))
        {
            let span = w.trigger.changing_span.unwrap_or(w.trigger.span);
            self.skip(by, event, Skip::Changing(span), out);
            return;
        }
        if let Some(condition) = &w.trigger.condition {
            let scope = Scope {
                program: p,
                now: self.options.now,
                trigger: Some(Subject {
                    entity: event.entity,
                    record: event.record.view(),
                }),
                target: None,
                origin: Some(&event.origin),
                locals: &[],
                conflict: event.conflict.as_deref(),
                failure: event.failure.as_deref(),
            };
            match eval::truth(condition, &scope) {
                Ok(true) => {}
                Ok(false) => {
                    self.skip(by, event, Skip::Where(condition.span), out);
                    return;
                }
                Err(err) => {
                    self.fail(p, by, None, event, err, out);
                    return;
                }
            }
        }
        let gate = self.limit_gate(p, workflow, event, out);
        if gate == limit::Gate::Shut {
            return;
        }
        let max_runs = self.options.max_runs;
        let reason = guard::check(event, by, self.options.max_hops).or_else(|| {
            (!self.budget.allows(workflow, max_runs)).then_some(HoldReason::Budget(max_runs))
        });
        if let Some(reason) = reason {
            self.hold(by, event, reason, out);
            return;
        }
        if !self.pass_gate(p, workflow, gate, event, out) {
            return;
        }
        self.started[workflow.0] += 1;
        self.budget.spend(workflow);
        let run = self.start_run(by, event, out);
        self.hear(workflow, run, event, out);
        let mut ctx = action::RunCtx::new(run, by, event);
        match self.steps(p, apps, workflow, &mut ctx, out) {
            Ok(wait::Reached::End) => self.completed[workflow.0] += 1,
            Ok(wait::Reached::Stopped) => self.end_note(run, RunEnd::Stopped, out),
            Ok(wait::Reached::Waiting) => self.end_note(run, RunEnd::Waiting, out),
            Err(err) => self.fail(p, by, Some(run), event, err, out),
        }
    }

    fn start_run(&mut self, by: Actor, event: &Event, out: &mut Outcome) -> u64 {
        let run = self.next_run;
        self.next_run += 1;
        out.counts.runs += 1;
        if self.options.runs {
            out.runs.push(RunNote {
                run,
                by,
                end: RunEnd::Done,
            });
        }
        if self.options.trace {
            out.trace.push(TraceItem::Run {
                run,
                by,
                event: event.id,
            });
        }
        run
    }

    fn skip(&mut self, by: Actor, event: &Event, why: Skip, out: &mut Outcome) {
        if self.options.trace {
            out.trace.push(TraceItem::Skip {
                by,
                event: event.id,
                why,
            });
        }
    }

    fn hold(&mut self, by: Actor, event: &Event, reason: HoldReason, out: &mut Outcome) {
        out.counts.held += 1;
        let held = Held {
            event: event.clone(),
            by,
            reason,
        };
        if self.options.trace {
            out.trace.push(TraceItem::Hold(held.clone()));
        }
        self.held.push(held);
        out.held.push(self.held.len() - 1);
    }

    fn fail(
        &mut self,
        p: &Program,
        by: Actor,
        run: Option<u64>,
        event: &Event,
        error: RunError,
        out: &mut Outcome,
    ) {
        out.counts.failed += 1;
        if let Some(note) = out.runs.iter_mut().rev().find(|n| Some(n.run) == run) {
            note.end = RunEnd::Failed;
        }
        let failure = Failure {
            by: by.name(p),
            run: run.unwrap_or(0),
            event: event.id,
            trigger: failed::event_text(p, event),
            error,
        };
        if self.options.trace {
            out.trace.push(TraceItem::Error(failure.clone()));
        }
        self.raise_failure(p, by, event, &failure);
        out.failures.push(failure);
    }
}

#[cfg(test)]
mod tests;
