//! `weir runs --journal FILE`: what the events in a journal set off, failures first in mind.

use std::path::Path;

use clap::Args;

use crate::serve::journal::{Journal, Listed};
use crate::serve::status::EventStatus;

/// List recent runs in a journal: all of them, the failed ones, or the held ones.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  weir runs --journal weir.db\n  weir runs --journal weir.db --failed\n  weir replay --journal weir.db 12   # run a failed or held event again"
)]
pub struct RunsArgs {
    /// The journal `weir serve` keeps: its file, or its `postgres://` URL.
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
            journal.path()
        );
    }
    let oldest_first: Vec<&Listed> = rows.iter().rev().collect();
    for line in table(&oldest_first) {
        println!("{line}");
    }
    println!(
        "events: {} queued, {} done, {} failed, {} held",
        tally.queued, tally.done, tally.failed, tally.held
    );
    if tally.failed + tally.held > 0 {
        println!(
            "help: run a failed or held event again with `weir replay --journal {} EVENT`",
            journal.path()
        );
    }
    super::SUCCESS
}

/// The runs as lines whose columns line up: each column as wide as its widest cell, so that
/// a long app or workflow name pushes its column out rather than the columns after it.
fn table(rows: &[&Listed]) -> Vec<String> {
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|row| {
            [
                format!("event {}", row.event),
                format!("{} {}/{}", row.kind, row.app, row.entity),
                format!(
                    "run {}",
                    row.run.map_or_else(|| "-".to_string(), |n| n.to_string())
                ),
                row.by.clone(),
            ]
        })
        .collect();
    let mut widths = [0usize; 4];
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    rows.iter()
        .zip(&cells)
        .map(|(row, cells)| {
            let mut line = String::new();
            for (cell, width) in cells.iter().zip(widths) {
                line.push_str(cell);
                line.push_str(&" ".repeat(width - cell.chars().count() + 1));
            }
            line.push_str(&row.status.to_string());
            if let Some(message) = &row.message {
                line.push_str(": ");
                line.push_str(message);
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::status::RunStatus;

    fn listed(event: i64, kind: &str, app: &str, run: Option<u64>, by: &str) -> Listed {
        Listed {
            event,
            app: app.into(),
            entity: "order".into(),
            kind: kind.into(),
            event_status: EventStatus::Done,
            run,
            by: by.into(),
            status: RunStatus::Done,
            message: None,
            at: 0,
        }
    }

    #[test]
    fn columns_line_up_whatever_the_widths_of_names_and_numbers() {
        let rows = [
            listed(7, "new", "Shop", Some(12), "order_to_contact"),
            listed(
                123456,
                "updated",
                "Webshop",
                None,
                "a_workflow_named_at_length",
            ),
            listed(9, "deleted", "S", Some(1234567), "x"),
        ];
        let refs: Vec<&Listed> = rows.iter().collect();
        let lines = table(&refs);
        assert_eq!(
            lines,
            [
                "event 7      new Shop/order        run 12      order_to_contact           done",
                "event 123456 updated Webshop/order run -       a_workflow_named_at_length done",
                "event 9      deleted S/order       run 1234567 x                          done",
            ]
        );
    }
}
