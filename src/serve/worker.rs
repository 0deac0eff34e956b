//! The worker: runs accepted events one at a time through the engine, and writes down what
//! they came to.
//!
//! The engine is synchronous, so the worker has a thread of its own. It takes events in the
//! order they were accepted, runs each, and records a batch of them at once (status, runs,
//! held events, notifications, ledger, links). Before an event runs, the engine is told the
//! run number it starts at: after a crash the event runs again with the same run numbers, so
//! its writes carry the same idempotency keys, and those a real app already confirmed are not
//! sent again.
//!
//! ```text
//! #41 new Shop/order → run 90 order_to_contact → POST /contact (key …-90/1) → done
//! crash before #41 is recorded; restart: #41 runs again as run 90; key …-90/1 is in
//! `actions`, so the contact is not created twice
//! ```
//!
//! The simulated apps and the sync ledger are recorded with the batch that changed them, in
//! the same transaction, and put back from the journal at start: after a crash they are where
//! the events marked done left them, so a new simulated record never takes the id (and the
//! links) of one made before the crash.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::{Value as Json, json};

use super::journal::{Finished, Journal, JournalError, LedgerRow, RunRow, SimChanges, StoredEvent};
use super::recording::{self, Changes, Recording};
use super::sender::Outbox;
use super::status::{EventStatus, RunStatus};
use super::webhook::{self, Parsed};
use crate::program::{EntityId, Program};
use crate::remote::deferred::Waiting;
use crate::remote::{Connected, IdempotencyKey, Policy, Recorder, SetupError};
use crate::run::apps::{Apps, RecordRef};
use crate::run::echo::Written;
use crate::run::guard::{HeldChain, Surface};
use crate::run::{Engine, Options, Outcome, Reported, RunEnd, state};

/// How long the ledger keeps a write to a real app waiting for its echo.
const LEDGER_KEEP_MS: i64 = 24 * 60 * 60 * 1000;

/// Why the worker could not start.
#[derive(Debug)]
pub enum StartError {
    Journal(JournalError),
    Apps(SetupError),
}

impl From<JournalError> for StartError {
    fn from(err: JournalError) -> StartError {
        StartError::Journal(err)
    }
}

/// How many more times a record's number is asked of a shared journal, a second apart, before
/// the worker gives up.
const NUMBER_TRIES: u32 = 4;

/// Writes the effects of real apps' writes to the journal as they happen.
struct JournalRecorder {
    journal: Journal,
    program: Arc<Program>,
    /// Why the journal gave no number to a record, the first time it did not.
    unnumbered: Arc<OnceLock<String>>,
}

impl JournalRecorder {
    fn entity_name(&self, entity: EntityId) -> String {
        entity_label(&self.program, entity)
    }
}

/// `Calendar/event`, as the journal names an entity.
fn entity_label(p: &Program, entity: EntityId) -> String {
    let e = p.entity(entity);
    format!("{}/{}", p.app(e.app).name, e.name)
}

impl Recorder for JournalRecorder {
    fn action_done(
        &mut self,
        key: &IdempotencyKey,
        entity: EntityId,
        method: &'static str,
        record: u64,
    ) {
        let name = self.entity_name(entity);
        let text = key.to_string();
        if let Err(err) = self
            .journal
            .action_done(&text, key.run, &name, method, record)
        {
            eprintln!("error: {err}");
        }
    }

    fn number(&mut self, entity: EntityId, app_id: &str, least: u64) -> u64 {
        if !self.journal.conn().is_postgres() {
            return least;
        }
        let name = self.entity_name(entity);
        // Shared with other servers: numbered by the journal (tried for a few seconds, as a
        // database that restarts comes back), or the event is not recorded and the worker
        // stops ([`Worker::unnumbered`]).
        let mut tries = 0;
        loop {
            match super::shared::number(self.journal.conn(), &name, app_id, least) {
                Ok(number) => return number,
                Err(_) if tries < NUMBER_TRIES => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
                Err(err) => {
                    let _ = self.unnumbered.set(format!(
                        "the journal `{}` gave no number to a record of {name}: {err}",
                        self.journal.path()
                    ));
                    return least;
                }
            }
        }
    }

    fn new_id(&mut self, entity: EntityId, app_id: &str, local: u64) {
        if self.unnumbered.get().is_some() {
            // Not a number the journal gave: the other servers must not learn it.
            return;
        }
        let name = self.entity_name(entity);
        if let Err(err) = self.journal.new_id(&name, app_id, local) {
            eprintln!("error: {err}");
        }
    }
}

