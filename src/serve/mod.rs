//! `weir serve`: webhooks in, a durable journal, and a worker that runs the events.
//!
//! ```text
//! weir serve shop.weir --listen 127.0.0.1:8080 --journal weir.db --secret-env WEIR_SECRET
//!     # accepted: every event is on disk before its 202, and runs once
//! weir serve shop.weir --listen 127.0.0.1:8080 --secret-env WEIR_SECRET   # with it unset
//!     # rejected at startup: the secret's variable is named, nothing listens
//! ```
//!
//! Four parts, each on its own thread: the HTTP server ([`server`] on [`listen`], tokio) reads
//! and checks requests; the committer writes accepted events to the [`journal`] in groups, one
//! sync per group, before their requests answer; the [`worker`] runs the journal's queued
//! events through the engine, which is synchronous, planning their writes to real apps into
//! the [`outbox`]; the [`sender`] sends those concurrently, in order per record, within each
//! app's limits. On SIGTERM or Ctrl-C the server stops accepting, answers the requests in
//! flight, the committer writes what it has, the worker stops after the event it is running and
//! the sender at once; what is still queued or unsent goes at the next start. A part that
//! panics marks weir broken: `/health` answers 503 and `weir serve` stops with an error.
//!
//! Before any of that, the journal is checked against its [`marker`]: a journal damaged, reset
//! or cut short stops the start unless `--accept-damaged-journal` says to go on. While it runs,
//! `weir serve` holds a lock on `FILE.lock` beside its journal: a second server on the same
//! journal is refused, and `weir replay` knows by it that a server will run what it releases.
//! A journal on PostgreSQL is shared by any number of servers instead, each holding a share of
//! a session advisory lock ([`db::postgres`]) and running the events it claims ([`cluster`],
//! [`claims`], [`shared`]); one of them at a time polls the apps ([`poll_turn`]).
//! Statuses are [`status`] types, and the options served with are kept as [`saved`] JSON.
//! [`schemes`] checks the signatures of real providers' webhooks (GitHub, Stripe, Slack, a
//! plain HMAC) and [`envelope`] finds the kind, record and event id in their payloads: the parts
//! a provider route is built from (no route takes provider webhooks yet).

pub mod claims;
pub mod cluster;
pub mod db;
pub mod envelope;
pub mod failed_runs;
pub mod forms;
pub mod granted;
pub mod hooks;
pub mod journal;
pub mod limits_seen;
pub mod listen;
pub mod marker;
pub mod outbox;
pub mod poll_turn;
pub mod poller;
pub mod polls;
pub mod provider;
pub mod recording;
pub mod redact;
pub mod runs;
pub mod saved;
pub mod schedules;
pub mod schemes;
pub mod sender;
pub mod server;
pub mod shared;
pub mod signing;
pub mod status;
pub mod timers;
pub mod waits;
pub mod webhook;
pub mod worker;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use journal::{Journal, Listed};
use server::{Offer, Shared};
use status::EventStatus;
use worker::{StartError, Worker};

use crate::remote::deferred::Waiting;

use crate::program::Program;
use crate::remote::Policy;
use crate::run::Options;

/// How `weir serve` runs.
pub struct Config {
    pub listen: String,
    pub journal: PathBuf,
    pub secret: Option<Vec<u8>>,
    /// How far a signature's timestamp may be from the clock.
    pub tolerance: Duration,
    /// The token `GET /runs` and the counts of `GET /health` need.
    pub read_token: Option<Vec<u8>>,
    /// Whether kept messages may quote record values.
    pub log_values: bool,
    /// Serve on a journal its marker says is damaged or reset.
    pub accept_damaged: bool,
    pub options: Options,
    pub policy: Policy,
    pub script_name: String,
    pub script_text: String,
    /// The files the script reads with `use`, by name, as they were when it was served.
    pub used_files: Vec<(String, String)>,
    pub notifier: Option<crate::remote::notify::Notifier>,
    /// Each app's limits (by app, in the script's order), where the script or the command
    /// line set them; the others get [`sender::Limit::default`].
    pub limits: Vec<Option<sender::Limit>>,
    /// Past this many events queued, new ones are answered 503 (`--max-queued`).
    pub max_queued: u64,
    /// `--poll-once`: fire the schedules due, poll each polled entity once, run what that
    /// queued, and stop.
    pub poll_once: bool,
}

