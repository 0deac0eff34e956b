//! Running the polls: a thread of `weir serve` that polls each entity on its interval (the
//! first time at start), and `weir serve --poll-once`, which polls each once, runs what that
//! found, and stops (for tests and cron).
//!
//! The poller offers its events to the committer as the webhook routes do, so they are
//! journaled in the same group commits, run by the same worker, and pass the same loop guard
//! and echo ledger. On a journal several servers share, only one of them polls at a time
//! ([`super::poll_turn`]). A poll that fails (the app is down, answers 500) is said on
//! standard error and tried again at its next interval; its state is left as it was, so
//! nothing is lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::journal::{Accepted, Journal, JournalError, NewEvent};
use super::poll_turn::PollTurn;
use super::polls::{self, Found, Poll, Store};
use super::server::Offer;
use super::worker::Worker;
use crate::program::Program;
use crate::remote::http::Policy;
use crate::remote::rest::HttpApps;

/// How often the poller looks whether it must stop.
const TICK: Duration = Duration::from_millis(100);

/// The connection to the real apps and the polls' state, or why there is none.
fn open(
    program: &Arc<Program>,
    journal: &std::path::Path,
    policy: Policy,
) -> Result<(HttpApps, Store), String> {
    // The worker connected to the same apps a moment before: this fails only if the
    // environment changed in between.
    let apps = HttpApps::new(Arc::clone(program), policy, crate::remote::instance_id()).map_err(
        |err| {
            use crate::diagnostic::Report;
            err.report().message
        },
    )?;
    let store = Store::open(journal).map_err(|err| err.to_string())?;
    Ok((apps, store))
}

/// `weir serve: polled CRM/contact: 1 new, 2 updated, 0 deleted`.
fn said(program: &Program, poll: &Poll, found: &Found) -> String {
    let name = polls::name(program, poll);
    if found.baseline {
        return format!(
            "weir serve: polled {name} for the first time: its records as they are now are the start, no events"
        );
    }
    let count = |kind: &str| found.events.iter().filter(|e| e.kind == kind).count();
    format!(
        "weir serve: polled {name}: {} new, {} updated, {} deleted",
        count("new"),
        count("updated"),
        count("deleted")
    )
}

/// Starts the poller of `weir serve`, if the program polls anything.
pub fn spawn(
    program: Arc<Program>,
    journal: std::path::PathBuf,
    policy: Policy,
    offers: mpsc::SyncSender<Offer>,
    stop: Arc<AtomicBool>,
) -> Option<std::thread::JoinHandle<()>> {
    let all = polls::all(&program);
    if all.is_empty() {
        return None;
    }
    std::thread::Builder::new()
        .name("weir-poller".into())
        .spawn(move || {
            let (apps, mut store) = match open(&program, &journal, policy) {
                Ok(opened) => opened,
                Err(err) => {
                    eprintln!("error: the polls are off: {err}");
                    return;
                }
            };
            let mut offer = |events: &[NewEvent]| offer_all(&offers, events);
            let mut turn = PollTurn::of(&journal);
            let mut due: Vec<Instant> = vec![Instant::now(); all.len()];
            while !stop.load(Ordering::SeqCst) {
                // Polls wait for this server's turn: their times do not move on meanwhile, so
                // a server that takes over polls at once.
                let any_due = due.iter().any(|d| Instant::now() >= *d);
                if any_due && turn.ours() {
                    for (poll, due) in all.iter().zip(due.iter_mut()) {
                        if stop.load(Ordering::SeqCst) || Instant::now() < *due {
                            continue;
                        }
                        *due = Instant::now() + poll.every;
                        poll_now(&program, &apps, &mut store, poll, &mut offer);
                    }
                }
                std::thread::sleep(TICK);
            }
        })
        .ok()
}

/// Polls one entity, and says what it found or why it failed.
fn poll_now(
    program: &Program,
    apps: &HttpApps,
    store: &mut Store,
    poll: &Poll,
    offer: &mut dyn FnMut(&[NewEvent]) -> Result<(), JournalError>,
) {
    match polls::poll_once(program, apps, store, poll, offer) {
        Ok(found) => super::say(format_args!("{}", said(program, poll, &found))),
        Err(err) => eprintln!(
            "error: the poll of {} failed, and is tried again in {}s: {err}",
            polls::name(program, poll),
            poll.every.as_secs()
        ),
    }
}

/// Offers events to the committer and waits until they are journaled.
fn offer_all(offers: &mpsc::SyncSender<Offer>, events: &[NewEvent]) -> Result<(), JournalError> {
    let stopping = || JournalError {
        path: "the journal".into(),
        reason: "weir is stopping".into(),
    };
    let mut waiting = Vec::with_capacity(events.len());
    for event in events {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        offers
            .send(Offer {
                event: event.clone(),
                reply,
            })
            .map_err(|_| stopping())?;
        waiting.push(outcome);
    }
    for outcome in waiting {
        match outcome.blocking_recv() {
            Ok(Ok(_)) => {}
            Ok(Err(reason)) => {
                return Err(JournalError {
                    path: "the journal".into(),
                    reason,
                });
            }
            Err(_) => return Err(stopping()),
        }
    }
    Ok(())
}

/// `weir serve --poll-once`: polls each entity once, journals what changed, runs every queued
/// event, and returns whether every poll was read.
pub fn once(
    program: &Arc<Program>,
    journal_path: &std::path::Path,
    policy: Policy,
    journal: &mut Journal,
    worker: &mut Worker,
    mark: &mut super::marker::Writer,
) -> Result<bool, JournalError> {
    let (apps, mut store) = match open(program, journal_path, policy) {
        Ok(opened) => opened,
        Err(err) => {
            eprintln!("error: the polls are off: {err}");
            return Ok(false);
        }
    };
    let mut all_read = true;
    for poll in polls::all(program) {
        let mut offer = |events: &[NewEvent]| {
            let accepted = journal.accept(events)?;
            let last = accepted
                .iter()
                .filter_map(|a| match a {
                    Accepted::New(id) => Some(*id),
                    Accepted::Duplicate(_) => None,
                })
                .max();
            if let Some(last) = last
                && let Err(err) = mark.accepted(last)
            {
                eprintln!("warning: the journal's marker was not written: {err}");
            }
            Ok(())
        };
        match polls::poll_once(program, &apps, &mut store, &poll, &mut offer) {
            Ok(found) => super::say(format_args!("{}", said(program, &poll, &found))),
            Err(err) => {
                all_read = false;
                eprintln!(
                    "error: the poll of {} failed: {err}",
                    polls::name(program, &poll)
                );
            }
        }
    }
    worker.run_pending()?;
    Ok(all_read)
}
