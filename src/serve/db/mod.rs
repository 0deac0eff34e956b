//! One connection type over the journal's two engines: SQLite (the embedded default, a file)
//! and PostgreSQL (`--journal postgres://…`), so that each statement of the journal is written
//! once.
//!
//! ```text
//! db.execute("UPDATE events SET status = ?2 WHERE id = ?1", args![id, status])
//!   SQLite      → prepared as written, cached
//!   PostgreSQL  → `?1` read as `$1`, prepared once, cached
//! ```
//!
//! The SQL is the subset both engines understand: `?N` placeholders, `INSERT … ON CONFLICT …
//! DO NOTHING / DO UPDATE` (no `INSERT OR`), `RETURNING id` (no `rowid` or last insert id),
//! `CAST(?N AS BIGINT)` where PostgreSQL cannot tell a parameter's type. Values cross as
//! [`Value`]: an integer, a text, bytes or null; rows are read by position into the Rust types
//! of [`FromValue`]. What only one engine has stays in its module: SQLite's PRAGMAs and the
//! migrations of its old journals ([`sqlite`]), PostgreSQL's URL, migrations and locks
//! ([`postgres`]).

pub mod copy;
pub mod postgres;
pub mod sqlite;

use std::cell::RefCell;
use std::fmt;

/// Why a statement failed, in lower case, as the journal's messages quote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError(pub String);

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(err: rusqlite::Error) -> DbError {
        DbError(err.to_string().to_lowercase())
    }
}