/// Why `weir serve` could not run.
#[derive(Debug)]
pub enum ServeError {
    Start(StartError),
    Journal(journal::JournalError),
    Listen {
        addr: String,
        reason: String,
    },
    /// The journal is damaged or was reset (`--accept-damaged-journal` serves anyway).
    Damaged(marker::Damage),
    Runtime(String),
}

impl From<journal::JournalError> for ServeError {
    fn from(err: journal::JournalError) -> ServeError {
        ServeError::Journal(err)
    }
}

/// A run listed, as JSON (`GET /runs`, `weir runs --format json`).
pub fn listed_json(row: &Listed) -> Json {
    json!({
        "event": row.event,
        "app": row.app,
        "entity": row.entity,
        "kind": row.kind,
        "event_status": row.event_status.as_str(),
        "run": row.run,
        "by": row.by,
        "status": row.status.as_str(),
        "message": row.message,
        "at": row.at,
    })
}

/// Something that waits for the clock in a journal: a record timer planned, or a run waiting.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockWait {
    /// `timer` or `wait`.
    pub kind: &'static str,
    pub workflow: String,
    /// The timer's record (`Clinic/appointment/3`), or the waiting run's number.
    pub record: Option<String>,
    pub run: Option<u64>,
    /// When it is due, in seconds.
    pub due: i64,
}

impl ClockWait {
    pub fn json(&self) -> Json {
        let mut json = json!({
            "waiting": self.kind,
            "workflow": self.workflow,
            "due": crate::value::format_rfc3339(self.due),
        });
        match (&self.record, self.run) {
            (Some(record), _) => json["record"] = json!(record),
            (None, Some(run)) => json["run"] = json!(run),
            (None, None) => {}
        }
        json
    }
}

/// What waits for the clock in a journal, the first due first (at the same time, timers before
/// runs): for `weir runs` and `GET /runs`.
pub fn clock_waits(journal: &Journal) -> Result<Vec<ClockWait>, journal::JournalError> {
    let fail = |e: db::DbError| journal.fail(e);
    let timers = timers::planned(journal).map_err(fail)?;
    let waits = waits::pending(journal).map_err(fail)?;
    Ok(clock_order(timers, waits))
}

/// Timers `(workflow, record, due)` and waits `(workflow, run, due)`, the first due first.
pub fn clock_order(
    timers: Vec<(String, String, i64)>,
    waits: Vec<(String, u64, i64)>,
) -> Vec<ClockWait> {
    let timers = timers.into_iter().map(|(workflow, record, due)| ClockWait {
        kind: "timer",
        workflow,
        record: Some(record),
        run: None,
        due,
    });
    let waits = waits.into_iter().map(|(workflow, run, due)| ClockWait {
        kind: "wait",
        workflow,
        record: None,
        run: Some(run),
        due,
    });
    let mut all: Vec<ClockWait> = timers.chain(waits).collect();
    // Stable: at the same time, timers before runs.
    all.sort_by_key(|w| w.due);
    all
}

/// How many events are in each state, kept as events are accepted and finish, so that
/// `GET /health` reads no table.
#[derive(Debug, Default)]
pub struct Counters {
    queued: AtomicU64,
    done: AtomicU64,
    failed: AtomicU64,
    held: AtomicU64,
}

impl Counters {
    pub fn new(tally: journal::Tally) -> Counters {
        Counters {
            queued: AtomicU64::new(tally.queued),
            done: AtomicU64::new(tally.done),
            failed: AtomicU64::new(tally.failed),
            held: AtomicU64::new(tally.held),
        }
    }

    fn of(&self, status: EventStatus) -> &AtomicU64 {
        match status {
            EventStatus::Queued => &self.queued,
            EventStatus::Done => &self.done,
            EventStatus::Failed => &self.failed,
            EventStatus::Held => &self.held,
        }
    }

