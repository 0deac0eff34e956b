//! `weir runs --journal FILE`: what the events in a journal set off, failures first in mind.

use std::path::Path;

use clap::Args;

use crate::serve::ClockWait;
use crate::serve::journal::{Journal, Listed};
use crate::serve::status::EventStatus;

/// List recent runs in a journal (all, the failed or the held ones), then the timers and waits
/// still to fire, with their times (with `--json`, one object each, `"waiting": "timer"` or
/// `"wait"`).
#[derive(Args)]
#[command(
    after_help = "Without --failed or --held, the list ends with what waits for the clock: each record timer planned (`timer WORKFLOW RECORD at TIME`) and each run waiting (`wait WORKFLOW run N at TIME`), the first due first.\n\nExamples:\n  weir runs --journal weir.db\n  weir runs --journal weir.db --failed\n  weir replay --journal weir.db 12   # run a failed or held event again"
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
    let waits = match status {
        None => match crate::serve::clock_waits(&journal) {
            Ok(waits) => waits,
            Err(err) => return super::usage_error(err),
        },
        Some(_) => Vec::new(),
    };
    if args.json {
        for row in &rows {
            println!("{}", crate::serve::listed_json(row));
        }
        for wait in &waits {
            println!("{}", wait.json());
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
    for line in waiting_lines(&waits) {
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

/// What waits for the clock, the first due first, lined up as the runs are.
fn waiting_lines(waits: &[ClockWait]) -> Vec<String> {
    let cells: Vec<[String; 4]> = waits
        .iter()
        .map(|w| {
            let what = match (&w.record, w.run) {
                (Some(record), _) => record.clone(),
                (None, run) => format!("run {}", run.unwrap_or_default()),
            };
            [w.kind.to_string(), w.workflow.clone(), what, at(w.due)]
        })
        .collect();
    let mut lines = aligned(&cells);
    if !lines.is_empty() {
        lines.insert(0, format!("waiting for the clock: {}", lines.len()));
    }
    lines
        .into_iter()
        .map(|l| l.trim_end().to_string())
        .collect()
}

fn at(due: i64) -> String {
    format!("at {}", crate::value::format_rfc3339(due))
}

/// Cells as lines whose columns line up, each column as wide as its widest cell and followed by
/// a space.
fn aligned<const N: usize>(cells: &[[String; N]]) -> Vec<String> {
    let mut widths = [0usize; N];
    for row in cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    cells
        .iter()
        .map(|cells| {
            let mut line = String::new();
            for (cell, width) in cells.iter().zip(widths) {
                line.push_str(cell);
                line.push_str(&" ".repeat(width - cell.chars().count() + 1));
            }
            line
        })
        .collect()
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
    rows.iter()
        .zip(aligned(&cells))
        .map(|(row, mut line)| {
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

    #[test]
    fn what_waits_for_the_clock_is_listed_first_due_first_in_columns() {
        assert!(waiting_lines(&[]).is_empty());
        let timers = vec![(
            "remind".to_string(),
            "Clinic/appointment/12".to_string(),
            1_893_484_800,
        )];
        let waits = vec![("confirm_booking".to_string(), 7, 1_893_456_000)];
        let waits = crate::serve::clock_order(timers, waits);
        assert_eq!(
            waits[1].json(),
            serde_json::json!({"waiting": "timer", "workflow": "remind",
              "record": "Clinic/appointment/12", "due": "2030-01-01T08:00:00Z"})
        );
        assert_eq!(
            waiting_lines(&waits),
            [
                "waiting for the clock: 2",
                "wait  confirm_booking run 7                 at 2030-01-01T00:00:00Z",
                "timer remind          Clinic/appointment/12 at 2030-01-01T08:00:00Z",
            ]
        );
    }
}
