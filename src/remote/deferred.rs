//! Writes kept for later: how `weir serve` lets the engine go on while real apps answer.
//!
//! ```text
//! run 90: create contact in Crm   → planned: POST /contact, key …-90/1, record Crm/contact/7
//!         (the engine goes on with Crm/contact/7; the app's id comes when the write is sent)
//! weir serve's outbox sends it    → 201 {"id": "c-3"} → learned: Crm/contact/7 is `c-3`
//! ```
//!
//! With writes deferred ([`super::HttpApps::defer_writes`]), a create, update or delete of a
//! real app is not sent: it becomes a [`Planned`] write, its request built by the entity's
//! mapping ([`super::connector`]) as a write sent at once would be, and the engine takes it as
//! done (a create's record gets its number now, the app's id later). `weir serve` keeps
//! planned writes in its journal's outbox and sends them concurrently, in order per record,
//! through the same [`Connector`]; what the sends teach (the app's ids, the writes done) comes
//! back as [`Learned`].
//!
//! A run that needs a reply gets it: every step that reads an app (`find`, `exists`, `count`,
//! `upsert`, `let p = create …`, which reads the record back, and a `call`, which may read
//! or write anything) first waits for the writes to that app already in the outbox
//! ([`Waiting::settle_for`]), then sends the run's own planned writes at once, in order, and
//! takes in their replies. Writes nothing reads go out without holding the engine up: a run
//! waits only where it reads, and only for the apps it reads and writes.
//!
//! Why this way, rather than running runs concurrently: the engine stays one thread with one
//! order of runs (the loop guard, the ledger of echoes and the id table need no locks), a
//! script that never reads back pays nothing, and a run that does waits only for the apps it
//! touches, so a down app does not hold the reads of a healthy one.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use reqwest::Method;

use super::IdempotencyKey;
use super::connector::Connector;
use super::http::{Attempt, Body, Jitter, Policy, Reply, Request};
use crate::ast::HttpOp;
use crate::program::EntityId;
use crate::run::apps::{AppError, RecordId, RecordRef};

/// A write to send later.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub key: IdempotencyKey,
    pub entity: EntityId,
    /// The engine's number of the record written.
    pub local: RecordId,
    /// `create`, `update` or `delete`.
    pub method: &'static str,
    /// The request's method and URL, as the entity's mapping makes them; `None` while the
    /// record's create is still to be sent (its URL holds the app's id): made when it goes.
    pub line: Option<(Method, String)>,
    pub body: Option<Body>,
}

impl Planned {
    pub fn op(&self) -> HttpOp {
        match self.method {
            "create" => HttpOp::Create,
            "update" => HttpOp::Update,
            _ => HttpOp::Delete,
        }
    }
}

/// What a write sent taught: the app's id of a created record, and the key of a write done.
#[derive(Clone, Debug, PartialEq)]
pub struct Learned {
    pub entity: EntityId,
    pub local: RecordId,
    /// The app's id, for a create.
    pub app_id: Option<String>,
    /// The write's key, when the app took it.
    pub done: Option<IdempotencyKey>,
}

#[derive(Default)]
struct State {
    /// Planned writes handed over and not yet sent (or given up), by entity.
    rows: HashMap<EntityId, usize>,
    /// Of those, the creates, by entity.
    creates: HashMap<EntityId, usize>,
    learned: Vec<Learned>,
    stopping: bool,
}

/// Hands writes planned by runs that have finished over to be sent: `weir serve` records
/// finished events in groups, and a read must not miss writes still held in a group. Its
/// argument: weir is stopping (then nothing is recorded, and the events run again).
pub type Flush = Box<dyn Fn(bool) + Send + Sync>;

/// What the engine's side and the sending side share: how many writes are still to send, and
/// what the sent ones taught.
#[derive(Default)]
pub struct Waiting {
    state: Mutex<State>,
    changed: Condvar,
    flush: Mutex<Option<Flush>>,
}