    /// An event went from one state to another.
    pub fn moved(&self, from: EventStatus, to: EventStatus) {
        // May wrap below zero for a moment: the committer counts an event just after the
        // journal has it, and the worker may finish it in between.
        self.of(from).fetch_sub(1, Ordering::Relaxed);
        self.of(to).fetch_add(1, Ordering::Relaxed);
    }

    /// The counts as the journal has them (several servers share it: each counts what the
    /// others did too, [`cluster`]).
    pub fn set(&self, tally: &journal::Tally) {
        self.queued.store(tally.queued, Ordering::Relaxed);
        self.done.store(tally.done, Ordering::Relaxed);
        self.failed.store(tally.failed, Ordering::Relaxed);
        self.held.store(tally.held, Ordering::Relaxed);
    }

    pub fn accepted(&self) {
        self.queued.fetch_add(1, Ordering::Relaxed);
    }

    pub fn tally(&self) -> journal::Tally {
        let count = |c: &AtomicU64| {
            let n = c.load(Ordering::Relaxed);
            if n > i64::MAX as u64 { 0 } else { n }
        };
        journal::Tally {
            queued: count(&self.queued),
            done: count(&self.done),
            failed: count(&self.failed),
            held: count(&self.held),
        }
    }
}

/// The most events one commit takes (many more than arrive while one sync lasts).
const GROUP: usize = 1024;

/// Events read and checked, waiting for the committer: past this, 503 with `Retry-After`.
const INTAKE: usize = 8 * GROUP;

/// Takes offers and writes them in groups: each group is one transaction and one sync, and
/// its requests are answered only after it.
fn committer(
    mut journal: Journal,
    offers: mpsc::Receiver<Offer>,
    wake: mpsc::Sender<()>,
    counters: Arc<Counters>,
    mut mark: marker::Writer,
) {
    let mut batch: Vec<Offer> = Vec::with_capacity(GROUP);
    while let Ok(first) = offers.recv() {
        batch.push(first);
        while batch.len() < GROUP {
            match offers.try_recv() {
                Ok(offer) => batch.push(offer),
                Err(_) => break,
            }
        }
        let (events, replies): (Vec<_>, Vec<_>) =
            batch.drain(..).map(|o| (o.event, o.reply)).unzip();
        match journal.accept(&events) {
            Ok(results) => {
                // Counted at once: the worker may already be running these events.
                let mut last = None;
                for result in &results {
                    if let journal::Accepted::New(id) = result {
                        counters.accepted();
                        last = last.max(Some(*id));
                    }
                }
                // The marker before any 202: a journal that loses an acknowledged event is
                // noticed at the next start.
                if let Some(last) = last
                    && let Err(err) = mark.accepted(last)
                {
                    eprintln!("warning: the journal's marker was not written: {err}");
                }
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(Ok(result));
                }
                let _ = wake.send(());
            }
            Err(err) => {
                eprintln!("error: {err}");
                for reply in replies {
                    let _ = reply.send(Err(err.reason.clone()));
                }
            }
        }
    }
}

/// The most writes planned and not yet sent before the worker waits to plan more.
const BACKLOG: usize = 50_000;

/// Runs queued events as they come, until told to stop.
fn work(mut worker: Worker, wake: mpsc::Receiver<()>, stop: Arc<AtomicBool>) -> Result<(), String> {
    let worked = if worker.journal().conn().is_postgres() {
        // Shared with other servers: the events this one claims.
        cluster::drain(&mut worker, &wake, &stop)
    } else {
        drain(&mut worker, wake, &stop);
        Ok(())
    };
    // What is not sent stays in the outbox for the next start.
    if let Some(outbox) = worker.take_outbox() {
        outbox.stop();
    }
    worked
}

