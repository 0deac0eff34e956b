//! [`super::Db`] on SQLite: statements prepared once and cached, values by reference.

use rusqlite::types::{ToSqlOutput, ValueRef};

use super::{DbError, DbResult, Row, Value};

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
