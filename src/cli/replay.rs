//! `weir replay --journal FILE EVENT`: release a failed or held event and run it again.
//!
//! With a `weir serve` holding the journal's lock, the event is released for it to run; with
//! none, it runs here, with the script, used files and options the journal was served with.
//! That script goes through the one check pipeline: errors of names and types stop the replay
//! (the program would not be sound), loops do not (the server may have been started with
//! `--no-check`, and the run-time guard holds them).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;

use crate::diagnostic::{self, Report};
use crate::load;
use crate::remote::Policy;
use crate::run::Options;
use crate::serve::journal::{Journal, StoredEvent};
use crate::serve::saved::SavedOptions;
use crate::serve::status::EventStatus;
use crate::serve::worker::{StartError, Worker};

/// Run a failed (dead) or held event of a journal again: by the `weir serve` running on it, or
/// here when none is.
#[derive(Args)]
#[command(
    after_help = "A failed event runs again from the start, with the same idempotency keys: writes a real app\nalready confirmed are not sent again. A held event runs the workflow the guard stopped, as a\nnew chain.\n\nExamples:\n  weir runs --journal weir.db --failed\n  weir replay --journal weir.db 12\n  weir replay --journal weir.db --failed   # every failed event, once the app is back"
)]
pub struct ReplayArgs {
    /// The journal `weir serve` keeps: its file, or its `postgres://` URL.
    #[arg(long, value_name = "FILE", default_value = "weir.db")]
    journal: String,
    /// The event's number, as `weir runs` shows it.
    #[arg(required_unless_present_any = ["failed", "held"], conflicts_with_all = ["failed", "held"])]
    event: Option<i64>,
    /// Every failed event of the journal, oldest first (once the app is back).
    #[arg(long, conflicts_with = "held")]
    failed: bool,
    /// Every held event of the journal, oldest first.
    #[arg(long)]
    held: bool,
}

pub fn run(args: ReplayArgs) -> u8 {
    let path = Path::new(&args.journal);
    let journal = match Journal::open_existing(path) {
        Ok(journal) => journal,
        Err(err) => return super::usage_error(err),
    };
    let events = match chosen(&args, &journal) {
        Ok(events) => events,
        Err(code) => return code,
    };
    if events.is_empty() {
        let which = if args.failed { "failed" } else { "held" };
        println!("`{}` has no {which} events", journal.path());
        return super::SUCCESS;
    }
    for event in &events {
        if let Err(err) = journal.request_release(event.id) {
            return super::usage_error(err);
        }
    }
    let mut after = Vec::new();
    if let Some((pid, addr)) = crate::serve::serving(&journal) {
        let ids: Vec<String> = events.iter().map(|e| e.id.to_string()).collect();
        println!(
            "released event{} {}; the `weir serve` on {addr} (process {pid}) runs {}",
            if ids.len() == 1 { "" } else { "s" },
            ids.join(", "),
            if ids.len() == 1 { "it" } else { "them" },
        );
        for event in &events {
            match wait_for(&journal, event) {
                Some(now) => after.push(now),
                None => {
                    println!(
                        "event {} has not finished yet; `weir runs --journal {}` shows it later",
                        event.id,
                        journal.path()
                    );
                    return super::FAILURE;
                }
            }
        }
    } else {
        if let Err(code) = run_here(path, &journal) {
            return code;
        }
        for event in &events {
            match journal.event(event.id) {
                Ok(Some(now)) => after.push(now),
                Ok(None) => return super::FAILURE,
                Err(err) => return super::usage_error(err),
            }
        }
    }
    let mut code = super::SUCCESS;
    for event in after {
        match event.status {
            EventStatus::Done => println!("event {} ran again: done", event.id),
            status => {
                let message = event.message.unwrap_or_default();
                println!("event {} ran again and is {status}: {message}", event.id);
                code = super::FAILURE;
            }
        }
    }
    code
}

/// The events to release: the one named, or every failed or held one.
fn chosen(args: &ReplayArgs, journal: &Journal) -> Result<Vec<StoredEvent>, u8> {
    if args.failed || args.held {
        let status = if args.failed {
            EventStatus::Failed
        } else {
            EventStatus::Held
        };
        return journal.with_status(status).map_err(super::usage_error);
    }
    let id = args.event.unwrap_or_default();
    let event = match journal.event(id) {
        Ok(Some(event)) => event,
        Ok(None) => {
            return Err(super::usage_error(format!(
                "`{}` has no event {id}; `weir runs --journal {}` lists them",
                journal.path(),
                journal.path()
            )));
        }
        Err(err) => return Err(super::usage_error(err)),
    };
    match event.status {
        EventStatus::Failed | EventStatus::Held => Ok(vec![event]),
        EventStatus::Queued => {
            println!("event {id} has not run yet; `weir serve` runs it when it gets to it");
            Err(super::SUCCESS)
        }
        EventStatus::Done => Err(super::usage_error(format!(
            "event {id} is done; only failed and held events are replayed"
        ))),
    }
}

/// Waits (at most a minute) for the serving process to run a released event.
fn wait_for(journal: &Journal, before: &StoredEvent) -> Option<StoredEvent> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut pause = Duration::from_millis(20);
    while Instant::now() < deadline {
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(500));
        let Ok(Some(now)) = journal.event(before.id) else {
            continue;
        };
        if journal.release_pending(before.id).unwrap_or(true) {
            continue;
        }
        // Queued: it ran, and its writes are still being sent.
        if now.finished != before.finished && now.status != EventStatus::Queued {
            return Some(now);
        }
    }
    None
}

/// Runs the released event in this process, with the script the journal was served with.
fn run_here(path: &Path, journal: &Journal) -> Result<(), u8> {
    let meta = |key: &str| journal.meta(key).ok().flatten();
    let (Some(text), Some(name)) = (meta("script"), meta("script_name")) else {
        return Err(super::usage_error(format!(
            "`{}` holds no script; it was not made by `weir serve`",
            path.display()
        )));
    };
    // The files the script used are replayed as they were served, not as they are now.
    let used: Vec<(String, String)> = meta("used_files")
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default();
    let loaded = load::parse_all(std::iter::once((name.clone(), text)).chain(used).collect());
    // The server ran this script, perhaps with `--no-check`: loops may be let through, but
    // never names and types that are wrong.
    let (program, diagnostics) = crate::check::check_all(&loaded);
    let Some(program) = program else {
        diagnostic::emit_to_stderr(&loaded.sources, &diagnostics);
        return Err(super::FAILURE);
    };
    let mut options = Options {
        runs: true,
        ..Options::default()
    };
    let mut policy = Policy::default();
    if let Some(saved) = meta("options").as_deref().and_then(SavedOptions::read) {
        saved.apply(&mut options, &mut policy);
    }
    let mut worker = match Worker::open(path, Arc::new(program), options, policy) {
        Ok(worker) => worker,
        Err(StartError::Apps(err)) => {
            diagnostic::emit_to_stderr(&loaded.sources, &[err.report()]);
            return Err(super::FAILURE);
        }
        Err(StartError::Journal(err)) => return Err(super::usage_error(err)),
    };
    // Kept messages quote values only if the journal was served with `--log-values`.
    worker.set_log_values(meta("log_values").as_deref() == Some("1"));
    worker.run_releases().map_err(super::usage_error)?;
    worker.save_simulator().map_err(super::usage_error)?;
    Ok(())
}
