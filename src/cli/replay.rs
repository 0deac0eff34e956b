//! `weir replay --journal FILE EVENT`: release a failed or held event and run it again.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;

use crate::diagnostic::{self, Report};
use crate::load;
use crate::remote::Policy;
use crate::run::Options;
use crate::serve::journal::{Journal, StoredEvent};
use crate::serve::worker::{StartError, Worker};

/// Run a failed (dead) or held event of a journal again: by the `weir serve` running on it, or
/// here when none is.
#[derive(Args)]
#[command(
    after_help = "A failed event runs again from the start, with the same idempotency keys: writes a real app\nalready confirmed are not sent again. A held event runs the workflow the guard stopped, as a\nnew chain.\n\nExamples:\n  weir runs --journal weir.db --failed\n  weir replay --journal weir.db 12"
)]
pub struct ReplayArgs {
    /// The journal `weir serve` keeps.
    #[arg(long, value_name = "FILE", default_value = "weir.db")]
    journal: String,
    /// The event's number, as `weir runs` shows it.
    event: i64,
}

pub fn run(args: ReplayArgs) -> u8 {
    let path = Path::new(&args.journal);
    let journal = match Journal::open_existing(path) {
        Ok(journal) => journal,
        Err(err) => return super::usage_error(err),
    };
    let event = match journal.event(args.event) {
        Ok(Some(event)) => event,
        Ok(None) => {
            return super::usage_error(format!(
                "`{}` has no event {}; `weir runs --journal {}` lists them",
                args.journal, args.event, args.journal
            ));
        }
        Err(err) => return super::usage_error(err),
    };
    match event.status.as_str() {
        "failed" | "held" => {}
        "queued" => {
            println!(
                "event {} has not run yet; `weir serve` runs it when it gets to it",
                event.id
            );
            return super::SUCCESS;
        }
        other => {
            return super::usage_error(format!(
                "event {} is {other}; only failed and held events are replayed",
                event.id
            ));
        }
    }
    if let Err(err) = journal.request_release(event.id) {
        return super::usage_error(err);
    }
    let after = if let Some((pid, addr)) = crate::serve::serving(&journal) {
        println!(
            "released event {}; the `weir serve` on {addr} (process {pid}) runs it",
            event.id
        );
        match wait_for(&journal, &event) {
            Some(after) => after,
            None => {
                println!(
                    "it has not finished yet; `weir runs --journal {}` shows it later",
                    args.journal
                );
                return super::SUCCESS;
            }
        }
    } else {
        match run_here(path, &journal) {
            Ok(()) => {}
            Err(code) => return code,
        }
        match journal.event(event.id) {
            Ok(Some(after)) => after,
            Ok(None) => return super::FAILURE,
            Err(err) => return super::usage_error(err),
        }
    };
    match after.status.as_str() {
        "done" => {
            println!("event {} ran again: done", after.id);
            super::SUCCESS
        }
        status => {
            let message = after.message.unwrap_or_default();
            println!("event {} ran again and is {status}: {message}", after.id);
            super::FAILURE
        }
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
        if now.finished != before.finished {
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
    let loaded = load::parse_all(vec![(name.clone(), text)]);
    if !loaded.diagnostics.is_empty() {
        diagnostic::emit_to_stderr(&loaded.sources, &loaded.diagnostics);
        return Err(super::FAILURE);
    }
    let checked = crate::check::check(&loaded.scripts, &loaded.sources);
    let mut options = Options {
        runs: true,
        ..Options::default()
    };
    let mut policy = Policy::default();
    if let Some(saved) = meta("options") {
        let numbers: Vec<u64> = saved.split(' ').filter_map(|n| n.parse().ok()).collect();
        if let [hops, runs, timeout_ms, retries, backoff_ms] = numbers[..] {
            options.max_hops = u32::try_from(hops).unwrap_or(8);
            options.max_runs = runs;
            policy.timeout = Duration::from_millis(timeout_ms);
            policy.retries = u32::try_from(retries).unwrap_or(4);
            policy.backoff = Duration::from_millis(backoff_ms);
        }
    }
    let mut worker = match Worker::open(path, Arc::new(checked.program), options, policy) {
        Ok(worker) => worker,
        Err(StartError::Apps(err)) => {
            diagnostic::emit_to_stderr(&loaded.sources, &[err.report()]);
            return Err(super::FAILURE);
        }
        Err(StartError::Journal(err)) => return Err(super::usage_error(err)),
    };
    worker.run_releases().map_err(super::usage_error)?;
    worker.save_simulator().map_err(super::usage_error)?;
    Ok(())
}