/// Weir is stopping: a read that waits for writes to be sent will not get them.
#[derive(Debug)]
pub struct Stopping;

impl Waiting {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes handed over to be sent.
    pub fn handed(&self, writes: &[Planned]) {
        let mut s = self.lock();
        for w in writes {
            *s.rows.entry(w.entity).or_default() += 1;
        }
        for w in writes.iter().filter(|w| w.method == "create") {
            *s.creates.entry(w.entity).or_default() += 1;
        }
    }

    /// A write was sent (or given up), and what it taught.
    pub fn finished(&self, write: &Planned, learned: Option<Learned>) {
        let mut s = self.lock();
        if let Some(n) = s.rows.get_mut(&write.entity) {
            *n = n.saturating_sub(1);
        }
        if write.method == "create"
            && let Some(n) = s.creates.get_mut(&write.entity)
        {
            *n = n.saturating_sub(1);
        }
        s.learned.extend(learned);
        drop(s);
        self.changed.notify_all();
    }

    /// Writes handed over and not yet sent.
    pub fn backlog(&self) -> usize {
        self.lock().rows.values().sum()
    }

    /// What sends taught since the last call.
    pub fn take_learned(&self) -> Vec<Learned> {
        std::mem::take(&mut self.lock().learned)
    }

    /// Whether a create of this entity is still to be sent.
    pub fn creating(&self, entity: EntityId) -> bool {
        self.lock().creates.get(&entity).is_some_and(|n| *n > 0)
    }

    /// What hands over the writes of runs finished and not yet recorded ([`Flush`]).
    pub fn set_flush(&self, flush: Flush) {
        *self.flush.lock().unwrap_or_else(|e| e.into_inner()) = Some(flush);
    }

    /// Hands over the writes of runs finished and not yet recorded, so that a wait for writes
    /// takes them in.
    pub fn flush(&self) {
        let stopping = self.stopping();
        if let Some(flush) = &*self.flush.lock().unwrap_or_else(|e| e.into_inner()) {
            flush(stopping);
        }
    }

    /// Waits until every write to the entities `of` says yes to, of the runs finished before,
    /// is sent, or weir stops.
    pub fn settle_for(&self, of: impl Fn(EntityId) -> bool) -> Result<(), Stopping> {
        self.flush();
        self.wait_while(|s| s.rows.iter().any(|(e, n)| *n > 0 && of(*e)))
    }

    /// Waits until no create of an entity is still to be sent, or weir stops.
    pub fn settle_creates(&self, entity: EntityId) -> Result<(), Stopping> {
        self.flush();
        self.wait_while(|s| s.creates.get(&entity).is_some_and(|n| *n > 0))
    }

