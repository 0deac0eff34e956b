//! `weir runs --journal FILE`: what the events in a journal set off, failures first in mind.

use std::path::Path;

use clap::Args;

use crate::serve::journal::Journal;
use crate::serve::status::EventStatus;

/// List recent runs in a journal: all of them, the failed ones, or the held ones.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  weir runs --journal weir.db\n  weir runs --journal weir.db --failed\n  weir replay --journal weir.db 12   # run a failed or held event again"
)]
pub struct RunsArgs {
    /// The journal `weir serve` keeps.
    #[arg(long, value_name = "FILE", default_value = "weir.db")]
    journal: String,
    /// Only runs that failed (their events are kept as dead, for `weir replay`).
    #[arg(long, conflicts_with = "held")]
    failed: bool,
    /// Only events the run-time guard held.
    #[arg(long)]
    held: bool,
    /// How many runs to show, newest first.
    #[arg(long, value_name = "N", default_value_t = 50)]
    limit: u32,
    /// One JSON object per line instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: RunsArgs) -> u8 {
    let journal = match Journal::open_existing(Path::new(&args.journal)) {
        Ok(journal) => journal,
        Err(err) => return super::usage_error(err),
    };
    let status = if args.failed {
        Some(EventStatus::Failed)
    } else if args.held {
        Some(EventStatus::Held)
    } else {
        None
    };
    let (rows, tally) = match journal
        .list(status, args.limit)
        .and_then(|rows| Ok((rows, journal.tally()?)))
    {
        Ok(found) => found,
        Err(err) => return super::usage_error(err),
    };
    if args.json {
        for row in &rows {
            println!("{}", crate::serve::listed_json(row));
        }
        return super::SUCCESS;
    }
    if rows.is_empty() {
        println!(
            "no {}runs in `{}`",
            status.map(|s| format!("{s} ")).unwrap_or_default(),
            args.journal
        );
    }
    for row in rows.iter().rev() {
        let run = row.run.map_or_else(|| "-".to_string(), |n| n.to_string());
        let mut line = format!(
            "event {:<5} {} {}/{:<12} run {:<5} {:<20} {}",
            row.event, row.kind, row.app, row.entity, run, row.by, row.status
        );
        if let Some(message) = &row.message {
            line.push_str(": ");
            line.push_str(message);
        }
        println!("{line}");
    }
    println!(
        "events: {} queued, {} done, {} failed, {} held",
        tally.queued, tally.done, tally.failed, tally.held
    );
    if tally.failed + tally.held > 0 {
        println!(
            "help: run a failed or held event again with `weir replay --journal {} EVENT`",
            args.journal
        );
    }
    super::SUCCESS
}
