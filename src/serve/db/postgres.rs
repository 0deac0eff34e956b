//! [`super::Db`] on PostgreSQL: the journal's URL, its migrations, and the lock a server holds.
//!
//! ```text
//! weir serve shop.weir --journal postgres://weir@127.0.0.1:5432/weir
//!   connect        → in the clear to this machine (or with `sslmode=disable`), else TLS
//!                    (rustls), the server's certificate verified as the system verifies
//!   migrate        → migrations/postgres/*.sql not yet in `schema_migrations`, in order, in one
//!                    transaction under an advisory lock (two servers starting migrate once)
//!   serve          → its share of a session advisory lock, held while it runs (and taken again
//!                    after the database restarted): `weir replay` sees that a server runs
//! ```
//!
//! Statements are written with `?N` placeholders, as SQLite reads them; each is rewritten to
//! `$N` and prepared once per connection. Messages name the journal by its URL without its
//! password ([`redacted`]).

use std::collections::HashMap;
use std::error::Error;
use std::path::Path;
use std::time::Duration;

use postgres::config::{Host, SslMode};
use postgres::types::private::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use std::sync::Arc;

use postgres::{Client, Config, NoTls, Statement};
use rustls_platform_verifier::BuilderVerifierExt;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{Db, DbError, DbResult, Row, Value};
use crate::serve::journal::JournalError;

/// The journal's migrations, in order: each applied once, recorded in `schema_migrations`.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_journal",
        include_str!("../../../migrations/postgres/0001_journal.sql"),
    ),
    ("0002_claims", crate::serve::claims::MIGRATION),
    (
        "0003_time_and_failures",
        include_str!("../../../migrations/postgres/0003_time_and_failures.sql"),
    ),
    (
        "0004_shared_pairs_and_windows",
        include_str!("../../../migrations/postgres/0004_shared_pairs_and_windows.sql"),
    ),
];

/// The advisory lock taken while migrating (within the transaction), the one a serving
/// `weir serve` holds for its session, and the one the server that polls holds
/// ([`crate::serve::poll_turn`]). Numbers weir alone uses: `weirmigr`, `weirserv`, `weirpoll`.
const MIGRATING: i64 = 0x7765_6972_6d69_6772;
const SERVING: i64 = 0x7765_6972_7365_7276;
pub const POLLING: i64 = 0x7765_6972_706f_6c6c;

/// A connection to a PostgreSQL journal, with its prepared statements. A connection lost (the
/// database restarted, the network cut) is made again at the next statement, unless it was lost
/// inside a transaction: that transaction fails to its end, as it would have, and the one after
/// gets a new connection.
pub struct Conn {
    /// Taken only when the connection is dropped ([`Drop`]).
    client: Option<Client>,
    prepared: HashMap<String, Statement>,
    /// The journal's URL, to connect again.
    url: String,
    /// A transaction is open on the connection.
    in_transaction: bool,
}

impl Drop for Conn {
    /// The client's close blocks on a runtime of its own, which tokio refuses inside another:
    /// a connection let go of on one of `weir serve`'s runtime threads closes on a thread of
    /// its own.
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            let _ = std::thread::spawn(move || drop(client)).join();
        }
    }
}

/// The URL a journal is named by, if it is a PostgreSQL journal's.
pub fn url_of(journal: &Path) -> Option<&str> {
    journal
        .to_str()
        .filter(|s| s.starts_with("postgres://") || s.starts_with("postgresql://"))
}

/// The URL without its password, for messages: `postgres://weir:***@db/weir`.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((user, hosts)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:***@{hosts}"),
            None => format!("{user}@{hosts}"),
        },
        None => authority.to_string(),
    };
    let path = match path.split_once('?') {
        Some((db, query)) => {
            let kept: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some(("password", _)) => "password=***".to_string(),
                    _ => pair.to_string(),
                })
                .collect();
            format!("{db}?{}", kept.join("&"))
        }
        None => path.to_string(),
    };
    format!("{scheme}://{authority}{path}")
}