fn drain(worker: &mut Worker, wake: mpsc::Receiver<()>, stop: &AtomicBool) {
    let report = |err: journal::JournalError| eprintln!("error: {err}");
    if let Err(err) = worker.run_pending() {
        report(err);
    }
    let mut budget_since = Instant::now();
    let mut last = 0i64;
    loop {
        if budget_since.elapsed() >= Duration::from_secs(60) {
            worker.renew_budget();
            budget_since = Instant::now();
        }
        let woken = wake.recv_timeout(Duration::from_millis(250));
        while wake.try_recv().is_ok() {}
        if stop.load(Ordering::SeqCst) {
            break;
        }
        loop {
            let queued = match worker.journal().queued_after(last, 256) {
                Ok(queued) => queued,
                Err(err) => {
                    report(err);
                    break;
                }
            };
            if queued.is_empty() {
                break;
            }
            // Writes not sent are bounded: a slow app slows the runs rather than fill memory.
            while worker.backlog() > BACKLOG && !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
            }
            // Recorded in groups, one transaction each: a later run that reads a real app
            // records the group before it first (`Waiting::flush`), so that it waits for the
            // group's writes too.
            for event in &queued {
                let finished = worker.run(event, false);
                worker.hold(finished);
                last = event.id;
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                if worker.writing() >= worker::GROUP
                    && let Err(err) = worker.commit(&[])
                {
                    report(err);
                }
            }
            if let Err(err) = worker.commit(&[]) {
                report(err);
            }
            if stop.load(Ordering::SeqCst) {
                break;
            }
        }
        if let Err(err) = worker.run_releases() {
            report(err);
        }
        if matches!(woken, Err(mpsc::RecvTimeoutError::Disconnected)) {
            break;
        }
    }
    if let Err(err) = worker.save_simulator() {
        report(err);
    }
}

/// Serves until SIGTERM or Ctrl-C: the start (lock, marker, journal, worker, sender), then the
/// four parts on their threads, then the stop, each step in a function of its own below.
pub fn serve(mut config: Config, program: Arc<Program>) -> Result<(), ServeError> {
    if let Some(url) = db::postgres::url_of(&config.journal) {
        // Every connection of this server carries its name, which its claims are held under.
        config.journal = PathBuf::from(cluster::named(url, &cluster::name()));
        if let Some(warning) = cluster::simulated_apps(&program) {
            eprintln!("{warning}");
        }
        // Held, with the other servers', until this function returns; PostgreSQL lets it go
        // when the session ends.
        let _serving = db::postgres::hold_serving(&config.journal)?;
        return serve_held(config, program);
    }
    let mut lock = open_lock(&config.journal)
        .map_err(|e| lock_failed(&config.journal, e.to_string().to_lowercase()))?;
    // Held until this function returns; the system lets it go however the process ends.
    let _serving = lock.try_write().map_err(|_| {
        lock_failed(
            &config.journal,
            "another `weir serve` is running on this journal; stop it first".into(),
        )
    })?;
    check_marker(&config)?;
    serve_held(config, program)
}