pub struct Worker {
    engine: Engine<Connected>,
    journal: Journal,
    program: Arc<Program>,
    /// The highest run number given out so far.
    next_run: u64,
    notifier: Option<crate::remote::notify::Notifier>,
    /// Whether kept messages may quote record values (`--log-values`).
    log_values: bool,
    /// With writes deferred (`weir serve`): what the sending side shares.
    waiting: Option<Arc<Waiting>>,
    /// Events run and not yet recorded, with the counts and the outbox they go to.
    recording: recording::Shared,
    /// Timers planned or cancelled by the event running (those of events finished and not
    /// recorded yet are in their changes, held by `recording`).
    plans: Vec<super::timers::Plan>,
    /// Why the journal gave no number to a record (several servers share the numbers): the
    /// worker's memory of ids can no longer be trusted, and it stops.
    unnumbered: Arc<OnceLock<String>>,
    /// The journal event running (its id), which a rate limit's window shared with other
    /// servers is opened for ([`super::granted::Opened`]).
    running: Arc<AtomicI64>,
    /// Waits the event running took up.
    waits: Vec<super::waits::Change>,
    /// When the event running was received (seconds): a timer due by then is not planned.
    since: i64,
    /// Events come from claims ([`super::claims`]): each runs with the run numbers its claim
    /// gave it.
    claimed: bool,
}

/// `Calendar/event` as an entity of the script.
pub(super) fn entity_named(p: &Program, text: &str) -> Option<EntityId> {
    let (app, entity) = text.split_once('/')?;
    p.entity_named(p.app_named(app)?, entity)
}