/// Connects, refusing TLS settings weir cannot honour yet, and applies the migrations.
pub fn open(url: &str) -> Result<Db, String> {
    let mut conn = Conn {
        client: Some(connect(url)?),
        prepared: HashMap::new(),
        url: url.to_string(),
        in_transaction: false,
    };
    conn.migrate()
        .map_err(|e| format!("cannot migrate it: {e}"))?;
    Ok(Db::Postgres(Box::new(std::cell::RefCell::new(conn))))
}

/// A client of the journal at `url`: in the clear to this machine, else by TLS ([`secured`]).
pub fn connect(url: &str) -> Result<Client, String> {
    let mut config: Config = url
        .parse()
        .map_err(|e: postgres::Error| format!("the URL does not read: {}", DbError::from(e)))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    if config.get_application_name().is_none() {
        config.application_name("weir");
    }
    match secured(&config) {
        Secured::Plain => config.connect(NoTls),
        // Beyond this machine TLS is required, not only preferred: a server that does not
        // take it is refused rather than spoken to in the clear.
        Secured::Tls => config.ssl_mode(SslMode::Require).connect(tls()?),
    }
    .map_err(refused)
}

/// Why a connection failed; for a certificate, where trust comes from.
fn refused(err: postgres::Error) -> String {
    let mut why = DbError::from(err).0;
    if why.contains("certificate") {
        why.push_str(
            "; weir trusts the certificates the system does: add the server's CA to them, or \
             name its file in `SSL_CERT_FILE`",
        );
    }
    format!("cannot connect: {why}")
}

fn lower(err: &dyn std::fmt::Display) -> String {
    err.to_string().to_lowercase()
}

/// How a connection is secured: in the clear where `sslmode=disable` says so or the server is
/// on this machine (and TLS is only preferred), else by TLS (rustls, with the certificates the
/// system trusts, `SSL_CERT_FILE` and `SSL_CERT_DIR` included), always verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Secured {
    Plain,
    Tls,
}

fn secured(config: &Config) -> Secured {
    let loopback = config.get_hosts().iter().all(|host| match host {
        Host::Tcp(name) => {
            name == "localhost"
                || name
                    .trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        #[cfg(unix)]
        Host::Unix(_) => true,
    });
    match config.get_ssl_mode() {
        SslMode::Disable => Secured::Plain,
        SslMode::Prefer if loopback => Secured::Plain,
        _ => Secured::Tls,
    }
}

/// rustls with ring, verifying the server's certificate as the system does.
fn tls() -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| format!("cannot set up TLS: {}", lower(&e)))?
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