/// Serves, the journal held by this server.
fn serve_held(mut config: Config, program: Arc<Program>) -> Result<(), ServeError> {
    let reads = reads(&config)?;
    let (hook_secrets, warnings) = provider::Secrets::read(&program);
    for warning in warnings {
        eprintln!("{warning}");
    }
    let accept = Journal::open(&config.journal, true)?;
    keep_script(&accept, &config)?;
    let reader = Journal::open(&config.journal, false)?;
    let mut worker = open_worker(&mut config, &program, &accept)?;
    let mark = write_marker(&accept, &config.journal)?;
    let counters = Arc::new(Counters::new(accept.tally()?));
    worker.set_counters(Arc::clone(&counters));
    if config.poll_once {
        return poll_once(
            &program,
            &config.journal,
            config.policy,
            accept,
            worker,
            mark,
        );
    }
    let waiting = Arc::new(Waiting::default());
    let broken = Arc::new(AtomicBool::new(false));
    start_sender(&mut worker, &config, &program, &waiting, &counters, &broken)?;
    let runtime = runtime()?;
    let (listener, addr) = bind(&runtime, &config)?;
    accept.set_meta("serving", &format!("{} {addr}", std::process::id()))?;

    let stop = Arc::new(AtomicBool::new(false));
    let (offers, parts) = start_parts((accept, mark), worker, &counters, &stop, &broken)?;

    let (poll_program, poll_offers) = (Arc::clone(&program), offers.clone());
    let shared = Shared {
        program,
        offers,
        secret: config
            .secret
            .as_ref()
            .map(|s| Arc::new(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, s))),
        tolerance: config.tolerance,
        reads,
        reader: Arc::new(Mutex::new(reader)),
        counters,
        max_queued: config.max_queued,
        bodies: Arc::new(tokio::sync::Semaphore::new(server::BODIES_IN_FLIGHT)),
        broken: Arc::clone(&broken),
        hook_secrets,
    };
    // The handlers are in place before the line that says weir listens, so that a stop sent
    // as soon as it is read is not missed.
    let stopped = {
        let _inside = runtime.enter();
        shutdown_signal()
    };
    say_listening(&config, &addr, &shared.program);
    // After the line that says weir listens, so that it stays the first line.
    let threads = spawn_clocks(
        (poll_program, poll_offers),
        &config,
        Arc::clone(&shared.counters),
        &stop,
    );
    let app = server::router(shared);
    let until = stop_when(stopped, &stop, &waiting, &broken);
    runtime.block_on(listen::serve(listener, app, until));
    stop.store(true, Ordering::SeqCst);
    waiting.stop();
    drop(runtime);
    for part in threads.into_iter().chain(parts) {
        let _ = part.join();
    }
    stopped_with(&config.journal, &broken)
}

/// The threads that run on time: the poller and the schedules, each if the program has any.
fn spawn_clocks(
    (program, offers): (Arc<Program>, mpsc::SyncSender<Offer>),
    config: &Config,
    counters: Arc<Counters>,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    let ticks = schedules::spawn(
        Arc::clone(&program),
        config.journal.clone(),
        counters,
        Arc::clone(stop),
    );
    let poller = poller::spawn(
        program,
        config.journal.clone(),
        config.policy,
        offers,
        Arc::clone(stop),
    );
    poller.into_iter().chain(ticks).collect()
}

/// The lock beside the journal could not be had.
fn lock_failed(journal: &Path, reason: String) -> ServeError {
    ServeError::Journal(journal::JournalError {
        path: lock_path(journal).display().to_string(),
        reason,
    })
}

/// The journal against its marker: damage stops the start unless `--accept-damaged-journal`.
fn check_marker(config: &Config) -> Result<(), ServeError> {
    if let Err(damage) = marker::check(&config.journal) {
        if !config.accept_damaged {
            return Err(ServeError::Damaged(damage));
        }
        eprintln!(
            "warning: {damage}; serving anyway (--accept-damaged-journal): events that are missing will not run, and writes of runs that ran before may be sent again"
        );
    }
    Ok(())
}

/// The script, the files it uses and the options, kept in the journal for `weir replay`.
fn keep_script(accept: &Journal, config: &Config) -> Result<(), ServeError> {
    accept.set_meta("script", &config.script_text)?;
    accept.set_meta("script_name", &config.script_name)?;
    accept.set_meta(
        "used_files",
        &serde_json::json!(config.used_files).to_string(),
    )?;
    let saved = saved::SavedOptions::new(&config.options, &config.policy);
    accept.set_meta("options", &saved.to_json())?;
    Ok(())
}

/// A new marker for the journal as it is now.
fn write_marker(accept: &Journal, path: &Path) -> Result<marker::Writer, ServeError> {
    let mark = marker::Marker {
        instance: accept.meta("instance")?.unwrap_or_default(),
        events: accept.last_event()?,
    };
    if db::postgres::url_of(path).is_some() {
        // PostgreSQL keeps its own commits; the marker guards a file that can be lost.
        return Ok(marker::Writer::none(mark));
    }
    marker::Writer::create(path, mark).map_err(|err| {
        ServeError::Journal(journal::JournalError {
            path: marker::path_of(path).display().to_string(),
            reason: err.to_string().to_lowercase(),
        })
    })
}