impl Worker {
    /// Opens the journal and puts back what it remembers: the id table, the writes already
    /// done, the simulated apps and the sync ledger, links, the write ledger and the counters.
    #[expect(
        clippy::too_many_lines,
        reason = "puts back what the journal keeps (ids, writes done, records, links, ledger, counters) in the order they depend on each other: records before the links on them"
    )]
    pub fn open(
        path: &Path,
        program: Arc<Program>,
        options: Options,
        policy: Policy,
    ) -> Result<Worker, StartError> {
        let journal = Journal::open(path, false)?;
        let instance: Arc<str> = match journal.meta("instance")? {
            Some(id) => Arc::from(id),
            None => {
                let id = crate::remote::instance_id();
                journal.set_meta("instance", &id)?;
                id
            }
        };
        let mut apps = Connected::new(&program, policy, instance).map_err(StartError::Apps)?;
        let unnumbered = Arc::new(OnceLock::new());
        let next_run: u64 = journal
            .meta("next_run")?
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        let p = &*program;
        if let Some(http) = apps.http_mut() {
            for (entity, app_id, local) in journal.ids()? {
                if let Some(entity) = entity_named(p, &entity) {
                    http.restore_id(entity, &app_id, local);
                }
            }
            // Writes of runs that may run again: from the oldest event not done on.
            let from = journal.oldest_failed_run()?.unwrap_or(next_run);
            // A key that does not read back was not written by weir: it matches no write.
            for (key, local) in journal.done_actions(from.min(next_run))? {
                if let Ok(key) = key.parse() {
                    http.restore_done(key, local);
                }
            }
            http.set_recorder(Box::new(JournalRecorder {
                journal: Journal::open(path, false)?,
                program: Arc::clone(&program),
                unnumbered: Arc::clone(&unnumbered),
            }));
        }
        let mut engine = Engine::new(Arc::clone(&program), apps, options);
        let unfit = |err: state::StateError| JournalError {
            path: journal.path().to_string(),
            reason: format!(
                "its simulated apps do not fit the script: {err}; serve the script they were \
                 made with, or start a new journal"
            ),
        };
        // Records first: a link is kept on its records.
        let saved = saved_state(&journal)?;
        state::load(&mut engine, &saved).map_err(unfit)?;
        // A journal of an earlier weir kept them whole, saved at clean stops only: loaded with
        // changes tracked, the next commit writes them out in the journal's present form.
        let earlier = match journal.meta("simulator")? {
            Some(text) if saved["apps"].as_object().is_some_and(|a| a.is_empty()) => {
                serde_json::from_str::<Json>(&text).ok()
            }
            _ => None,
        };
        let track = |engine: &mut Engine<Connected>| {
            engine.apps_mut().sim_mut().track_changes();
            engine.ledger_mut().track_changes();
        };
        if let Some(old) = &earlier {
            track(&mut engine);
            state::load(&mut engine, old).map_err(unfit)?;
            engine.clear_held();
        }
        for (a, b) in journal.links()? {
            if let (Ok(a), Ok(b)) = (state::record_ref(p, &a), state::record_ref(p, &b)) {
                engine.apps_mut().restore_link(a, b);
            }
        }
        if earlier.is_none() {
            track(&mut engine);
        }
        for row in journal.ledger(LEDGER_KEEP_MS)? {
            if let Some(written) = ledger_entry(p, &row) {
                engine.remember_write(written);
            }
        }
        if let Some(next) = journal.meta("next_event")?.and_then(|n| n.parse().ok()) {
            engine.set_next_event_id(next);
        }
        engine.set_next_run_id(next_run);
        super::limits_seen::restore(&journal, &mut engine)?;
        super::timers::sweep(&journal, &engine, super::journal::now_ms() / 1000)
            .map_err(|e| journal.fail(e))?;
        let recording = Recording::new(Journal::open(path, false)?, Arc::clone(&program));
        Ok(Worker {
            engine,
            journal,
            program,
            next_run,
            notifier: None,
            log_values: false,
            waiting: None,
            recording: recording.shared(),
            plans: Vec::new(),
            unnumbered,
            running: Arc::default(),
            waits: Vec::new(),
            since: 0,
            claimed: false,
        })
    }

    /// From now on, the writes of runs to real apps are planned and sent by the outbox
    /// ([`super::sender`]) rather than while the engine waits. Creates still in the journal's
    /// outbox keep their records pending.
    pub fn defer_writes(&mut self, waiting: Arc<Waiting>) -> Result<(), JournalError> {
        let Some(http) = self.engine.apps_mut().http_mut() else {
            return Ok(());
        };
        http.defer_writes(Arc::clone(&waiting));
        let (rows, known) = super::outbox::load(self.journal.conn(), &self.program)
            .map_err(|e| self.journal.fail(e))?;
        for row in rows.iter().filter(|r| r.write.method == "create") {
            let w = &row.write;
            if !known
                .iter()
                .any(|(e, l, _)| *e == w.entity && *l == w.local)
            {
                http.mark_pending(w.entity, w.local);
            }
        }
        // A read records the events run before it first, so that it waits for their writes.
        let shared = Arc::clone(&self.recording);
        waiting.set_flush(Box::new(move |stopping| {
            recording::flush(&shared, stopping)
        }));
        self.waiting = Some(waiting);
        Ok(())
    }

    /// What sends the real apps' writes from other threads, if the script has real apps.
    pub fn write_sender(&self) -> Option<crate::remote::deferred::WriteSender> {
        self.engine.apps().http().map(|h| h.write_sender())
    }

    fn recording(&self) -> std::sync::MutexGuard<'_, Recording> {
        self.recording.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where recorded writes go to be sent.
    pub fn set_outbox(&mut self, outbox: Outbox) {
        self.recording().set_outbox(outbox);
    }

    /// The outbox, to stop it.
    pub fn take_outbox(&mut self) -> Option<Outbox> {
        self.recording().take_outbox()
    }

    /// Writes waiting to be sent (for the worker to wait before it plans many more).
    pub fn backlog(&self) -> usize {
        self.waiting.as_ref().map_or(0, |w| w.backlog())
    }

    /// Takes in what the writes sent since taught (the app's ids of created records).
    fn learn(&mut self) {
        let Some(waiting) = &self.waiting else {
            return;
        };
        let learned = waiting.take_learned();
        if let Some(http) = self.engine.apps_mut().http_mut() {
            http.learn(learned);
        }
    }

    /// An event about a record the engine does not know yet, while creates of its entity are
    /// still to be sent, may be the echo of one: it waits for them, so that it is known.
    fn await_creates(&mut self, entity: EntityId, app_id: Option<&str>) {
        let (Some(waiting), Some(app_id)) = (self.waiting.clone(), app_id) else {
            return;
        };
        let known = |w: &Worker| {
            w.engine
                .apps()
                .http()
                .is_some_and(|h| h.knows(entity, app_id))
        };
        if known(self) {
            return;
        }
        if self.recording().creates(entity) {
            waiting.flush();
        }
        if !waiting.creating(entity) {
            return;
        }
        let _ = waiting.settle_creates(entity);
        self.learn();
    }

    fn take_planned(&mut self) -> Vec<crate::remote::deferred::Planned> {
        match self.engine.apps_mut().http_mut() {
            Some(http) => http.take_planned(),
            None => Vec::new(),
        }
    }

    /// Keeps these counts of events by state up to date as events finish.
    pub fn set_counters(&mut self, counters: Arc<super::Counters>) {
        self.recording().set_counters(counters);
    }

    /// The counts of events `/health` answers with, if the server keeps them.
    pub fn counters(&self) -> Option<Arc<super::Counters>> {
        self.recording().counters()
    }

    /// Lets the messages kept in the journal quote record values (`--log-values`).
    pub fn set_log_values(&mut self, log_values: bool) {
        self.log_values = log_values;
    }

    /// Also POST every notification (`--notify-url`).
    pub fn set_notifier(&mut self, notifier: crate::remote::notify::Notifier) {
        self.notifier = Some(notifier);
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Gives every workflow its run budget again.
    pub fn renew_budget(&mut self) {
        self.engine.renew_budget();
    }

    /// The engine, for what the servers on a shared journal keep in step ([`super::shared`]).
    pub(super) fn engine_mut(&mut self) -> &mut Engine<Connected> {
        &mut self.engine
    }

    /// Why the journal gave no number to a record the last event met, if it did not: its run
    /// must not be recorded, and the worker must stop.
    pub fn unnumbered(&self) -> Option<&str> {
        self.unnumbered.get().map(String::as_str)
    }

    /// The id of the journal event running, as it changes.
    pub fn running(&self) -> Arc<AtomicI64> {
        Arc::clone(&self.running)
    }

    /// Forgets the events run and not recorded (after an error: they run again, here or on
    /// another server). What they did beyond the journal stays done: a notification they sent
    /// is sent again when they run again, and this engine keeps what they changed in memory.
    pub fn forget_unrecorded(&mut self) {
        self.recording().forget();
    }

    /// From now on events come from claims, each with its block of run numbers.
    pub fn set_claimed(&mut self) {
        self.claimed = true;
    }

    /// The script served.
    pub fn program(&self) -> Arc<Program> {
        Arc::clone(&self.program)
    }

    /// The rows still to send of events taken over from a server that stopped.
    pub fn rows_of(&self, events: &[i64]) -> Result<Vec<super::outbox::Row>, JournalError> {
        super::outbox::load_of(self.journal.conn(), &self.program, events)
            .map(|(rows, _)| rows)
            .map_err(|e| self.journal.fail(e))
    }

    /// Writes of events taken over from a server that stopped, to send.
    pub fn send_again(&mut self, rows: Vec<super::outbox::Row>) {
        self.recording().send(rows);
    }

    /// Runs one accepted event. `again`: it ran before (a replay), so it gets its old run
    /// numbers and starts a new chain.
    pub fn run(&mut self, event: &StoredEvent, again: bool) -> Finished {
        let mut finished = self.run_event(event, again);
        finished.changes = self.take_changes();
        finished
    }

    fn run_event(&mut self, event: &StoredEvent, again: bool) -> Finished {
        self.running.store(event.id, Ordering::SeqCst);
        let base = match event.run_base {
            Some(base) if again || self.claimed => base,
            _ => self.next_run,
        };
        self.engine.set_next_run_id(base);
        self.tick();
        self.since = event.received / 1000;
        self.learn();
        // Tests of supervision make the worker panic on an event (never in a release build).
        #[cfg(debug_assertions)]
        if std::env::var("WEIR_TEST_PANIC_ON_EVENT").is_ok_and(|v| v == event.id.to_string()) {
            panic!("a panic injected on event {} for a test", event.id);
        }
        let p = Arc::clone(&self.program);
        if event.kind == super::failed_runs::KIND {
            let outcome = super::failed_runs::run(&mut self.engine, &self.journal, &p, event);
            return self.wrap(event, base, &outcome);
        }
        if event.kind == super::schedules::KIND && event.app == crate::program::CLOCK_APP {
            let outcome = super::schedules::run(&mut self.engine, &p, event);
            return self.wrap(event, base, &outcome);
        }
        if let Some(outcome) = self.run_timed(event) {
            return self.wrap(event, base, &outcome);
        }
        let parsed = webhook::route(&p, &event.app, &event.entity, &event.kind).and_then(
            |(entity, kind)| {
                webhook::parse(
                    &p,
                    entity,
                    kind,
                    &event.record,
                    event.actor.as_deref(),
                    event.changed.as_deref(),
                )
            },
        );
        let outcome = match parsed {
            Err(problem) => {
                return Finished {
                    event: event.id,
                    was: event.status,
                    status: EventStatus::Failed,
                    run_base: base,
                    message: Some(super::redact::problem(&problem, self.log_values)),
                    ..Finished::default()
                };
            }
            Ok(Parsed::Change(input)) => self.engine.input(input),
            Ok(Parsed::Report {
                kind,
                entity,
                app_id,
                mut record,
                changed,
            }) => {
                self.await_creates(entity, app_id.as_deref());
                record.id = match self.engine.apps().http() {
                    Some(http) => http.local_id(entity, app_id.as_deref().unwrap_or("")),
                    None => 0,
                };
                let actor = self.actor(entity, event.actor.as_deref());
                // A real app's record, as it reports it, is what its timers are planned on.
                let at = RecordRef::new(entity, record.id);
                if super::timers::watched(&p, entity) {
                    let kept = (kind != crate::ast::EventKind::Deleted).then(|| record.clone());
                    let plans = super::timers::plans(&p, at, kept.as_ref(), self.since);
                    self.plans.extend(plans);
                }
                self.engine.receive(Reported {
                    kind,
                    entity,
                    record,
                    actor,
                    changed,
                    fresh: again,
                })
            }
        };
        self.wrap(event, base, &outcome)
    }

    /// Runs a timer's event or a wait's resume event; `None` for another event.
    fn run_timed(&mut self, event: &StoredEvent) -> Option<Outcome> {
        if event.kind == super::timers::KIND {
            let recording = &self.recording;
            let unrecorded = |workflow: &str, record: &str| {
                let held = recording.lock().unwrap_or_else(|e| e.into_inner());
                held.timer_planned(workflow, record)
            };
            return Some(super::timers::run(
                &mut self.engine,
                &self.journal,
                unrecorded,
                event,
            ));
        }
        if event.kind == super::waits::KIND {
            let (outcome, gone) = super::waits::run(&mut self.engine, &self.journal, event);
            self.waits.extend(gone);
            return Some(outcome);
        }
        None
    }

    /// What a run of an event came to, with the writes it planned.
    fn wrap(&mut self, event: &StoredEvent, base: u64, outcome: &Outcome) -> Finished {
        self.next_run = self.next_run.max(self.engine.next_run_id());
        let mut finished = self.finished(event.id, base, outcome, false);
        finished.was = event.status;
        finished.writes = self.take_planned();
        if self.claimed && !super::claims::fits(base, self.engine.next_run_id()) {
            // Its later runs took numbers of another event's block: their writes must not go.
            finished.writes.clear();
            finished.status = EventStatus::Failed;
            finished.message = Some(format!(
                "the event made more than {} runs; its writes were not sent",
                super::claims::RUN_BLOCK
            ));
        }
        finished.heard = super::failed_runs::heard_rows(&self.program, outcome, &finished.writes);
        finished
    }

    /// `now()` is the wall clock in `weir serve`.
    fn tick(&mut self) {
        let mut options = self.engine.options();
        options.now = super::journal::now_ms() / 1000;
        self.engine.set_options(options);
    }

    /// The origin a webhook names; an app that `reports actor` and names none is held (R0305).
    fn actor(&self, entity: EntityId, actor: Option<&str>) -> Arc<str> {
        let p = &self.program;
        match actor {
            Some(a) if a == &*p.engine => p.engine.clone(),
            Some(a) => Arc::from(a),
            None if p.app(p.entity(entity).app).reports_actor => {
                Arc::from(crate::run::guard::NO_ACTOR)
            }
            None => self.engine.user_label().clone(),
        }
    }

    /// Releases what the guard held of an event: each held workflow runs on its event again,
    /// as a new chain.
    pub fn release_held(&mut self, event: i64) -> Result<Finished, JournalError> {
        self.running.store(event, Ordering::SeqCst);
        let block = super::claims::new_block(self.journal.conn());
        let base = block
            .map_err(|e| self.journal.fail(e))?
            .unwrap_or(self.next_run);
        self.engine.set_next_run_id(base);
        self.tick();
        self.since = super::journal::now_ms() / 1000;
        let mut total = Outcome::default();
        for (i, text) in self.journal.held_of(event)?.iter().enumerate() {
            let Ok(json) = serde_json::from_str::<Json>(text) else {
                continue;
            };
            let Ok(held) = state::load_held(&self.program, &json, &format!("held[{i}]")) else {
                continue;
            };
            let outcome = self.engine.release(held);
            total.runs.extend(outcome.runs);
            total.notes.extend(outcome.notes);
            total.held.extend(outcome.held);
            total.failures.extend(outcome.failures);
            total.written.extend(outcome.written);
            total.heard.extend(outcome.heard);
            total.counts += outcome.counts;
        }
        self.next_run = self.next_run.max(self.engine.next_run_id());
        let mut finished = self.finished(event, base, &total, true);
        finished.was = EventStatus::Held;
        finished.writes = self.take_planned();
        finished.heard = super::failed_runs::heard_rows(&self.program, &total, &finished.writes);
        finished.changes = self.take_changes();
        Ok(finished)
    }

    /// What an outcome comes to, for the journal.
    fn finished(&mut self, event: i64, base: u64, outcome: &Outcome, released: bool) -> Finished {
        if let Some(notifier) = &mut self.notifier {
            for (channel, text) in &outcome.notes {
                if let Err(reason) = notifier.send(channel.as_deref(), text) {
                    eprintln!("warning: a notification of event {event} was not sent: {reason}");
                }
            }
        }
        let p = &*self.program;
        let mut f = Finished {
            event,
            run_base: base,
            released,
            ..Finished::default()
        };
        for note in &outcome.runs {
            f.runs.push(RunRow {
                run: Some(note.run),
                by: note.by.name(p).to_string(),
                status: match note.end {
                    RunEnd::Done => RunStatus::Done,
                    RunEnd::Stopped => RunStatus::Stopped,
                    RunEnd::Failed => RunStatus::Failed,
                    RunEnd::Waiting => RunStatus::Waiting,
                },
                message: None,
            });
        }
        let values = self.log_values;
        for failure in &outcome.failures {
            let message = Some(super::redact::failure(failure, values));
            match f.runs.iter_mut().find(|r| r.run == Some(failure.run)) {
                Some(row) if failure.run != 0 => row.message = message,
                _ => f.runs.push(RunRow {
                    run: None,
                    by: failure.by.to_string(),
                    status: RunStatus::Failed,
                    message,
                }),
            }
        }
        for &i in &outcome.held {
            let held = &self.engine.held()[i];
            let report = HeldChain { program: p, held }.report_in(Surface::Serve);
            let story = crate::run::guard::story(p, held);
            f.runs.push(RunRow {
                run: None,
                by: held.by.name(p).to_string(),
                status: RunStatus::Held,
                message: Some(format!("{} (trace: {story})", report.message)),
            });
            f.held.push(state::held_json(p, held).to_string());
        }
        for (channel, text) in &outcome.notes {
            f.notes
                .push((channel.as_ref().map(|c| c.to_string()), text.to_string()));
        }
        for w in &outcome.written {
            f.written.push(ledger_row(p, w));
        }
        f.limited = super::limits_seen::rows(p, &outcome.limited);
        let first_failure = outcome
            .failures
            .first()
            .map(|x| super::redact::failure(x, values));
        let refused = outcome
            .refused
            .as_ref()
            .map(|r| super::redact::refused(r, values));
        (f.status, f.message) = if let Some(message) = first_failure.or(refused) {
            (EventStatus::Failed, Some(message))
        } else if !outcome.held.is_empty() {
            (
                EventStatus::Held,
                Some("the run-time guard held a chain (R0301)".to_string()),
            )
        } else {
            (EventStatus::Done, None)
        };
        f
    }

    /// What the engine changed since it was last asked, besides the rows of events: links made,
    /// simulated records and sync pairs as they are now, and the counters.
    fn take_changes(&mut self) -> Changes {
        let p = &*self.program;
        let show = |r: RecordRef| r.show(p).to_string();
        let apps = self.engine.apps_mut();
        let mut made = apps.take_new_links();
        let changes = apps.sim_mut().take_changes();
        made.extend(changes.links);
        let links: Vec<(String, String)> =
            made.into_iter().map(|(a, b)| (show(a), show(b))).collect();
        let mut sim = SimChanges::default();
        // A run of the clock's reads it at its time, earlier than when its event came.
        let since = self.since.min(self.engine.now());
        for at in changes.records {
            let record = self.engine.apps().sim().get(at).ok().flatten();
            self.plans
                .extend(super::timers::plans(p, at, record.as_ref(), since));
            let json = record.map(|r| state::record_entry(p, at.entity, r.view()).to_string());
            sim.records.push((entity_label(p, at.entity), at.id, json));
        }
        for (sync, left) in self.engine.ledger_mut().take_changes() {
            let s = &p.syncs[sync.0];
            let pair = self.engine.ledger().pair(sync, left);
            sim.pairs.push((
                state::sync_name(p, sync),
                show(RecordRef::new(s.left.entity, left)),
                pair.map(|pair| state::pair_json(p, pair).to_string()),
            ));
        }
        sim.timers = std::mem::take(&mut self.plans);
        sim.waits = std::mem::take(&mut self.waits);
        let waiting = self.engine.take_waiting();
        sim.waits.extend(super::waits::began(p, &waiting));
        Changes {
            links,
            sim,
            next_run: self.next_run,
            next_event: self.engine.next_event_id(),
        }
    }

    /// Keeps a finished event to be recorded with others ([`Worker::commit`]).
    pub fn hold(&mut self, finished: Finished) {
        self.recording().hold(finished);
    }

    /// Events held that have writes to send.
    pub fn writing(&self) -> usize {
        self.recording().writing()
    }

    /// Writes down the events held and a batch of finished events, with what they changed and
    /// the counters, in one transaction; their writes then go to be sent.
    pub fn commit(&mut self, batch: &[Finished]) -> Result<(), JournalError> {
        let stopping = self.waiting.as_ref().is_some_and(|w| w.stopping());
        let rest = self.take_changes();
        let recorded = {
            let mut recording = self.recording();
            for f in batch {
                recording.hold(f.clone());
            }
            recording.record(Some(rest), stopping)
        };
        self.engine.clear_held();
        recorded
    }

    /// Writes down what the simulated apps changed that no batch has recorded yet (at a
    /// clean stop: every batch records its own changes, so there is normally nothing left).
    pub fn save_simulator(&mut self) -> Result<(), JournalError> {
        self.commit(&[])
    }

    /// Runs every queued event and every release asked for, then records them.
    pub fn run_pending(&mut self) -> Result<usize, JournalError> {
        let mut count = 0;
        loop {
            let queued = self.journal.queued()?;
            if queued.is_empty() {
                break;
            }
            for chunk in queued.chunks(256) {
                for event in chunk {
                    let finished = self.run(event, false);
                    self.hold(finished);
                    count += 1;
                    // As the serving loop does: writes go to be sent in groups.
                    if self.writing() >= GROUP {
                        self.commit(&[])?;
                    }
                }
                self.commit(&[])?;
            }
        }
        count += self.run_releases()?;
        Ok(count)
    }

    /// Runs the events `weir replay` released.
    pub fn run_releases(&mut self) -> Result<usize, JournalError> {
        let ids = self.journal.take_releases()?;
        self.run_released(&ids)
    }

    /// Takes the events `weir replay` released off its list, for this server to run.
    pub fn take_releases(&mut self) -> Result<Vec<i64>, JournalError> {
        self.journal.take_releases()
    }

    /// Runs events `weir replay` released, taken off its list.
    pub fn run_released(&mut self, ids: &[i64]) -> Result<usize, JournalError> {
        let mut count = 0;
        for id in ids {
            let Some(event) = self.journal.event(*id)? else {
                continue;
            };
            let finished = match event.status {
                EventStatus::Held => self.release_held(*id)?,
                EventStatus::Failed => self.run(&event, true),
                EventStatus::Queued | EventStatus::Done => continue,
            };
            if let Some(why) = self.unnumbered() {
                return Err(JournalError {
                    path: self.journal.path().to_string(),
                    reason: why.to_string(),
                });
            }
            self.hold(finished);
            count += 1;
            if self.writing() >= GROUP {
                self.commit(&[])?;
            }
        }
        if count > 0 {
            self.commit(&[])?;
        }
        Ok(count)
    }
}

