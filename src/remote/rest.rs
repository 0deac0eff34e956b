//! The REST mapping: the engine's writes and lookups as requests to an app `at "url"`.
//!
//! ```text
//! create ticket in Tracker { title: "Printer" }   → POST   {base}/ticket {"title":"Printer"}
//! update ticket in Tracker linked { … }          → PATCH  {base}/ticket/{id} {…}
//! delete ticket in Tracker linked                → DELETE {base}/ticket/{id}   (404: already gone)
//! update ticket in Tracker where title == "x"    → GET    {base}/ticket?title=x, then PATCH each
//! ```
//!
//! The reply's JSON `id` names a record in the app (`"t-7"`, `42`); the engine numbers records
//! per entity as the simulator does (`Tracker/ticket/3`), and the id table maps one to the
//! other. Every write carries `Idempotency-Key: {instance}-{run}/{step}` and
//! `X-Weir-Origin: {engine label}`. A write whose key a journal already holds as done is not
//! sent again: its recorded result is used.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use reqwest::blocking::Client;
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value as Json};

use super::deferred::{Deferred, Learned, Planned, WriteSender};
use super::http::{self, Failed, Jitter, Policy, Reply, Request};
use super::{IdempotencyKey, Recorder, SetupError};
use crate::program::{EntityId, FieldId, Program};
use crate::run::apps::{
    AppError, Record, RecordId, RecordRef, RecordView, Updated, Write, WriteCtx,
};
use crate::run::input;
use crate::value::Value;

/// Where one app lives.
#[derive(Clone, Debug)]
pub(super) struct Endpoint {
    base: String,
    pub(super) token: Option<String>,
}

/// One entity's id table: the app's ids and the engine's numbers.
#[derive(Clone, Debug, Default)]
struct Ids {
    by_app: HashMap<String, RecordId>,
    /// The app's id of record `n` at `n - 1`.
    by_local: Vec<String>,
}

/// The id table of every entity, and where new entries and done writes are recorded.
struct Book {
    ids: Vec<Ids>,
    recorder: Option<Box<dyn Recorder>>,
}

impl Book {
    /// The engine's number for an app's id, given out on first sight.
    /// An empty `app_id` (an event that did not say) gets a number of its own, which the app
    /// cannot be asked about.
    fn local(&mut self, entity: EntityId, app_id: &str) -> RecordId {
        let ids = &mut self.ids[entity.0];
        if let Some(local) = ids.by_app.get(app_id) {
            return *local;
        }
        ids.by_local.push(app_id.to_string());
        let local = ids.by_local.len() as RecordId;
        if !app_id.is_empty() {
            ids.by_app.insert(app_id.to_string(), local);
        }
        if let Some(recorder) = &mut self.recorder {
            recorder.new_id(entity, app_id, local);
        }
        local
    }

    fn app_id(&self, at: RecordRef) -> Option<&str> {
        let index = usize::try_from(at.id.checked_sub(1)?).ok()?;
        self.ids
            .get(at.entity.0)?
            .by_local
            .get(index)
            .map(String::as_str)
            .filter(|id| !id.is_empty())
    }
}

/// The apps of a program that live `at "url"`.
pub struct HttpApps {
    program: Arc<Program>,
    client: Client,
    policy: Policy,
    jitter: RefCell<Jitter>,
    endpoints: Vec<Option<Endpoint>>,
    book: RefCell<Book>,
    ctx: WriteCtx,
    instance: Arc<str>,
    /// Writes a journal holds as done, by idempotency key: the record each wrote.
    done: HashMap<IdempotencyKey, RecordId>,
    /// Writes kept for later (`weir serve`), when set ([`super::deferred`]).
    deferred: Option<Deferred>,
}