/// `--poll-once`: the schedules due fired, each polled entity once, what that found run, and
/// a line of counts.
fn poll_once(
    program: &Arc<Program>,
    path: &Path,
    policy: Policy,
    mut accept: Journal,
    mut worker: Worker,
    mut mark: marker::Writer,
) -> Result<(), ServeError> {
    schedules::fire_due(program, &accept)?;
    let read = poller::once(program, path, policy, &mut accept, &mut worker, &mut mark)?;
    let tally = accept.tally()?;
    say(format_args!(
        "weir serve: polled once; {} events queued, {} failed, {} held",
        tally.queued, tally.failed, tally.held
    ));
    if read {
        Ok(())
    } else {
        Err(ServeError::Runtime(
            "a poll could not read its app; its state is as it was, so the next poll takes its changes".into(),
        ))
    }
}

/// The worker, with its journal and the real apps open: a problem with them stops the start.
fn open_worker(
    config: &mut Config,
    program: &Arc<Program>,
    accept: &Journal,
) -> Result<Worker, ServeError> {
    let mut worker = Worker::open(
        &config.journal,
        Arc::clone(program),
        config.options,
        config.policy,
    )
    .map_err(ServeError::Start)?;
    if let Some(notifier) = config.notifier.take() {
        worker.set_notifier(notifier);
    }
    worker.set_log_values(config.log_values);
    accept.set_meta("log_values", if config.log_values { "1" } else { "0" })?;
    Ok(worker)
}

/// When the script writes to real apps, the sender on its thread: the worker plans the
/// writes, the sender sends them within each app's limits.
fn start_sender(
    worker: &mut Worker,
    config: &Config,
    program: &Arc<Program>,
    waiting: &Arc<Waiting>,
    counters: &Arc<Counters>,
    broken: &Arc<AtomicBool>,
) -> Result<(), ServeError> {
    let Some(sender) = worker.write_sender() else {
        return Ok(());
    };
    worker.defer_writes(Arc::clone(waiting))?;
    // Each app's limits, in the script's order: those set, else the default.
    let limits = config
        .limits
        .iter()
        .map(|l| l.unwrap_or_default())
        .chain(std::iter::repeat(sender::Limit::default()))
        .take(program.apps.len())
        .collect();
    let setup = sender::Setup {
        journal: Journal::open(&config.journal, false)?,
        program: Arc::clone(program),
        sender,
        limits,
        waiting: Arc::clone(waiting),
        counters: Some(Arc::clone(counters)),
        log_values: config.log_values,
        broken: Arc::clone(broken),
    };
    worker.set_outbox(sender::Outbox::start(setup)?);
    Ok(())
}

/// The listening socket and its address, with a warning when it is open beyond this machine
/// and unsigned.
fn bind(
    runtime: &tokio::runtime::Runtime,
    config: &Config,
) -> Result<(tokio::net::TcpListener, String), ServeError> {
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(&config.listen))
        .map_err(|e| ServeError::Listen {
            addr: config.listen.clone(),
            reason: e.to_string().to_lowercase(),
        })?;
    let local = listener.local_addr().ok();
    let addr = local.map_or_else(|| config.listen.clone(), |a| a.to_string());
    if let Some(warning) = local.and_then(|a| exposed(a, config.secret.is_some())) {
        eprintln!("{warning}");
    }
    Ok((listener, addr))
}

fn runtime() -> Result<tokio::runtime::Runtime, ServeError> {
    tokio::runtime::Builder::new_multi_thread()
        // The committer and the worker have threads of their own.
        .worker_threads(
            std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1)),
        )
        .enable_all()
        .build()
        .map_err(|e| ServeError::Runtime(e.to_string()))
}

