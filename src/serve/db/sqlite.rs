//! [`super::Db`] on SQLite: statements prepared once and cached, values by reference; and what
//! only a SQLite journal has: its file made private, WAL, and the migrations of old journals.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension};

use super::{DbError, DbResult, Row, Value};
use crate::serve::journal;

/// How many statements a connection keeps prepared: more than the journal has.
pub const CACHED: usize = 64;

/// A connection to a SQLite journal, with room for every statement of the journal prepared.
pub fn wrap(conn: rusqlite::Connection) -> super::Db {
    conn.set_prepared_statement_cache_capacity(CACHED);
    super::Db::Sqlite(conn)
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(n) => ValueRef::Integer(*n),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Bytes(b) => ValueRef::Blob(b),
        }))
    }
}

pub fn execute(conn: &rusqlite::Connection, sql: &str, values: &[Value]) -> DbResult<u64> {
    let mut stmt = conn.prepare_cached(sql)?;
    Ok(stmt.execute(rusqlite::params_from_iter(values))? as u64)
}

pub fn query(conn: &rusqlite::Connection, sql: &str, values: &[Value]) -> DbResult<Vec<Row>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let columns = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(columns);
        for i in 0..columns {
            values.push(read(row.get_ref(i)?)?);
        }
        out.push(Row(values));
    }
    Ok(out)
}

fn read(value: ValueRef<'_>) -> DbResult<Value> {
    Ok(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Int(n),
        ValueRef::Text(t) => Value::Text(
            String::from_utf8(t.to_vec())
                .map_err(|_| DbError("a text in the journal is not utf-8".into()))?,
        ),
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
        // The journal writes no fractions; a value someone wrote by hand reads whole.
        ValueRef::Real(f) => Value::Int(f as i64),
    })
}

/// A SQLite journal: the file made private, WAL, its tables, and the migrations of journals
/// written by older versions of weir.
pub fn open_journal(path: &Path, durable: bool) -> Result<super::Db, String> {
    let lower = |err: rusqlite::Error| err.to_string().to_lowercase();
    create_private(path).map_err(|err| err.to_string().to_lowercase())?;
    let conn = Connection::open(path).map_err(lower)?;
    conn.busy_timeout(Duration::from_secs(30)).map_err(lower)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(lower)?;
    conn.pragma_update(None, "synchronous", if durable { "FULL" } else { "NORMAL" })
        .map_err(lower)?;
    conn.execute_batch(journal::SCHEMA).map_err(lower)?;
    let scoped: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'keys'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(lower)?;
    if scoped.is_none() {
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {};
             INSERT OR IGNORE INTO meta (key, value) VALUES ('keys', 'route'); COMMIT;",
            journal::SCOPE_KEYS
        ))
        .map_err(lower)?;
    }
    conn.execute_batch(crate::serve::runs::SCHEMA)
        .map_err(lower)?;
    crate::serve::runs::migrate(&conn).map_err(lower)?;
    conn.execute_batch(crate::serve::outbox::SCHEMA)
        .map_err(lower)?;
    crate::serve::outbox::migrate(&conn).map_err(lower)?;
    if durable {
        // Accepting must not wait for a checkpoint: the other connections make them.
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(lower)?;
    }
    Ok(wrap(conn))
}

/// Makes a journal that does not exist yet readable by its owner only: it holds records.
/// SQLite gives its `-wal` and `-shm` files the same permissions.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err),
    }
}