impl Conn {
    /// The client, connected again if its connection was lost (outside a transaction).
    fn client(&mut self) -> DbResult<&mut Client> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            if self.in_transaction {
                return Err(DbError(
                    "the connection was lost in a transaction, which was not committed".into(),
                ));
            }
            let client = connect(&self.url).map_err(DbError)?;
            self.prepared.clear();
            self.client = Some(client);
        }
        self.client
            .as_mut()
            .ok_or_else(|| DbError("the connection is closed".into()))
    }

    /// The migrations not applied yet, in one transaction, under a lock that makes a second
    /// server starting at the same time wait, then find them applied.
    fn migrate(&mut self) -> DbResult<()> {
        let mut tx = self.client()?.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATING])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
               version TEXT PRIMARY KEY, applied BIGINT NOT NULL)",
        )?;
        for (version, sql) in MIGRATIONS {
            let applied = tx.query_opt(
                "SELECT 1 FROM schema_migrations WHERE version = $1",
                &[version],
            )?;
            if applied.is_none() {
                tx.batch_execute(sql)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)",
                    &[version, &super::super::journal::now_ms()],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn statement(&mut self, sql: &str) -> DbResult<Statement> {
        // A new connection first: statements prepared on a lost one are gone with it.
        self.client()?;
        if let Some(stmt) = self.prepared.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client()?.prepare(&placeholders(sql))?;
        self.prepared.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    pub fn execute(&mut self, sql: &str, values: &[Value]) -> DbResult<u64> {
        self.again_if_lost(|conn| {
            let stmt = conn.statement(sql)?;
            let args: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as _).collect();
            Ok(conn.client()?.execute(&stmt, &args)?)
        })
    }

    pub fn query(&mut self, sql: &str, values: &[Value]) -> DbResult<Vec<Row>> {
        let rows = self.again_if_lost(|conn| {
            let stmt = conn.statement(sql)?;
            let args: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as _).collect();
            Ok(conn.client()?.query(&stmt, &args)?)
        })?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| row.try_get::<_, Value>(i).map_err(DbError::from))
                    .collect::<DbResult<Vec<_>>>()
                    .map(Row)
            })
            .collect()
    }

    /// Runs a statement; outside a transaction, once more on a new connection if the
    /// connection turned out lost (a database that restarted ends idle connections, which the
    /// client learns at their next use).
    fn again_if_lost<T>(&mut self, mut run: impl FnMut(&mut Conn) -> DbResult<T>) -> DbResult<T> {
        match run(self) {
            Err(_)
                if !self.in_transaction && self.client.as_ref().is_some_and(Client::is_closed) =>
            {
                run(self)
            }
            done => done,
        }
    }

    /// Statements without parameters; `BEGIN`, `COMMIT` and `ROLLBACK` also open and end the
    /// connection's transaction.
    pub fn batch(&mut self, sql: &str) -> DbResult<()> {
        let ends = sql == "COMMIT" || sql == "ROLLBACK";
        if sql == "ROLLBACK" && self.client.as_ref().is_none_or(Client::is_closed) {
            // Lost with its connection: nothing is left to roll back.
            self.in_transaction = false;
            return Ok(());
        }
        let done = if sql.starts_with("BEGIN") {
            self.again_if_lost(|conn| Ok(conn.client()?.batch_execute(sql)?))
        } else {
            self.client().and_then(|c| Ok(c.batch_execute(sql)?))
        };
        if ends {
            self.in_transaction = false;
        } else if sql.starts_with("BEGIN") && done.is_ok() {
            self.in_transaction = true;
        }
        done
    }
}