/// The most events with writes to send recorded in one transaction: enough that a transaction
/// is paid for by many events, few enough that the first writes of a group are not held long.
pub const GROUP: usize = 64;

/// The simulated apps and the sync ledger as the journal holds them, in the form of a state
/// file (`--state`), so that they load as one does: checked against the script, all or nothing.
fn saved_state(journal: &Journal) -> Result<Json, JournalError> {
    let damaged = |what: String| JournalError {
        path: journal.path().to_string(),
        reason: format!("{what}; the journal is damaged"),
    };
    let mut apps = serde_json::Map::new();
    for (entity, id, record) in journal.sim_records()? {
        let Some((app, name)) = entity.split_once('/') else {
            return Err(damaged(format!(
                "the simulated entity {entity:?} names no app and entity"
            )));
        };
        let tables = apps.entry(app).or_insert_with(|| json!({}));
        let table = &mut tables[name];
        if table.is_null() {
            *table = json!({ "records": [] });
        }
        // Rows come in id order: the last is the highest id given out, deleted or not.
        table["next_id"] = json!(id + 1);
        if let Some(text) = record {
            let json: Json = serde_json::from_str(&text)
                .map_err(|_| damaged(format!("the record {entity}/{id} is not valid JSON")))?;
            if let Some(records) = table["records"].as_array_mut() {
                records.push(json);
            }
        }
    }
    let mut ledger = Vec::new();
    for text in journal.sync_pairs()? {
        let pair: Json = serde_json::from_str(&text)
            .map_err(|_| damaged("a pair of the sync ledger is not valid JSON".into()))?;
        ledger.push(pair);
    }
    Ok(json!({ "weir_state": state::VERSION, "apps": apps, "ledger": ledger }))
}

