//! Sends the outbox's writes: concurrently, in order per record, within each app's limits.
//!
//! ```text
//! #41 POST Crm/contact/7 ─┐           Crm: at most 16 at once (the default)
//! #42 POST Crm/contact/8 ─┼─ at once   Mail: limit 10 per second
//! #43 PATCH Crm/contact/7 ┘ waits for #41's POST (same record), then goes
//! Crm answers 429 Retry-After: 5  → Crm pauses 5 s; Mail goes on
//! ```
//!
//! One scheduler thread decides what goes when; a pool of threads sends (blocking requests on
//! one shared client, which keeps its connections). A write may go when it is the first not
//! yet sent of its event (an event's writes go in the order its runs made them) and of its
//! record (every write to a record goes in the order the events were accepted), its app is
//! under its limits and not paused, and its next try is due. A try that is worth repeating
//! (no answer, `429`, `5xx`) waits its back-off, or what `Retry-After` asked, and then the
//! whole app waits that long too; after the policy's retries the write is given up and its
//! event fails, saying why. Writes given up or sent are recorded in the journal in groups
//! ([`super::outbox::sent`]). When weir stops, the scheduler stops at once: writes not sent
//! stay in the outbox, and go at the next start with their keys.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use super::Counters;
use super::journal::{Journal, JournalError};
use super::outbox::{self, Row, Sent};
use super::status::EventStatus;
use crate::program::{EntityId, Program};
use crate::remote::deferred::WriteSender;
use crate::remote::deferred::{Learned, Waiting};
use crate::remote::http::{self, Attempt, Jitter};
use crate::run::apps::AppError;

/// The writes one app may have in flight when its script and command line say nothing.
pub const DEFAULT_AT_ONCE: usize = 16;

/// The most threads that send at once, whatever the limits add up to.
const MOST_SENDERS: usize = 256;

/// How fast an app may be written to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limit {
    /// Writes in flight at once.
    pub at_once: usize,
    /// Writes begun per second, if limited.
    pub per_second: Option<f64>,
}

impl Default for Limit {
    fn default() -> Limit {
        Limit {
            at_once: DEFAULT_AT_ONCE,
            per_second: None,
        }
    }
}

impl From<crate::program::AppLimit> for Limit {
    fn from(declared: crate::program::AppLimit) -> Limit {
        Limit {
            at_once: declared.at_once.map_or(DEFAULT_AT_ONCE, |n| n as usize),
            per_second: declared.per_second.map(f64::from),
        }
    }
}

/// A row to try: its id, the write, and the app's id of its record if known.
type Job = (i64, crate::remote::deferred::Planned, Option<String>);

enum Message {
    Rows(Vec<Row>),
    Tried(i64, Result<Attempt, String>),
    Stop,
}

/// The handle on the scheduler: rows to send go in; [`Outbox::stop`] ends it.
pub struct Outbox {
    messages: mpsc::Sender<Message>,
    thread: Option<std::thread::JoinHandle<()>>,
    waiting: Arc<Waiting>,
}

/// What the scheduler needs to record what it sends.
pub struct Setup {
    pub journal: Journal,
    pub program: Arc<Program>,
    pub sender: WriteSender,
    /// By app, in the program's order.
    pub limits: Vec<Limit>,
    pub waiting: Arc<Waiting>,
    pub counters: Option<Arc<Counters>>,
    pub log_values: bool,
    /// Set when the scheduler stops on an error it cannot go on after.
    pub broken: Arc<AtomicBool>,
}

