//! Writes kept for later: how `weir serve` lets the engine go on while real apps answer.
//!
//! ```text
//! run 90: create contact in Crm   → planned: POST /contact, key …-90/1, record Crm/contact/7
//!         (the engine goes on with Crm/contact/7; the app's id comes when the write is sent)
//! weir serve's outbox sends it    → 201 {"id": "c-3"} → learned: Crm/contact/7 is `c-3`
//! ```
//!
//! With writes deferred ([`super::HttpApps::defer_writes`]), a create, update or delete of a
//! real app is not sent: it becomes a [`Planned`] write and the engine takes it as done (a
//! create's record gets its number now, the app's id later). `weir serve` keeps planned writes
//! in its journal's outbox and sends them concurrently, in order per record; what the sends
//! teach (the app's ids, the writes done) comes back as [`Learned`]. A read of a real app
//! first waits for every write already planned to be sent ([`Waiting::settle`]), so that a run
//! reads what the runs before it wrote.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use reqwest::blocking::Client;
use serde_json::Value as Json;

use super::IdempotencyKey;
use super::http::{self, Policy, Reply, Request};
use super::rest::{Endpoint, id_text, record_url};
use crate::program::{EntityId, Program};
use crate::run::apps::RecordId;

/// A write to send later.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub key: IdempotencyKey,
    pub entity: EntityId,
    /// The engine's number of the record written.
    pub local: RecordId,
    /// `create`, `update` or `delete`.
    pub method: &'static str,
    /// The record's URL; `None` while its create is still to be sent (the app's id is not
    /// known yet): it is `collection/{id}` then.
    pub url: Option<String>,
    /// The entity's URL, where a create goes.
    pub collection: String,
    pub body: Option<Vec<u8>>,
}

impl Planned {
    pub fn http_method(&self) -> reqwest::Method {
        match self.method {
            "create" => reqwest::Method::POST,
            "update" => reqwest::Method::PATCH,
            _ => reqwest::Method::DELETE,
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
    /// Planned writes handed over and not yet sent (or given up).
    rows: usize,
    /// Of those, the creates, by entity.
    creates: HashMap<EntityId, usize>,
    learned: Vec<Learned>,
    stopping: bool,
}

/// What the engine's side and the sending side share: how many writes are still to send, and
/// what the sent ones taught.
#[derive(Default)]
pub struct Waiting {
    state: Mutex<State>,
    changed: Condvar,
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
        s.rows += writes.len();
        for w in writes.iter().filter(|w| w.method == "create") {
            *s.creates.entry(w.entity).or_default() += 1;
        }
    }

    /// A write was sent (or given up), and what it taught.
    pub fn finished(&self, write: &Planned, learned: Option<Learned>) {
        let mut s = self.lock();
        s.rows = s.rows.saturating_sub(1);
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
        self.lock().rows
    }

    /// What sends taught since the last call.
    pub fn take_learned(&self) -> Vec<Learned> {
        std::mem::take(&mut self.lock().learned)
    }

    /// Whether a create of this entity is still to be sent.
    pub fn creating(&self, entity: EntityId) -> bool {
        self.lock().creates.get(&entity).is_some_and(|n| *n > 0)
    }

    /// Waits until every write handed over is sent, or weir stops.
    pub fn settle(&self) -> Result<(), Stopping> {
        self.wait_while(|s| s.rows > 0)
    }

    /// Waits until no create of an entity is still to be sent, or weir stops.
    pub fn settle_creates(&self, entity: EntityId) -> Result<(), Stopping> {
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

/// Sends planned writes from other threads (`weir serve`'s outbox): one client, whose
/// connections are kept and reused, and where each app lives.
#[derive(Clone)]
pub struct WriteSender {
    program: Arc<Program>,
    client: Client,
    policy: Policy,
    endpoints: Arc<Vec<Option<Endpoint>>>,
}

impl WriteSender {
    pub(super) fn new(
        program: Arc<Program>,
        client: Client,
        policy: Policy,
        endpoints: Arc<Vec<Option<Endpoint>>>,
    ) -> WriteSender {
        WriteSender {
            program,
            client,
            policy,
            endpoints,
        }
    }

    /// The app (its index in the program) an entity's writes go to.
    pub fn app_of(&self, entity: EntityId) -> usize {
        self.program.entity(entity).app.0
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Tries a planned write once; `app_id` is the record's id in the app where its URL was
    /// not known when it was planned.
    pub fn attempt(&self, write: &Planned, app_id: Option<&str>) -> http::Attempt {
        let url = match (&write.url, app_id) {
            (Some(url), _) => url.clone(),
            (None, Some(id)) if write.method != "create" => record_url(&write.collection, id),
            _ => write.collection.clone(),
        };
        let app = self.app_of(write.entity);
        let token = self
            .endpoints
            .get(app)
            .and_then(Option::as_ref)
            .and_then(|e| e.token.as_deref());
        let request = Request {
            method: write.http_method(),
            url,
            token,
            key: Some(write.key.to_string()),
            origin: Some(&self.program.engine),
            body: write.body.clone(),
        };
        http::attempt(&self.client, &self.policy, &request)
    }

    /// The app's id of the record a create made, from its reply.
    pub fn created_id(reply: &Reply) -> Option<String> {
        if !reply.status.is_success() {
            return None;
        }
        let json: Json = serde_json::from_slice(&reply.body).ok()?;
        json.get("id").and_then(id_text)
    }
}
