//! `weir journal migrate`: a SQLite journal copied whole into an empty PostgreSQL journal.
//!
//! ```text
//! weir journal migrate --from weir.db --to postgres://weir@127.0.0.1/weir
//!   every table of weir.db → the table of the same name, its rows as they are (ids kept),
//!   in one transaction; the identities then start after the highest id copied
//! ```
//!
//! The tables are read from the SQLite file itself, so that a table a newer weir keeps is
//! copied without a list to update here; the PostgreSQL journal must have it (its migrations
//! make every table weir keeps). A target that holds any row is refused: a copy merges
//! nothing.

use std::path::Path;

use super::postgres;
use super::{Db, DbError, DbResult};
use crate::args;
use crate::serve::journal::{Journal, JournalError};

/// What was copied: each table and its rows, in the order copied.
pub type Copied = Vec<(String, u64)>;

/// Copies the SQLite journal `from` into the empty PostgreSQL journal `to`.
pub fn copy(from: &Path, to: &Path) -> Result<Copied, JournalError> {
    let refuse = |path: &Path, reason: &str| JournalError {
        path: super::name_of(path),
        reason: reason.into(),
    };
    if postgres::url_of(from).is_some() {
        return Err(refuse(
            from,
            "`--from` takes a SQLite journal file; a PostgreSQL journal is already where it goes",
        ));
    }
    if postgres::url_of(to).is_none() {
        return Err(refuse(
            to,
            "`--to` takes a PostgreSQL URL (`postgres://user@host:port/db`)",
        ));
    }
    let source = Journal::open_existing(from)?;
    let target = Journal::open(to, true)?;
    let tables = tables(source.conn()).map_err(|e| source.fail(e))?;
    check_target(&target, &tables)?;
    let copied = copy_tables(source.conn(), target.conn(), &tables);
    copied.map_err(|e| target.fail(e))
}

/// A table of the SQLite journal, with its columns in order.
struct Table {
    name: String,
    columns: Vec<String>,
}

fn tables(source: &Db) -> DbResult<Vec<Table>> {
    let names = source.query_map(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         ORDER BY name",
        &[],
        |r| r.get::<String>(0),
    )?;
    let mut tables = Vec::new();
    for name in names {
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(DbError(format!(
                "the table `{name}` is not one weir makes; remove it, or copy it by hand"
            )));
        }
        let columns = source.query_map(
            "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
            args![name],
            |r| r.get::<String>(0),
        )?;
        tables.push(Table { name, columns });
    }
    Ok(tables)
}

/// The target has every table, and no row in any.
fn check_target(target: &Journal, tables: &[Table]) -> Result<(), JournalError> {
    let db = target.conn();
    for table in tables {
        let found = db
            .query_one(
                "SELECT COUNT(*) FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_name = ?1",
                args![table.name],
            )
            .and_then(|r| r.get::<i64>(0))
            .map_err(|e| target.fail(e))?;
        if found == 0 {
            return Err(target.fail(DbError(format!(
                "it has no table `{}`, which the SQLite journal has; a newer weir may make it",
                table.name
            ))));
        }
        let rows = db
            .query_opt(&format!("SELECT 1 FROM {} LIMIT 1", table.name), &[])
            .map_err(|e| target.fail(e))?;
        if rows.is_some() {
            return Err(target.fail(DbError(format!(
                "it is not empty (the table `{}` has rows); migrate into a new database",
                table.name
            ))));
        }
    }
    Ok(())
}

fn copy_tables(source: &Db, target: &Db, tables: &[Table]) -> DbResult<Copied> {
    let tx = target.transaction()?;
    let mut copied = Vec::new();
    for table in tables {
        let columns = table.columns.join(", ");
        let marks: Vec<String> = (1..=table.columns.len()).map(|i| format!("?{i}")).collect();
        let insert = format!(
            "INSERT INTO {} ({columns}) VALUES ({})",
            table.name,
            marks.join(", ")
        );
        let rows = source.query(&format!("SELECT {columns} FROM {}", table.name), &[])?;
        for row in &rows {
            let values: Vec<&dyn super::ToValue> =
                row.0.iter().map(|v| v as &dyn super::ToValue).collect();
            tx.execute(&insert, &values)?;
        }
        if table.columns.iter().any(|c| c == "id") {
            // An identity goes on after the ids copied, not from 1 again.
            // No row where the table has no identity (`sim_records`, whose ids are given).
            tx.query_opt(
                &format!(
                    "SELECT setval(pg_get_serial_sequence(?1, 'id'),
                                   COALESCE((SELECT MAX(id) FROM {}), 0) + 1, false)
                     WHERE pg_get_serial_sequence(?1, 'id') IS NOT NULL",
                    table.name
                ),
                args![table.name],
            )?;
        }
        copied.push((table.name.clone(), rows.len() as u64));
    }
    tx.commit()?;
    Ok(copied)
}