/// The committer and the worker on their threads, and where the server offers them events.
fn start_parts(
    (accept, mark): (Journal, marker::Writer),
    worker: Worker,
    counters: &Arc<Counters>,
    stop: &Arc<AtomicBool>,
    broken: &Arc<AtomicBool>,
) -> Result<(mpsc::SyncSender<Offer>, [std::thread::JoinHandle<()>; 2]), ServeError> {
    // Bounded: past it, requests are answered 503 with `Retry-After` rather than queued.
    let (offers, offered) = mpsc::sync_channel::<Offer>(INTAKE);
    let (wake, woken) = mpsc::channel::<()>();
    let committer = spawn_part("weir-committer", "the committer", broken, {
        let counters = Arc::clone(counters);
        move || {
            committer(accept, offered, wake, counters, mark);
            Ok(())
        }
    })?;
    let worker = spawn_part("weir-worker", "the worker", broken, {
        let stop = Arc::clone(stop);
        move || work(worker, woken, stop)
    })?;
    Ok((offers, [committer, worker]))
}

/// A part of weir on a thread of its own, [`supervised`].
fn spawn_part(
    thread: &str,
    name: &'static str,
    broken: &Arc<AtomicBool>,
    part: impl FnOnce() -> Result<(), String> + Send + 'static,
) -> Result<std::thread::JoinHandle<()>, ServeError> {
    let broken = Arc::clone(broken);
    std::thread::Builder::new()
        .name(thread.into())
        .spawn(move || supervised(name, &broken, part))
        .map_err(|e| ServeError::Runtime(e.to_string()))
}

/// The first line on standard output: where weir listens and how requests are secured.
fn say_listening(config: &Config, addr: &str, program: &Program) {
    let secured = if config.secret.is_some() {
        "signed with the secret"
    } else {
        "unsigned (no --secret-env)"
    };
    let readers = match (&config.read_token, &config.secret) {
        (Some(_), _) => "runs read with the token",
        (None, Some(_)) => "runs not read over HTTP (no --read-token-env)",
        (None, None) => "runs open to read",
    };
    let providers = provider::listed(program);
    say(format_args!(
        "weir serve: listening on http://{addr}, journal {}, /events webhooks {secured}, {readers}{providers}",
        db::name_of(&config.journal)
    ));
}

/// Resolves at a stop signal, or when a part of weir broke, and tells the others to stop.
fn stop_when(
    stopped: impl std::future::Future<Output = ()>,
    stop: &Arc<AtomicBool>,
    waiting: &Arc<Waiting>,
    broken: &Arc<AtomicBool>,
) -> impl std::future::Future<Output = ()> {
    let (stop, waiting, watched) = (Arc::clone(stop), Arc::clone(waiting), Arc::clone(broken));
    async move {
        // A part of weir that stopped stops all of it, so that no request is answered 202 for
        // an event that will not run.
        let broke = async {
            while !watched.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        tokio::select! {
            () = stopped => {}
            () = broke => {}
        }
        stop.store(true, Ordering::SeqCst);
        // A read waiting for writes to be sent gives up: weir stops within seconds.
        waiting.stop();
    }
}

/// The last line on standard output, once every part has stopped; an error if one broke.
fn stopped_with(path: &Path, broken: &AtomicBool) -> Result<(), ServeError> {
    let journal = Journal::open(path, true)?;
    let _ = journal.set_meta("serving", "");
    let tally = journal.tally()?;
    say(format_args!(
        "weir serve: stopped; {} events queued for the next start, {} failed, {} held",
        tally.queued, tally.failed, tally.held
    ));
    if broken.load(Ordering::SeqCst) {
        return Err(ServeError::Runtime(
            "a part of weir that runs events stopped (see above); what is queued runs at the next start".into(),
        ));
    }
    Ok(())
}

/// Runs a part of weir; if it cannot go on (it says why) or panics, says so and marks weir
/// broken, which stops it.
fn supervised(name: &str, broken: &AtomicBool, part: impl FnOnce() -> Result<(), String>) {
    let why = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(part)) {
        Ok(Ok(())) => return,
        Ok(Err(why)) => why,
        Err(panic) => panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default(),
    };
    eprintln!("error: {name} of `weir serve` stopped: {why}");
    broken.store(true, Ordering::SeqCst);
}

/// The warning for an address beyond this machine without a secret.
fn exposed(addr: std::net::SocketAddr, signed: bool) -> Option<String> {
    (!signed && !addr.ip().is_loopback()).then(|| {
        format!(
            "warning: `weir serve` listens on {addr}, beyond this machine, with no webhook secret: anyone who reaches it can send events and read runs; set `--secret-env NAME` and `--read-token-env NAME`, or listen on 127.0.0.1"
        )
    })
}