impl HttpApps {
    /// Connects to every app `at "url"` of a program; an app whose token variable is not set,
    /// or whose URL is not one, is an error before anything runs.
    pub fn new(
        program: Arc<Program>,
        policy: Policy,
        instance: Arc<str>,
    ) -> Result<HttpApps, SetupError> {
        let mut endpoints = Vec::new();
        for app in &program.apps {
            let Some(location) = &app.location else {
                endpoints.push(None);
                continue;
            };
            let url = reqwest::Url::parse(&location.url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            if url.is_none() {
                return Err(SetupError::BadUrl {
                    app: app.name.clone(),
                    url: location.url.clone(),
                });
            }
            let token = match &location.bearer_env {
                None => None,
                Some(var) => match std::env::var(&**var) {
                    Ok(token) if !token.is_empty() => Some(token),
                    _ => {
                        return Err(SetupError::MissingToken {
                            app: app.name.clone(),
                            var: var.clone(),
                        });
                    }
                },
            };
            endpoints.push(Some(Endpoint {
                base: location.url.trim_end_matches('/').to_string(),
                token,
            }));
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Client::builder()
            .connect_timeout(policy.timeout)
            .user_agent(concat!("weir/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| SetupError::Client(err.to_string()))?;
        let ids = vec![Ids::default(); program.entities.len()];
        Ok(HttpApps {
            program,
            client,
            policy,
            jitter: RefCell::new(Jitter::default()),
            endpoints,
            book: RefCell::new(Book {
                ids,
                recorder: None,
            }),
            ctx: WriteCtx::default(),
            instance,
            done: HashMap::new(),
            deferred: None,
        })
    }

    /// Whether an entity lives in a real app.
    pub fn serves(&self, entity: EntityId) -> bool {
        let app = self.program.entity(entity).app;
        self.endpoints.get(app.0).is_some_and(Option::is_some)
    }

    /// Where new ids and done writes go from now on.
    pub fn set_recorder(&mut self, recorder: Box<dyn Recorder>) {
        self.book.get_mut().recorder = Some(recorder);
    }

    /// Restores an entry of the id table (from a journal).
    pub fn restore_id(&mut self, entity: EntityId, app_id: &str, local: RecordId) {
        let ids = &mut self.book.get_mut().ids[entity.0];
        let index = (local as usize).saturating_sub(1);
        if ids.by_local.len() <= index {
            ids.by_local.resize(index + 1, String::new());
        }
        ids.by_local[index] = app_id.to_string();
        if !app_id.is_empty() {
            ids.by_app.insert(app_id.to_string(), local);
        }
    }

    /// Restores a write that a journal holds as done, so that it is not sent again.
    pub fn restore_done(&mut self, key: IdempotencyKey, local: RecordId) {
        self.done.insert(key, local);
    }

    /// The engine's number for a record the app names `app_id` (new ids are recorded).
    pub fn local_id(&self, entity: EntityId, app_id: &str) -> RecordId {
        self.book.borrow_mut().local(entity, app_id)
    }

    /// The app's id of a record.
    pub fn app_id(&self, at: RecordRef) -> Option<String> {
        self.book.borrow().app_id(at).map(String::from)
    }

    pub(super) fn set_ctx(&mut self, ctx: WriteCtx) {
        self.ctx = ctx;
    }

    fn key(&self) -> IdempotencyKey {
        IdempotencyKey {
            instance: Arc::clone(&self.instance),
            run: self.ctx.run,
            step: self.ctx.step,
        }
    }

    fn endpoint(&self, entity: EntityId) -> &Endpoint {
        let app = self.program.entity(entity).app;
        match self.endpoints.get(app.0) {
            Some(Some(endpoint)) => endpoint,
            _ => unreachable!("expected an app at a URL, found {:?}", app),
        }
    }

    fn url(&self, entity: EntityId, app_id: Option<&str>) -> String {
        let base = &self.endpoint(entity).base;
        let name = &self.program.entity(entity).name;
        match app_id {
            Some(id) => record_url(&format!("{base}/{name}"), id),
            None => format!("{base}/{name}"),
        }
    }

    fn refuse(&self, entity: EntityId, reason: String) -> AppError {
        let app = self.program.entity(entity).app;
        AppError {
            app: self.program.app(app).name.clone(),
            reason,
            failed: false,
            read: false,
        }
    }

    /// A read the app answered with something that is not a record.
    fn unreadable(&self, entity: EntityId, reason: String) -> AppError {
        AppError {
            read: true,
            ..self.refuse(entity, reason)
        }
    }

    fn send(&self, entity: EntityId, request: Request) -> Result<Reply, AppError> {
        let read = request.method == Method::GET;
        let mut jitter = self.jitter.borrow_mut();
        http::send(&self.client, &self.policy, &mut jitter, &request).map_err(
            |Failed { reason, refused }| AppError {
                failed: !refused,
                read,
                ..self.refuse(entity, reason)
            },
        )
    }

    fn write_request(
        &self,
        entity: EntityId,
        method: Method,
        url: String,
        body: Option<Vec<u8>>,
    ) -> Request<'_> {
        Request {
            method,
            url,
            token: self.endpoint(entity).token.as_deref(),
            key: Some(self.key().to_string()),
            origin: Some(&self.program.engine),
            body,
        }
    }

    /// A record from the app's JSON, with the fields the script knows; `None` where it is
    /// not a record.
    fn decode(&self, entity: EntityId, json: &Json) -> Option<(Option<String>, Record)> {
        let object = json.as_object()?;
        let e = self.program.entity(entity);
        let app_id = object.get("id").and_then(id_text);
        let known: Map<String, Json> = object
            .iter()
            .filter(|(k, _)| *k != "id" && (!e.declared || e.field_named(k).is_some()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let (record, _, _) =
            input::decode_record(&self.program, entity, Json::Object(known)).ok()?;
        Some((app_id, record))
    }

    /// Remembers a write the app confirmed, here and in the journal, so that it is not sent
    /// again when its run runs again.
    fn record_done(&mut self, entity: EntityId, method: &'static str, local: RecordId) {
        let key = self.key();
        if let Some(recorder) = &mut self.book.get_mut().recorder {
            recorder.action_done(&key, entity, method, local);
        }
        self.done.insert(key, local);
    }

    pub(super) fn create(&mut self, entity: EntityId, record: Record) -> Result<Record, AppError> {
        let mut record = record;
        if let Some(local) = self.done.get(&self.key()) {
            record.id = *local;
            return Ok(record);
        }
        let body = body(&self.program, entity, record.view(), None);
        if self.deferred.is_some() {
            record.id = self.local_id(entity, "");
            self.plan(entity, record.id, "create", None, Some(body));
            return Ok(record);
        }
        let request = self.write_request(entity, Method::POST, self.url(entity, None), Some(body));
        let reply = self.send(entity, request)?;
        if reply.status == StatusCode::NOT_FOUND {
            let url = self.url(entity, None);
            return Err(self.refuse(
                entity,
                format!(
                    "POST {url} answered 404 Not Found: the app has no `{}` here",
                    self.program.entity(entity).name
                ),
            ));
        }
        let json: Json = serde_json::from_slice(&reply.body).unwrap_or(Json::Null);
        let Some(app_id) = json.get("id").and_then(id_text) else {
            return Err(self.refuse(
                entity,
                format!(
                    "POST {} answered {} without the new record's `id` in a JSON object",
                    self.url(entity, None),
                    reply.status
                ),
            ));
        };
        let local = self.local_id(entity, &app_id);
        self.record_done(entity, "create", local);
        let mut created = match self.decode(entity, &json) {
            Some((_, decoded)) => merge(record, decoded),
            None => record,
        };
        created.id = local;
        Ok(created)
    }

    pub(super) fn update(
        &mut self,
        at: RecordRef,
        write: Write,
    ) -> Result<Option<Updated>, AppError> {
        let app_id = self.app_id(at);
        if app_id.is_none() && !self.is_pending(at) {
            return Ok(None);
        }
        let changed: Arc<[FieldId]> = write.fields.iter().map(|(f, _)| *f).collect();
        let e = self.program.entity(at.entity);
        let mut sent = Record::empty(e.fields.len());
        sent.id = at.id;
        for (field, value) in &write.fields {
            sent.set(*field, value.clone());
        }
        for (name, value) in &write.extras {
            sent.set_extra(name.clone(), value.clone());
        }
        if self.done.contains_key(&self.key()) {
            return Ok(Some(Updated {
                record: sent,
                changed,
            }));
        }
        let body = body(&self.program, at.entity, sent.view(), Some(&write.fields));
        let url = match app_id {
            Some(app_id) => self.url(at.entity, Some(&app_id)),
            None => String::new(),
        };
        if self.deferred.is_some() {
            let url = (!url.is_empty()).then_some(url);
            self.plan(at.entity, at.id, "update", url, Some(body));
            return Ok(Some(Updated {
                record: sent,
                changed,
            }));
        }
        let request = self.write_request(at.entity, Method::PATCH, url, Some(body));
        let reply = self.send(at.entity, request)?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        self.record_done(at.entity, "update", at.id);
        let json: Json = serde_json::from_slice(&reply.body).unwrap_or(Json::Null);
        let mut record = match self.decode(at.entity, &json) {
            Some((_, decoded)) => merge(sent, decoded),
            None => sent,
        };
        record.id = at.id;
        Ok(Some(Updated { record, changed }))
    }

    pub(super) fn delete(&mut self, at: RecordRef) -> Result<Option<Record>, AppError> {
        let app_id = self.app_id(at);
        if app_id.is_none() && !self.is_pending(at) {
            return Ok(None);
        }
        let e = self.program.entity(at.entity);
        let mut old = Record::empty(e.fields.len());
        old.id = at.id;
        if self.done.contains_key(&self.key()) {
            return Ok(Some(old));
        }
        if self.deferred.is_some() {
            let url = app_id.map(|id| self.url(at.entity, Some(&id)));
            self.plan(at.entity, at.id, "delete", url, None);
            return Ok(Some(old));
        }
        let Some(app_id) = app_id else {
            return Ok(None);
        };
        let url = self.url(at.entity, Some(&app_id));
        let request = self.write_request(at.entity, Method::DELETE, url, None);
        let reply = self.send(at.entity, request)?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        self.record_done(at.entity, "delete", at.id);
        let json: Json = serde_json::from_slice(&reply.body).unwrap_or(Json::Null);
        if let Some((_, decoded)) = self.decode(at.entity, &json) {
            old = decoded;
            old.id = at.id;
        }
        Ok(Some(old))
    }

    /// A record as the app has it: `None` for a 404 (or an id the app never gave); a read that
    /// got no answer (retried as writes are) or no record is an error, never a record gone.
    pub(super) fn get(&self, at: RecordRef) -> Result<Option<Record>, AppError> {
        self.settle(at.entity)?;
        let Some(app_id) = self.app_id(at) else {
            return Ok(None);
        };
        let url = self.url(at.entity, Some(&app_id));
        let request = Request {
            method: Method::GET,
            url: url.clone(),
            token: self.endpoint(at.entity).token.as_deref(),
            key: None,
            origin: None,
            body: None,
        };
        let reply = self.send(at.entity, request)?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let record = serde_json::from_slice::<Json>(&reply.body)
            .ok()
            .and_then(|json| self.decode(at.entity, &json));
        let Some((_, mut record)) = record else {
            return Err(self.unreadable(
                at.entity,
                format!(
                    "GET {url} answered {} without the record as a JSON object of its fields",
                    reply.status
                ),
            ));
        };
        record.id = at.id;
        Ok(Some(record))
    }

    pub(super) fn exists(&self, at: RecordRef) -> bool {
        self.book.borrow().app_id(at).is_some() || self.is_pending(at)
    }

    pub(super) fn lookup(
        &self,
        entity: EntityId,
        equal: &[(FieldId, Value)],
        keep: &mut dyn FnMut(RecordView) -> bool,
    ) -> Result<Vec<Record>, AppError> {
        self.settle(entity)?;
        let e = self.program.entity(entity);
        let mut url = reqwest::Url::parse(&self.url(entity, None))
            .map_err(|err| self.refuse(entity, err.to_string()))?;
        if !equal.is_empty() {
            let mut query = url.query_pairs_mut();
            for (field, value) in equal {
                query.append_pair(&e.fields[field.0].name, &value.to_plain_text());
            }
        }
        let request = Request {
            method: Method::GET,
            url: url.to_string(),
            token: self.endpoint(entity).token.as_deref(),
            key: None,
            origin: None,
            body: None,
        };
        let reply = self.send(entity, request)?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(Vec::new());
        }
        let json: Json = serde_json::from_slice(&reply.body).map_err(|_| {
            self.unreadable(
                entity,
                format!("GET {url} did not answer with JSON records"),
            )
        })?;
        let items = match &json {
            Json::Array(items) => items.as_slice(),
            Json::Object(o) => ["items", "records", "data"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Json::as_array))
                .map_or(&[][..], Vec::as_slice),
            _ => &[],
        };
        let mut found = Vec::new();
        for item in items {
            let Some((Some(app_id), mut record)) = self.decode(entity, item) else {
                continue;
            };
            record.id = self.local_id(entity, &app_id);
            if keep(record.view()) {
                found.push(record);
            }
        }
        Ok(found)
    }
}

/// Deferred writes (`weir serve`, [`super::deferred`]): the scheduling seam of the mapping.
impl HttpApps {
    /// From now on, writes are planned rather than sent ([`Self::take_planned`]).
    pub fn defer_writes(&mut self, waiting: Arc<super::deferred::Waiting>) {
        self.deferred = Some(Deferred::new(waiting));
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
            let mut book = self.book.borrow_mut();
            let ids = &mut book.ids[l.entity.0];
            let index = (l.local as usize).saturating_sub(1);
            if ids.by_local.len() <= index {
                ids.by_local.resize(index + 1, String::new());
            }
            ids.by_local[index] = app_id.clone();
            ids.by_app.insert(app_id.clone(), l.local);
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
        self.book.borrow().ids[entity.0].by_app.contains_key(app_id)
    }

    fn is_pending(&self, at: RecordRef) -> bool {
        self.deferred
            .as_ref()
            .is_some_and(|d| d.pending.borrow().contains(&at))
    }

    fn plan(
        &self,
        entity: EntityId,
        local: RecordId,
        method: &'static str,
        url: Option<String>,
        body: Option<Vec<u8>>,
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
            url,
            collection: self.url(entity, None),
            body,
        });
    }

    /// Before a read: every write planned so far is sent, the outbox's first, then those of
    /// the event running, so that the read sees them.
    fn settle(&self, entity: EntityId) -> Result<(), AppError> {
        let Some(d) = &self.deferred else {
            return Ok(());
        };
        d.waiting.settle().map_err(|_| AppError {
            failed: true,
            read: true,
            ..self.refuse(entity, "weir is stopping before the read".into())
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
        let url = match (&write.url, self.app_id(at)) {
            (Some(url), _) => url.clone(),
            (None, Some(id)) => record_url(&write.collection, &id),
            (None, None) if write.method == "create" => write.collection.clone(),
            (None, None) => {
                let reason = format!("{} was never created in the app", at.show(&self.program));
                return Err(self.refuse(write.entity, reason));
            }
        };
        let request = Request {
            method: write.http_method(),
            url,
            token: self.endpoint(write.entity).token.as_deref(),
            key: Some(write.key.to_string()),
            origin: Some(&self.program.engine),
            body: write.body.clone(),
        };
        let reply = self.send(write.entity, request)?;
        let mut learned = Learned {
            entity: write.entity,
            local: write.local,
            app_id: None,
            done: None,
        };
        if write.method == "create" {
            let json: Json = serde_json::from_slice(&reply.body).unwrap_or(Json::Null);
            let app_id = json
                .get("id")
                .and_then(id_text)
                .filter(|_| reply.status.is_success());
            let Some(app_id) = app_id else {
                return Err(self.refuse(
                    write.entity,
                    format!(
                        "POST {} answered {} without the new record's `id` in a JSON object",
                        write.collection, reply.status
                    ),
                ));
            };
            if let Some(recorder) = &mut self.book.borrow_mut().recorder {
                recorder.new_id(write.entity, &app_id, write.local);
            }
            learned.app_id = Some(app_id);
        }
        if reply.status != StatusCode::NOT_FOUND {
            if let Some(recorder) = &mut self.book.borrow_mut().recorder {
                recorder.action_done(&write.key, write.entity, write.method, write.local);
            }
            learned.done = Some(write.key.clone());
        }
        Ok(learned)
    }
}

impl HttpApps {
    /// What sends this app's planned writes from other threads.
    pub fn write_sender(&self) -> WriteSender {
        WriteSender::new(
            Arc::clone(&self.program),
            self.client.clone(),
            self.policy,
            Arc::new(self.endpoints.clone()),
        )
    }
}

/// The fields the app's reply gave, over those that were sent.
fn merge(sent: Record, reply: Record) -> Record {
    let mut out = sent;
    for (i, value) in reply.fields().iter().enumerate() {
        if *value != Value::None {
            out.set(FieldId(i), value.clone());
        }
    }
    for (name, value) in reply.extras() {
        out.set_extra(name.clone(), value.clone());
    }
    out
}

/// An app's id as text: `"t-7"` or `42`.
pub fn id_text(json: &Json) -> Option<String> {
    match json {
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The JSON a write sends: every field with a value (for an update, the fields it writes).
fn body(
    program: &Program,
    entity: EntityId,
    record: RecordView,
    only: Option<&[(FieldId, Value)]>,
) -> Vec<u8> {
    let e = program.entity(entity);
    let mut map = Map::new();
    for (i, (field, value)) in e.fields.iter().zip(record.fields).enumerate() {
        let written = only.is_none_or(|fields| fields.iter().any(|(f, _)| f.0 == i));
        if written && (*value != Value::None || only.is_some()) {
            map.insert(field.name.to_string(), value.as_json());
        }
    }
    for (name, value) in record.extras() {
        map.insert(name.to_string(), value.as_json());
    }
    serde_json::to_vec(&Json::Object(map)).unwrap_or_default()
}

/// The URL of a record in its entity's URL.
pub fn record_url(collection: &str, app_id: &str) -> String {
    format!("{collection}/{}", encode_segment(app_id))
}

/// An id as one path segment: every byte but the unreserved ones (RFC 3986) percent-encoded.
fn encode_segment(id: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    utf8_percent_encode(id, SEGMENT).to_string()
}