    fn wait_while(&self, busy: impl Fn(&State) -> bool) -> Result<(), Stopping> {
        let mut s = self.lock();
        loop {
            if s.stopping {
                return Err(Stopping);
            }
            if !busy(&s) {
                return Ok(());
            }
            s = self
                .changed
                .wait_timeout(s, Duration::from_millis(200))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// No more writes will be sent: waits end.
    pub fn stop(&self) {
        self.lock().stopping = true;
        self.changed.notify_all();
    }

    pub fn stopping(&self) -> bool {
        self.lock().stopping
    }
}

/// An app's side of deferred writes: the writes planned by the event running, the records
/// created whose app id is not known yet, and done keys learned during a read.
pub struct Deferred {
    pub waiting: Arc<Waiting>,
    pub planned: std::cell::RefCell<Vec<Planned>>,
    pub pending: std::cell::RefCell<std::collections::HashSet<crate::run::apps::RecordRef>>,
    pub done: std::cell::RefCell<Vec<(IdempotencyKey, RecordId)>>,
}

impl Deferred {
    pub fn new(waiting: Arc<Waiting>) -> Deferred {
        Deferred {
            waiting,
            planned: Default::default(),
            pending: Default::default(),
            done: Default::default(),
        }
    }
}

/// Sends planned writes from other threads (`weir serve`'s outbox), through the connector
/// the engine's own requests go through: one client, whose connections are kept and reused.
#[derive(Clone)]
pub struct WriteSender {
    conn: Arc<Connector>,
}

impl WriteSender {
    pub(super) fn new(conn: Arc<Connector>) -> WriteSender {
        WriteSender { conn }
    }

    /// The app (its index in the program) an entity's writes go to.
    pub fn app_of(&self, entity: EntityId) -> usize {
        self.conn.app_of(entity)
    }

    pub fn policy(&self) -> &Policy {
        self.conn.policy()
    }

    /// Tries a planned write once; `app_id` is the record's id in the app where its URL was
    /// not known when it was planned. A URL that cannot be made is why the write fails.
    pub fn attempt(
        &self,
        write: &Planned,
        app_id: Option<&str>,
        jitter: &mut Jitter,
    ) -> Result<Attempt, String> {
        let (method, url) = match &write.line {
            Some(line) => line.clone(),
            None => self
                .conn
                .request_line(write.entity, write.op(), app_id, None)
                .map_err(|e| e.reason)?,
        };
        let request = Request {
            method,
            url,
            auth: None,
            key: Some(write.key.to_string()),
            origin: Some(&self.conn.program().engine),
            body: write.body.clone(),
        };
        Ok(self.conn.attempt(write.entity, request, jitter))
    }

    /// The app's id of the record a create made, from its reply; or why it has none.
    pub fn created_id(&self, write: &Planned, reply: &Reply) -> Result<String, String> {
        self.conn.created_id(write.entity, reply).ok_or_else(|| {
            let (method, url) = write.line.clone().unwrap_or((Method::POST, String::new()));
            self.conn.no_id(write.entity, &method, &url, reply.status)
        })
    }

    /// `POST http://…/contact`, for messages.
    pub fn describe(&self, write: &Planned) -> String {
        match &write.line {
            Some((method, url)) => format!("{method} {url}"),
            None => format!(
                "the {} of {}",
                write.method,
                crate::run::apps::RecordRef::new(write.entity, write.local)
                    .show(self.conn.program())
            ),
        }
    }
}

/// The engine's side: a real app's writes planned rather than sent, and sent at a read.
impl super::HttpApps {
    /// From now on, writes are planned rather than sent ([`Self::take_planned`]).
    pub fn defer_writes(&mut self, waiting: Arc<Waiting>) {
        self.deferred = Some(Deferred::new(waiting));
    }

    /// What sends this program's planned writes from other threads.
    pub fn write_sender(&self) -> WriteSender {
        WriteSender::new(Arc::clone(&self.conn))
    }

    /// The writes planned since the last call, in the order they were made.
    pub fn take_planned(&mut self) -> Vec<Planned> {
        match &self.deferred {
            Some(d) => std::mem::take(&mut *d.planned.borrow_mut()),
            None => Vec::new(),
        }
    }

    /// A record whose create is planned and not sent yet (after a restart, from the outbox).
    pub fn mark_pending(&mut self, entity: EntityId, local: RecordId) {
        if let Some(d) = &self.deferred {
            d.pending.borrow_mut().insert(RecordRef::new(entity, local));
        }
    }

    /// Takes in what sent writes taught: the app's ids of created records, the writes done.
    pub fn learn(&mut self, learned: Vec<Learned>) {
        for l in learned {
            self.learn_one(&l);
        }
        if let Some(d) = &self.deferred {
            let done = std::mem::take(&mut *d.done.borrow_mut());
            self.done.extend(done);
        }
    }

    fn learn_one(&self, l: &Learned) {
        if let Some(app_id) = &l.app_id {
            self.book.borrow_mut().learn(l.entity, app_id, l.local);
        }
        if let Some(d) = &self.deferred {
            if l.app_id.is_some() {
                d.pending
                    .borrow_mut()
                    .remove(&RecordRef::new(l.entity, l.local));
            }
            if let Some(key) = &l.done {
                d.done.borrow_mut().push((key.clone(), l.local));
            }
        }
    }

    /// Whether the app gave this id to a record the engine knows.
    pub fn knows(&self, entity: EntityId, app_id: &str) -> bool {
        self.book.borrow().knows(entity, app_id)
    }

    pub(super) fn deferring(&self) -> bool {
        self.deferred.is_some()
    }

    pub(super) fn is_pending(&self, at: RecordRef) -> bool {
        self.deferred
            .as_ref()
            .is_some_and(|d| d.pending.borrow().contains(&at))
    }

    /// Keeps a write for later, its request as the mapping made it (`line` is `None` for a
    /// record whose create is not sent yet).
    pub(super) fn plan(
        &self,
        entity: EntityId,
        local: RecordId,
        method: &'static str,
        line: Option<(Method, String)>,
        body: Option<Body>,
    ) {
        let Some(d) = &self.deferred else {
            return;
        };
        if method == "create" {
            d.pending.borrow_mut().insert(RecordRef::new(entity, local));
        }
        d.planned.borrow_mut().push(Planned {
            key: self.key(),
            entity,
            local,
            method,
            line,
            body,
        });
    }

    /// Before a step that reads `entity`'s app: the writes to it and to every app the run
    /// wrote to so far are sent, the outbox's first, then the run's own, so that the step
    /// sees them.
    pub(super) fn settle(&self, entity: EntityId) -> Result<(), AppError> {
        let Some(d) = &self.deferred else {
            return Ok(());
        };
        let program = &self.program;
        let mut apps = vec![program.entity(entity).app];
        apps.extend(
            d.planned
                .borrow()
                .iter()
                .map(|w| program.entity(w.entity).app),
        );
        d.waiting
            .settle_for(|e| apps.contains(&program.entity(e).app))
            .map_err(|_| AppError {
                failed: true,
                read: true,
                ..self
                    .conn
                    .refuse(entity, "weir is stopping before the read".into())
            })?;
        for l in d.waiting.take_learned() {
            self.learn_one(&l);
        }
        let planned = std::mem::take(&mut *d.planned.borrow_mut());
        for write in planned {
            let learned = self.send_planned(&write)?;
            self.learn_one(&learned);
        }
        Ok(())
    }

    /// Sends a planned write now, trying again as any write is.
    fn send_planned(&self, write: &Planned) -> Result<Learned, AppError> {
        let at = RecordRef::new(write.entity, write.local);
        let (method, url) = match &write.line {
            Some(line) => line.clone(),
            None => match self.app_id(at) {
                Some(id) => self
                    .conn
                    .request_line(write.entity, write.op(), Some(&id), None)?,
                None => {
                    let reason = format!("{} was never created in the app", at.show(&self.program));
                    return Err(self.conn.refuse(write.entity, reason));
                }
            },
        };
        let request = Request {
            method,
            url,
            auth: None,
            key: Some(write.key.to_string()),
            origin: Some(&self.program.engine),
            body: write.body.clone(),
        };
        let reply = self
            .conn
            .send(write.entity, request, &mut self.jitter.borrow_mut())?;
        let mut learned = Learned {
            entity: write.entity,
            local: write.local,
            app_id: None,
            done: None,
        };
        if write.method == "create" {
            let app_id = WriteSender::new(Arc::clone(&self.conn))
                .created_id(write, &reply)
                .map_err(|reason| self.conn.refuse(write.entity, reason))?;
            if let Some(recorder) = &mut self.book.borrow_mut().recorder {
                recorder.new_id(write.entity, &app_id, write.local);
            }
            learned.app_id = Some(app_id);
        }
        if reply.status != reqwest::StatusCode::NOT_FOUND {
            if let Some(recorder) = &mut self.book.borrow_mut().recorder {
                recorder.action_done(&write.key, write.entity, write.method, write.local);
            }
            learned.done = Some(write.key.clone());
        }
        Ok(learned)
    }
}