fn ledger_row(p: &Program, w: &Written) -> LedgerRow {
    let e = p.entity(w.at.entity);
    let fields: Vec<&str> = w.fields.iter().map(|f| &*e.fields[f.0].name).collect();
    LedgerRow {
        kind: w.kind.keyword().to_string(),
        record: w.at.show(p).to_string(),
        fields: json!(fields).to_string(),
        print: w.print,
        chain: state::chain_json(p, &Some(Arc::clone(&w.chain))).to_string(),
    }
}

pub(super) fn ledger_entry(p: &Program, row: &LedgerRow) -> Option<Written> {
    let kind = row.kind.parse().ok()?;
    let at = state::record_ref(p, &row.record).ok()?;
    let e = p.entity(at.entity);
    let names: Vec<String> = serde_json::from_str(&row.fields).ok()?;
    let fields = names
        .iter()
        .map(|n| e.field_named(n))
        .collect::<Option<Vec<_>>>()?;
    let chain = state::load_chain(p, &serde_json::from_str(&row.chain).ok()?).ok()??;
    Some(Written {
        kind,
        at,
        fields: Arc::from(fields),
        print: row.print,
        chain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOP: &str = "app Shop { order { customer: text } }\n";

    fn program() -> Arc<Program> {
        let loaded = crate::load::parse_all(vec![("shop.weir".into(), SHOP.into())]);
        let checked = crate::check::check(&loaded.scripts, &loaded.sources);
        assert!(!checked.has_errors());
        Arc::new(checked.program)
    }

    fn worker(path: &Path) -> Worker {
        match Worker::open(path, program(), Options::default(), Policy::default()) {
            Ok(worker) => worker,
            Err(err) => panic!("the worker starts: {err:?}"),
        }
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("weir-worker-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn simulated_apps_saved_whole_by_an_earlier_weir_are_written_out_row_by_row() {
        let dir = scratch("earlier");
        let path = dir.join("weir.db");
        let old = json!({
            "weir_state": 1,
            "apps": { "Shop": { "order": {
                "next_id": 5,
                "records": [{ "id": "Shop/order/2", "customer": "Ada" }],
            } } },
        });
        Journal::open(&path, false)
            .unwrap()
            .set_meta("simulator", &old.to_string())
            .unwrap();
        let mut w = worker(&path);
        w.save_simulator().unwrap();
        let rows = w.journal().sim_records().unwrap();
        let ids: Vec<(&str, u64, bool)> = rows
            .iter()
            .map(|(entity, id, record)| (entity.as_str(), *id, record.is_some()))
            .collect();
        // Ids 3 and 4 were given out and their records deleted: 4 is kept as taken.
        assert_eq!(ids, [("Shop/order", 2, true), ("Shop/order", 4, false)]);
        assert!(rows[0].2.as_deref().unwrap_or("").contains("Ada"));
        drop(w);
        // Read back from the rows, the old save is no longer needed.
        let mut w = worker(&path);
        let again = w.journal().sim_records().unwrap();
        w.save_simulator().unwrap();
        assert_eq!(again, w.journal().sim_records().unwrap());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_damaged_simulated_record_stops_the_start_and_is_named() {
        let dir = scratch("damaged");
        let path = dir.join("weir.db");
        let rows = SimChanges {
            records: vec![("Shop/order".into(), 1, Some("{\"customer\": ".into()))],
            ..SimChanges::default()
        };
        let mut journal = Journal::open(&path, false).unwrap();
        journal.finish(&program(), &[], &[], &[], &rows).unwrap();
        let Err(StartError::Journal(err)) =
            Worker::open(&path, program(), Options::default(), Policy::default())
        else {
            panic!("a damaged journal must not start");
        };
        assert_eq!(
            err.reason,
            "the record Shop/order/1 is not valid JSON; the journal is damaged"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