impl From<::postgres::Error> for DbError {
    fn from(err: ::postgres::Error) -> DbError {
        // The server's own words (`duplicate key value violates …`) say more than the kind.
        let mut text = match err.as_db_error() {
            Some(db) => db.message().to_string(),
            None => err.to_string(),
        };
        // What went wrong underneath (the TLS handshake's reason) is in the sources.
        let mut cause = std::error::Error::source(&err);
        while let Some(inner) = cause {
            if err.as_db_error().is_none() {
                text.push_str(": ");
                text.push_str(&inner.to_string());
            }
            cause = inner.source();
        }
        DbError(text.to_lowercase())
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// A journal as messages name it: its file, or its URL without the password.
pub fn name_of(journal: &std::path::Path) -> String {
    postgres::url_of(journal).map_or_else(|| journal.display().to_string(), postgres::redacted)
}

/// A value as it crosses to or from either engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// A Rust value a statement takes as a parameter.
pub trait ToValue {
    fn to_value(&self) -> Value;
}

/// A Rust value a row's column reads into.
pub trait FromValue: Sized {
    fn from_value(value: Value) -> Result<Self, String>;
}

/// The parameters of a statement: `args![id, name, None::<i64>]`.
#[macro_export]
macro_rules! args {
    ($($x:expr),* $(,)?) => {
        &[$(&$x as &dyn $crate::serve::db::ToValue),*] as &[&dyn $crate::serve::db::ToValue]
    };
}

impl ToValue for i64 {
    fn to_value(&self) -> Value {
        Value::Int(*self)
    }
}

impl ToValue for u64 {
    /// The journal's numbers (runs, ids, prints) fit in 63 bits; it stores them as SQLite did.
    fn to_value(&self) -> Value {
        Value::Int(*self as i64)
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Bytes(self.to_vec())
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Bytes(self.clone())
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Value, String> {
        Ok(value)
    }
}

impl FromValue for i64 {
    fn from_value(value: Value) -> Result<i64, String> {
        match value {
            Value::Int(n) => Ok(n),
            other => Err(format!("expected an integer, found {}", other.kind())),
        }
    }
}

impl FromValue for u64 {
    fn from_value(value: Value) -> Result<u64, String> {
        i64::from_value(value).map(|n| n as u64)
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<String, String> {
        match value {
            Value::Text(s) => Ok(s),
            other => Err(format!("expected a text, found {}", other.kind())),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: Value) -> Result<Vec<u8>, String> {
        match value {
            Value::Bytes(b) => Ok(b),
            // SQLite keeps what it is given: bytes written as text read back as bytes.
            Value::Text(s) => Ok(s.into_bytes()),
            other => Err(format!("expected bytes, found {}", other.kind())),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Option<T>, String> {
        match value {
            Value::Null => Ok(None),
            value => T::from_value(value).map(Some),
        }
    }
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Int(_) => "an integer",
            Value::Text(_) => "a text",
            Value::Bytes(_) => "bytes",
        }
    }
}

/// A row read, its columns in the statement's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row(pub Vec<Value>);

impl Row {
    /// Column `i`, as a `T`.
    pub fn get<T: FromValue>(&self, i: usize) -> DbResult<T> {
        let value = self
            .0
            .get(i)
            .cloned()
            .ok_or_else(|| DbError(format!("no column {i} in the row")))?;
        T::from_value(value).map_err(|why| DbError(format!("column {i}: {why}")))
    }
}

/// A connection to the journal, on either engine.
pub enum Db {
    Sqlite(rusqlite::Connection),
    /// The client needs `&mut` to send; the journal's connections are each used by one
    /// thread, as SQLite's are.
    Postgres(Box<RefCell<postgres::Conn>>),
}

impl Db {
    /// Runs a statement; how many rows it changed.
    pub fn execute(&self, sql: &str, args: &[&dyn ToValue]) -> DbResult<u64> {
        let values = values(args);
        match self {
            Db::Sqlite(conn) => sqlite::execute(conn, sql, &values),
            Db::Postgres(conn) => conn.borrow_mut().execute(sql, &values),
        }
    }

    /// Every row a query reads.
    pub fn query(&self, sql: &str, args: &[&dyn ToValue]) -> DbResult<Vec<Row>> {
        let values = values(args);
        match self {
            Db::Sqlite(conn) => sqlite::query(conn, sql, &values),
            Db::Postgres(conn) => conn.borrow_mut().query(sql, &values),
        }
    }

    /// Every row a query reads, each made a `T`.
    pub fn query_map<T>(
        &self,
        sql: &str,
        args: &[&dyn ToValue],
        map: impl FnMut(&Row) -> DbResult<T>,
    ) -> DbResult<Vec<T>> {
        self.query(sql, args)?.iter().map(map).collect()
    }

    /// The first row a query reads, if any.
    pub fn query_opt(&self, sql: &str, args: &[&dyn ToValue]) -> DbResult<Option<Row>> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// The row a query must read (an aggregate's).
    pub fn query_one(&self, sql: &str, args: &[&dyn ToValue]) -> DbResult<Row> {
        self.query_opt(sql, args)?
            .ok_or_else(|| DbError("the query read no row".into()))
    }

    /// A transaction: committed by [`Tx::commit`], rolled back if dropped before.
    pub fn transaction(&self) -> DbResult<Tx<'_>> {
        self.begin("BEGIN")
    }

    /// A transaction that takes SQLite's write lock at once (`BEGIN IMMEDIATE`), for a read
    /// that decides a write; on PostgreSQL, rows are locked as they are written.
    pub fn transaction_immediate(&self) -> DbResult<Tx<'_>> {
        match self {
            Db::Sqlite(_) => self.begin("BEGIN IMMEDIATE"),
            Db::Postgres(_) => self.begin("BEGIN"),
        }
    }

    fn begin(&self, sql: &str) -> DbResult<Tx<'_>> {
        self.batch(sql)?;
        Ok(Tx {
            db: self,
            open: true,
        })
    }

    /// Statements without parameters, one after the other (`BEGIN`, a schema).
    pub fn batch(&self, sql: &str) -> DbResult<()> {
        match self {
            Db::Sqlite(conn) => conn.execute_batch(sql).map_err(DbError::from),
            Db::Postgres(conn) => conn.borrow_mut().batch(sql),
        }
    }

    /// The SQLite connection, for what only SQLite has (PRAGMAs, old journals' migrations).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Db::Sqlite(conn) => Some(conn),
            Db::Postgres(_) => None,
        }
    }

    /// Creates tables SQLite journals add as they meet them; a PostgreSQL journal has them
    /// from its migrations (`migrations/postgres/`).
    pub fn sqlite_schema(&self, sql: &str) -> DbResult<()> {
        match self {
            Db::Sqlite(conn) => conn.execute_batch(sql).map_err(DbError::from),
            Db::Postgres(_) => Ok(()),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }
}

fn values(args: &[&dyn ToValue]) -> Vec<Value> {
    args.iter().map(|a| a.to_value()).collect()
}

/// A transaction on a [`Db`]; its statements are the connection's.
pub struct Tx<'a> {
    db: &'a Db,
    open: bool,
}

impl Tx<'_> {
    /// Commits; on PostgreSQL, once this returns the server has the commit.
    pub fn commit(mut self) -> DbResult<()> {
        self.open = false;
        let committed = self.db.batch("COMMIT");
        if committed.is_err() {
            // A commit that failed may leave the transaction open (SQLite's `busy`).
            let _ = self.db.batch("ROLLBACK");
        }
        committed
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Db;
    fn deref(&self) -> &Db {
        self.db
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.db.batch("ROLLBACK");
        }
    }
}