impl Outbox {
    /// Starts the scheduler and its senders, with the rows a journal still holds.
    pub fn start(setup: Setup) -> Result<Outbox, JournalError> {
        let (rows, known) = outbox::load(setup.journal.conn(), &setup.program)
            .map_err(|e| setup.journal.fail(e))?;
        let path = setup.journal.path().to_string();
        let (messages, inbox) = mpsc::channel();
        let senders: usize = setup
            .limits
            .iter()
            .map(|l| l.at_once)
            .sum::<usize>()
            .clamp(1, MOST_SENDERS);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..senders {
            let queue = Arc::clone(&queue);
            let back = messages.clone();
            let sender = setup.sender.clone();
            std::thread::Builder::new()
                .name(format!("weir-send-{n}"))
                .spawn(move || {
                    let mut jitter = Jitter::default();
                    loop {
                        let job = queue.lock().map(|q| q.recv());
                        let Ok(Ok((id, write, app_id))) = job else {
                            break;
                        };
                        let tried = sender.attempt(&write, app_id.as_deref(), &mut jitter);
                        if back.send(Message::Tried(id, tried)).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| JournalError {
                    path: path.clone(),
                    reason: format!("no thread to send writes: {e}"),
                })?;
        }
        let waiting = Arc::clone(&setup.waiting);
        let writes: Vec<_> = rows.iter().map(|r| r.write.clone()).collect();
        waiting.handed(&writes);
        let mut scheduler = Scheduler::new(setup, jobs);
        for (entity, local, app_id) in known {
            scheduler.ids.insert((entity, local), app_id);
        }
        scheduler.add(rows);
        let thread = std::thread::Builder::new()
            .name("weir-outbox".into())
            .spawn(move || {
                let broken = Arc::clone(&scheduler.setup.broken);
                super::supervised("the sender of writes", &broken, move || {
                    scheduler.run(inbox);
                    Ok(())
                });
            })
            .map_err(|e| JournalError {
                path,
                reason: format!("no thread to schedule writes: {e}"),
            })?;
        Ok(Outbox {
            messages,
            thread: Some(thread),
            waiting,
        })
    }

    /// Rows the worker recorded, to send. They count as waiting to be sent from now on, not
    /// from when the scheduler takes them: a read that follows at once waits for them.
    pub fn send(&self, rows: Vec<Row>) {
        if !rows.is_empty() {
            let writes: Vec<_> = rows.iter().map(|r| r.write.clone()).collect();
            self.waiting.handed(&writes);
            let _ = self.messages.send(Message::Rows(rows));
        }
    }

    /// Stops sending: what is not sent stays in the outbox. Tries in flight are not waited for
    /// (a write whose reply is lost goes again at the next start, with its key).
    pub fn stop(mut self) {
        let _ = self.messages.send(Message::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Pending {
    row: Row,
    tries: u32,
    due: Instant,
    flying: bool,
}

struct Scheduler {
    setup: Setup,
    jobs: mpsc::Sender<Job>,
    rows: HashMap<i64, Pending>,
    /// Each event's rows not sent, in order; events in the order they were accepted.
    events: BTreeMap<i64, VecDeque<i64>>,
    records: HashMap<(EntityId, u64), VecDeque<i64>>,
    /// The app's ids of records created by rows sent.
    ids: HashMap<(EntityId, u64), String>,
    /// The first write of an event given up: its row and why.
    failed: HashMap<i64, (Row, String)>,
    /// By app: the rows first of their event and of their record, not in flight, in the order
    /// they were planned: the only rows that may go, so that choosing what goes next costs
    /// what may go, not every row waiting behind them.
    ready: Vec<BTreeSet<i64>>,
    busy: Vec<usize>,
    paused: Vec<Instant>,
    /// When each app may begin its next write under `per second`.
    next_start: Vec<Instant>,
    jitter: Jitter,
    /// Sent or given up, not yet recorded.
    finished: Vec<(Row, Sent)>,
}

impl Scheduler {
    fn new(setup: Setup, jobs: mpsc::Sender<Job>) -> Scheduler {
        let apps = setup.program.apps.len();
        let now = Instant::now();
        Scheduler {
            setup,
            jobs,
            rows: HashMap::new(),
            events: BTreeMap::new(),
            records: HashMap::new(),
            ids: HashMap::new(),
            failed: HashMap::new(),
            ready: vec![BTreeSet::new(); apps],
            busy: vec![0; apps],
            paused: vec![now; apps],
            next_start: vec![now; apps],
            jitter: Jitter::default(),
            finished: Vec::new(),
        }
    }

    fn add(&mut self, rows: Vec<Row>) {
        let now = Instant::now();
        for row in rows {
            let (id, record) = (row.id, (row.write.entity, row.write.local));
            self.events.entry(row.event).or_default().push_back(id);
            self.records.entry(record).or_default().push_back(id);
            self.rows.insert(
                id,
                Pending {
                    row,
                    tries: 0,
                    due: now,
                    flying: false,
                },
            );
            self.consider(id);
        }
    }

    /// Puts a row among those that may go if it is first of its event and of its record and
    /// not in flight.
    fn consider(&mut self, id: i64) {
        let Some(p) = self.rows.get(&id) else {
            return;
        };
        let write = &p.row.write;
        let first = |queue: Option<&VecDeque<i64>>| queue.and_then(|q| q.front()) == Some(&id);
        if !p.flying
            && first(self.events.get(&p.row.event))
            && first(self.records.get(&(write.entity, write.local)))
        {
            let app = self.setup.sender.app_of(write.entity);
            self.ready[app].insert(id);
        }
    }

    fn run(mut self, inbox: mpsc::Receiver<Message>) {
        let mut wake = Duration::from_millis(500);
        loop {
            let first = match inbox.recv_timeout(wake) {
                Ok(message) => Some(message),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            let mut stop = false;
            for message in first
                .into_iter()
                .chain(std::iter::from_fn(|| inbox.try_recv().ok()))
            {
                match message {
                    Message::Rows(rows) => self.add(rows),
                    Message::Tried(id, attempt) => self.tried(id, attempt),
                    Message::Stop => stop = true,
                }
            }
            if let Err(err) = self.record() {
                eprintln!("error: {err}");
                self.setup
                    .broken
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                break;
            }
            if stop {
                break;
            }
            wake = self.dispatch();
        }
        self.setup.waiting.stop();
    }

    /// A try came back.
    fn tried(&mut self, id: i64, attempt: Result<Attempt, String>) {
        let Some(p) = self.rows.get_mut(&id) else {
            return;
        };
        p.flying = false;
        p.tries += 1;
        let app = self.setup.sender.app_of(p.row.write.entity);
        self.busy[app] = self.busy[app].saturating_sub(1);
        let write = &p.row.write;
        let sender = &self.setup.sender;
        let outcome = match attempt {
            Err(reason) => Sent::Failed(reason),
            Ok(Attempt::Reply(reply)) if reply.status == reqwest::StatusCode::NOT_FOUND => {
                if write.method == "create" {
                    Sent::Failed(format!(
                        "{} answered 404 Not Found: the app has no `{}` here",
                        sender.describe(write),
                        self.setup.program.entity(write.entity).name
                    ))
                } else {
                    Sent::Gone
                }
            }
            Ok(Attempt::Reply(reply)) if write.method == "create" => {
                match sender.created_id(write, &reply) {
                    Ok(app_id) => Sent::Done {
                        app_id: Some(app_id),
                    },
                    Err(reason) => Sent::Failed(reason),
                }
            }
            Ok(Attempt::Reply(_)) => Sent::Done { app_id: None },
            Ok(Attempt::Refused { problem, .. }) => Sent::Failed(problem),
            Ok(Attempt::Again { problem, after }) => {
                let policy = *self.setup.sender.policy();
                if p.tries > policy.retries {
                    Sent::Failed(http::gave_up(&problem, p.tries))
                } else {
                    let wait = after
                        .unwrap_or_else(|| http::backoff(&policy, p.tries, &mut self.jitter))
                        .min(http::MAX_WAIT);
                    p.due = Instant::now() + wait;
                    if after.is_some() {
                        // The app asked for a pause: none of its writes go until then.
                        self.paused[app] = self.paused[app].max(p.due);
                    }
                    self.ready[app].insert(id);
                    return;
                }
            }
        };
        self.done(id, outcome);
    }

    /// A row is sent or given up: it leaves its queues, and so does every row of its event
    /// after a row given up.
    fn done(&mut self, id: i64, outcome: Sent) {
        let Some(p) = self.rows.remove(&id) else {
            return;
        };
        let row = p.row;
        let record = (row.write.entity, row.write.local);
        self.ready[self.setup.sender.app_of(row.write.entity)].remove(&id);
        let mut next = Vec::with_capacity(2);
        if let Some(queue) = self.records.get_mut(&record) {
            queue.retain(|r| *r != id);
            next.extend(queue.front().copied());
            if queue.is_empty() {
                self.records.remove(&record);
            }
        }
        if let Some(queue) = self.events.get_mut(&row.event) {
            queue.retain(|r| *r != id);
            next.extend(queue.front().copied());
        }
        // The rows after it, of its record and of its event, may go now.
        for other in next {
            self.consider(other);
        }
        let mut learned = Learned {
            entity: row.write.entity,
            local: row.write.local,
            app_id: None,
            done: None,
        };
        match &outcome {
            Sent::Done { app_id } => {
                if let Some(app_id) = app_id {
                    self.ids.insert(record, app_id.clone());
                    learned.app_id = Some(app_id.clone());
                }
                learned.done = Some(row.write.key.clone());
            }
            Sent::Gone => {}
            Sent::Failed(reason) => {
                self.failed
                    .entry(row.event)
                    .or_insert_with(|| (row.clone(), reason.clone()));
                // The rest of its event's writes are not sent: its run stopped there.
                let rest: Vec<i64> = self
                    .events
                    .get(&row.event)
                    .map(|q| q.iter().copied().collect())
                    .unwrap_or_default();
                for other in rest {
                    if self.rows.get(&other).is_some_and(|p| !p.flying) {
                        self.done(other, Sent::Failed(reason.clone()));
                    }
                }
            }
        }
        self.setup.waiting.finished(&row.write, Some(learned));
        self.finished.push((row, outcome));
    }

    /// Records what was sent or given up, and settles events with nothing left to send.
    fn record(&mut self) -> Result<(), JournalError> {
        if self.finished.is_empty() {
            return Ok(());
        }
        let finished = std::mem::take(&mut self.finished);
        let settled: Vec<i64> = {
            let mut events: Vec<i64> = finished.iter().map(|(r, _)| r.event).collect();
            events.dedup();
            events
                .into_iter()
                .filter(|e| self.events.get(e).is_none_or(VecDeque::is_empty))
                .collect::<HashSet<_>>()
                .into_iter()
                .collect()
        };
        let journal = &self.setup.journal;
        let fail = |e| journal.fail(e);
        let program = Arc::clone(&self.setup.program);
        let mut moved = Vec::new();
        let mut raised = 0;
        let tx = journal.conn().transaction().map_err(fail)?;
        outbox::sent(&tx, &program, &finished).map_err(fail)?;
        for event in &settled {
            let failure = self.failed.remove(event).map(|(row, reason)| {
                let app = program.entity(row.write.entity).app;
                let err = AppError {
                    app: program.app(app).name.clone(),
                    reason,
                    failed: true,
                    read: false,
                };
                (
                    row.write.key,
                    super::redact::refused(&err, self.setup.log_values),
                )
            });
            let failure = failure.as_ref().map(|(k, m)| (k, m.as_str()));
            let settled = outbox::settle_event(&tx, *event, failure).map_err(fail)?;
            self.events.remove(event);
            // Taken over by another server after this one's lease ran out: that one settles it.
            let Some(status) = settled else {
                continue;
            };
            moved.push(status);
            if let Some((key, message)) = failure {
                raised += super::failed_runs::raise(&tx, &program, *event, key.run, message)
                    .map_err(fail)?;
            }
            super::failed_runs::forget(&tx, *event).map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        if let Some(counters) = &self.setup.counters {
            for status in moved {
                counters.moved(EventStatus::Queued, status);
            }
            (0..raised).for_each(|_| counters.accepted());
        }
        Ok(())
    }

    /// Hands every row that may go now to the senders; how long until one may.
    fn dispatch(&mut self) -> Duration {
        let now = Instant::now();
        let mut wake = Duration::from_millis(500);
        let mut soon = |at: Instant| {
            wake = wake.min(
                at.saturating_duration_since(now)
                    .max(Duration::from_millis(1)),
            );
        };
        for app in 0..self.ready.len() {
            if self.ready[app].is_empty() {
                continue;
            }
            if self.paused[app] > now {
                soon(self.paused[app]);
                continue;
            }
            let limit = self.setup.limits.get(app).copied().unwrap_or_default();
            let candidates: Vec<i64> = self.ready[app].iter().copied().collect();
            for id in candidates {
                if self.busy[app] >= limit.at_once.max(1) {
                    break;
                }
                let Some(p) = self.rows.get(&id) else {
                    self.ready[app].remove(&id);
                    continue;
                };
                if p.due > now {
                    soon(p.due);
                    continue;
                }
                if let Some(rate) = limit.per_second.filter(|r| *r > 0.0) {
                    if self.next_start[app] > now {
                        soon(self.next_start[app]);
                        break;
                    }
                    self.next_start[app] = self.next_start[app].max(now - Duration::from_secs(1))
                        + Duration::from_secs_f64(1.0 / rate);
                }
                let write = &p.row.write;
                let record = (write.entity, write.local);
                let app_id = self.ids.get(&record).cloned();
                if write.line.is_none() && app_id.is_none() {
                    let reason = format!(
                        "{} was never created in the app, so its write was not sent",
                        crate::run::apps::RecordRef::new(write.entity, write.local)
                            .show(&self.setup.program)
                    );
                    self.done(id, Sent::Failed(reason));
                    // Recorded, and the rows after it tried, at the next turn, without delay.
                    soon(now);
                    continue;
                }
                let job = (id, write.clone(), app_id);
                self.ready[app].remove(&id);
                if let Some(p) = self.rows.get_mut(&id) {
                    p.flying = true;
                }
                self.busy[app] += 1;
                if self.jobs.send(job).is_err() {
                    return wake;
                }
            }
        }
        wake
    }
}