/// `?N` as PostgreSQL writes it, `$N`, outside quoted text.
fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    for c in sql.chars() {
        match c {
            '\'' => quoted = !quoted,
            '?' if !quoted => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Takes the lock a serving `weir serve` holds for as long as `db` is open; false if another
/// session holds it.
pub fn lock_serving(db: &Db) -> DbResult<bool> {
    // Shared: any number of servers share a PostgreSQL journal ([`crate::serve::cluster`]).
    let got = db
        .query_one(
            "SELECT pg_try_advisory_lock_shared(?1)",
            crate::args![SERVING],
        )?
        .get::<i64>(0)?
        == 1;
    Ok(got)
}

/// Takes a serving server's share of the lock on a connection of its own (the one that renews
/// its leases, [`crate::serve::cluster`]), so that the lock is held again once a database that
/// restarted is back; whether it was (a program holding it alone refuses it for a moment).
pub fn share_serving(client: &mut Client) -> Result<bool, postgres::Error> {
    let row = client.query_one("SELECT pg_try_advisory_lock_shared($1)", &[&SERVING])?;
    Ok(row.get(0))
}

/// The journal at `location`, its serving lock held (shared with the other servers) by this
/// process for as long as it is kept. `weir runs` holds it alone for a moment to tell whether
/// a server runs: the share is tried again for up to a second.
pub fn hold_serving(location: &Path) -> Result<crate::serve::journal::Journal, JournalError> {
    let journal = crate::serve::journal::Journal::open(location, true)?;
    for _ in 0..50 {
        match lock_serving(journal.conn()) {
            Ok(true) => return Ok(journal),
            Ok(false) => std::thread::sleep(Duration::from_millis(20)),
            Err(err) => return Err(journal.fail(err)),
        }
    }
    Err(JournalError {
        path: journal.path().to_string(),
        reason: "another program holds the lock of its servers; stop it, or start again".into(),
    })
}

/// Whether a `weir serve` holds the serving lock of the journal now.
pub fn someone_serving(db: &Db) -> DbResult<bool> {
    // Had at once only where no server holds its share.
    let alone = db
        .query_one("SELECT pg_try_advisory_lock(?1)", crate::args![SERVING])?
        .get::<i64>(0)?;
    if alone == 1 {
        db.query_one("SELECT pg_advisory_unlock(?1)", crate::args![SERVING])?;
        return Ok(false);
    }
    Ok(true)
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(n) => match *ty {
                Type::INT8 => n.to_sql(ty, out),
                Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*n)?.to_sql(ty, out),
                Type::BOOL => (*n != 0).to_sql(ty, out),
                _ if <&str as ToSql>::accepts(ty) => n.to_string().as_str().to_sql(ty, out),
                _ => Err(format!("an integer given for a column of type {ty}").into()),
            },
            Value::Text(s) if <&str as ToSql>::accepts(ty) => s.as_str().to_sql(ty, out),
            // SQLite keeps what it is given: a text in a column of bytes is copied as bytes.
            Value::Text(s) if *ty == Type::BYTEA => s.as_bytes().to_sql(ty, out),
            Value::Text(_) => Err(format!("a text given for a column of type {ty}").into()),
            Value::Bytes(b) if *ty == Type::BYTEA => b.as_slice().to_sql(ty, out),
            Value::Bytes(_) => Err(format!("bytes given for a column of type {ty}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Value, Box<dyn Error + Sync + Send>> {
        Ok(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Int(bool::from_sql(ty, raw)?.into()),
            Type::BYTEA => Value::Bytes(Vec::<u8>::from_sql(ty, raw)?),
            _ if <String as FromSql>::accepts(ty) => Value::Text(String::from_sql(ty, raw)?),
            _ => {
                return Err(
                    format!("a column of type {ty}, which the journal does not read").into(),
                );
            }
        })
    }

    fn from_sql_null(_: &Type) -> Result<Value, Box<dyn Error + Sync + Send>> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_shown_without_its_password() {
        assert_eq!(
            redacted("postgres://weir:s3cret@db.example:5432/weir"),
            "postgres://weir:***@db.example:5432/weir"
        );
        assert_eq!(
            redacted("postgresql://weir@127.0.0.1/weir?password=s3cret&sslmode=disable"),
            "postgresql://weir@127.0.0.1/weir?password=***&sslmode=disable"
        );
        assert_eq!(
            redacted("postgres://127.0.0.1/weir"),
            "postgres://127.0.0.1/weir"
        );
    }

    #[test]
    fn placeholders_are_numbered_as_postgresql_numbers_them() {
        assert_eq!(
            placeholders("SELECT a FROM t WHERE b = ?1 AND c = '?' AND d = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND d = $12"
        );
    }

    #[test]
    fn tls_is_used_beyond_this_machine_unless_disabled() {
        let secured = |url: &str| secured(&url.parse().unwrap());
        assert_eq!(secured("postgres://weir@127.0.0.1/weir"), Secured::Plain);
        assert_eq!(secured("postgres://weir@localhost/weir"), Secured::Plain);
        assert_eq!(secured("postgres://weir@db.example/weir"), Secured::Tls);
        assert_eq!(
            secured("postgres://weir@db.example/weir?sslmode=disable"),
            Secured::Plain
        );
        assert_eq!(
            secured("postgres://weir@127.0.0.1/weir?sslmode=require"),
            Secured::Tls
        );
    }
}