/// Who may read runs: with a token, its holders; with a secret and no token, no one; else all.
fn reads(config: &Config) -> Result<server::Reads, ServeError> {
    Ok(match (&config.read_token, &config.secret) {
        (Some(token), _) => server::Reads::Token(Arc::new(
            server::ReadToken::new(token)
                .ok_or_else(|| ServeError::Runtime("no random numbers for a key".into()))?,
        )),
        (None, Some(_)) => server::Reads::Closed,
        (None, None) => server::Reads::Open,
    })
}

/// A line on standard output, flushed; a closed output is no reason to stop serving.
fn say(line: std::fmt::Arguments) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// SIGTERM or Ctrl-C, with their handlers installed now (inside the runtime) rather than
/// when the returned future is first polled.
#[cfg(unix)]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    async fn received(signal: Option<Signal>) {
        match signal {
            Some(mut s) => {
                s.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    }
    let terminate = signal(SignalKind::terminate()).ok();
    let interrupt = signal(SignalKind::interrupt()).ok();
    async move {
        tokio::select! {
            _ = received(terminate) => {},
            _ = received(interrupt) => {},
        }
    }
}

#[cfg(not(unix))]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The lock file beside a journal (`weir.db.lock`): a running `weir serve` holds it.
pub fn lock_path(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn open_lock(journal: &Path) -> std::io::Result<fd_lock::RwLock<std::fs::File>> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(journal))?;
    Ok(fd_lock::RwLock::new(file))
}

/// Whether a `weir serve` is running on a journal now (it holds the journal's lock file): its
/// process id and address, as it wrote them once it listened.
pub fn serving(journal: &Journal) -> Option<(u32, String)> {
    if journal.conn().is_postgres() {
        if !db::postgres::someone_serving(journal.conn()).ok()? {
            return None;
        }
    } else {
        let mut lock = open_lock(journal.location()).ok()?;
        if lock.try_write().is_ok() {
            return None;
        }
    }
    let value = journal.meta("serving").ok()??;
    let (pid, addr) = value.split_once(' ')?;
    Some((pid.parse().ok()?, addr.to_string()))
}

#[cfg(test)]
mod tests {
    use super::exposed;

    #[test]
    fn a_server_is_told_by_the_lock_it_holds_not_by_what_it_wrote() {
        let dir = std::env::temp_dir().join(format!("weir-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("weir.db");
        let journal = super::Journal::open(&path, false).unwrap();
        journal.set_meta("serving", "4242 127.0.0.1:8080").unwrap();
        // Written by a server that is gone: no one holds the lock.
        assert_eq!(super::serving(&journal), None);
        let mut lock = super::open_lock(&path).unwrap();
        let held = lock.try_write().unwrap();
        assert_eq!(
            super::serving(&journal),
            Some((4242, "127.0.0.1:8080".to_string()))
        );
        drop(held);
        assert_eq!(super::serving(&journal), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_event_finished_before_it_is_counted_is_not_lost_from_the_counts() {
        let counters = super::Counters::default();
        counters.moved(super::EventStatus::Queued, super::EventStatus::Done);
        assert_eq!(counters.tally().queued, 0);
        counters.accepted();
        let tally = counters.tally();
        assert_eq!((tally.queued, tally.done), (0, 1));
    }

    #[test]
    fn an_open_address_without_a_secret_is_warned_of() {
        let all = "0.0.0.0:8080".parse().unwrap();
        let warning = exposed(all, false).unwrap();
        assert!(
            warning
                .contains("listens on 0.0.0.0:8080, beyond this machine, with no webhook secret")
        );
        assert_eq!(exposed(all, true), None);
        assert_eq!(exposed("127.0.0.1:8080".parse().unwrap(), false), None);
        assert_eq!(exposed("[::1]:8080".parse().unwrap(), false), None);
        assert!(exposed("192.168.1.4:8080".parse().unwrap(), false).is_some());
    }
}
