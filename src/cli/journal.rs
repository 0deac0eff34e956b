//! `weir journal migrate --from FILE --to postgres://…`: a SQLite journal into PostgreSQL.

use std::path::Path;

use clap::{Args, Subcommand};

/// Work on a journal itself: copy a SQLite journal into PostgreSQL.
#[derive(Args)]
pub struct JournalArgs {
    #[command(subcommand)]
    command: JournalCommand,
}

#[derive(Subcommand)]
enum JournalCommand {
    Migrate(MigrateArgs),
}

/// Copy every table of a SQLite journal into an empty PostgreSQL journal, in one transaction.
#[derive(Args)]
#[command(
    after_help = "Stop `weir serve` on the SQLite journal first. The target must be empty: a copy merges nothing.\n\nExample:\n  weir journal migrate --from weir.db --to postgres://weir@127.0.0.1:5432/weir\n  weir serve shop.weir --journal postgres://weir@127.0.0.1:5432/weir"
)]
struct MigrateArgs {
    /// The SQLite journal to copy.
    #[arg(long, value_name = "FILE")]
    from: String,
    /// The PostgreSQL journal to copy it into (`postgres://user@host:port/db`), empty.
    #[arg(long, value_name = "URL")]
    to: String,
}

pub fn run(args: JournalArgs) -> u8 {
    let JournalCommand::Migrate(args) = args.command;
    let (from, to) = (Path::new(&args.from), Path::new(&args.to));
    if let Some((pid, addr)) = serving_on(from) {
        eprintln!(
            "error: a `weir serve` (process {pid}, on {addr}) is running on `{}`; nothing was copied\nhelp: stop it first, so that no event is accepted after the copy",
            args.from
        );
        return super::USAGE;
    }
    match crate::serve::db::copy::copy(from, to) {
        Ok(copied) => {
            let total: u64 = copied.iter().map(|(_, n)| n).sum();
            println!(
                "copied `{}` into `{}`: {total} rows",
                args.from,
                crate::serve::db::name_of(to)
            );
            for (table, rows) in copied {
                println!("  {table}: {rows}");
            }
            super::SUCCESS
        }
        Err(err) => super::usage_error(err),
    }
}

/// The `weir serve` running on the SQLite journal, if one is.
fn serving_on(from: &Path) -> Option<(u32, String)> {
    if crate::serve::db::postgres::url_of(from).is_some() || !from.is_file() {
        return None;
    }
    let journal = crate::serve::journal::Journal::open_existing(from).ok()?;
    crate::serve::serving(&journal)
}
