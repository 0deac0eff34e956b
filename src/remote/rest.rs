//! Requests to an app `at "url"`: the engine's writes and lookups, as each entity's
//! [`Mapping`] says (weir's own REST mapping where no `http` block says more).
//!
//! ```text
//! create ticket in Tracker { title: "Printer" }   → POST   {base}/ticket {"title":"Printer"}
//! update ticket in Tracker linked { … }          → PATCH  {base}/ticket/{id} {…}
//! delete ticket in Tracker linked                → DELETE {base}/ticket/{id}   (404: already gone)
//! update ticket in Tracker where title == "x"    → GET    {base}/ticket?title=x, then PATCH each
//! ```
//!
//! The reply's id (at `id`, or where the mapping says) names a record in the app (`"t-7"`,
//! `42`); the engine numbers records per entity as the simulator does (`Tracker/ticket/3`),
//! and the id table maps one to the other. Every write carries
//! `Idempotency-Key: {instance}-{run}/{step}` and `X-Weir-Origin: {engine label}`. A write
//! whose key a journal already holds as done is not sent again: its recorded result is used.
//! How a request is sent again after a failure is [`http`]'s business; how it is
//! authenticated is [`super::auth`]'s, and a `401` fetches a fresh OAuth2 token once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::Value as Json;

use super::connector::Connector;
use super::deferred::Deferred;
use super::http::{self, Jitter, Policy, Reply, Request};
use super::mapping::{Mapping, Piece, show_path};
use super::pages::{Page, Pages};
use super::wire;
use super::{IdempotencyKey, Recorder, SetupError};
use crate::ast::HttpOp;
use crate::program::{EntityId, FieldId, Program};
use crate::run::apps::{
    AppError, Record, RecordId, RecordRef, RecordView, Updated, Write, WriteCtx,
};
use crate::value::Value;

pub use super::wire::id_text;

/// One entity's id table: the app's ids and the engine's numbers.
#[derive(Clone, Debug, Default)]
struct Ids {
    by_app: HashMap<String, RecordId>,
    /// The app's id of record `n` at `n - 1`.
    by_local: Vec<String>,
}

/// The id table of every entity, and where new entries and done writes are recorded.
pub(super) struct Book {
    ids: Vec<Ids>,
    pub(super) recorder: Option<Box<dyn Recorder>>,
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
        let least = ids.by_local.len() as RecordId + 1;
        let local = match &mut self.recorder {
            Some(recorder) => recorder.number(entity, app_id, least).max(1),
            None => least,
        };
        self.learn(entity, app_id, local);
        if let Some(recorder) = &mut self.recorder {
            recorder.new_id(entity, app_id, local);
        }
        local
    }

    /// The app's id of record `local`, learned once its create was sent.
    pub(super) fn learn(&mut self, entity: EntityId, app_id: &str, local: RecordId) {
        let ids = &mut self.ids[entity.0];
        let index = (local as usize).saturating_sub(1);
        if ids.by_local.len() <= index {
            ids.by_local.resize(index + 1, String::new());
        }
        ids.by_local[index] = app_id.to_string();
        if !app_id.is_empty() {
            ids.by_app.insert(app_id.to_string(), local);
        }
    }

    pub(super) fn knows(&self, entity: EntityId, app_id: &str) -> bool {
        self.ids[entity.0].by_app.contains_key(app_id)
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
    pub(super) program: Arc<Program>,
    /// How requests are built and sent, shared with `weir serve`'s outbox.
    pub(super) conn: Arc<Connector>,
    pub(super) jitter: RefCell<Jitter>,
    pub(super) book: RefCell<Book>,
    ctx: WriteCtx,
    instance: Arc<str>,
    /// Writes a journal holds as done, by idempotency key: the record each wrote.
    pub(super) done: HashMap<IdempotencyKey, RecordId>,
    /// Writes kept for later (`weir serve`), when set ([`super::deferred`]).
    pub(super) deferred: Option<Deferred>,
}

impl HttpApps {
    /// Connects to every app `at "url"` of a program; an app whose secret or param is not
    /// set, or whose URL is not one, is an error before anything runs.
    pub fn new(
        program: Arc<Program>,
        policy: Policy,
        instance: Arc<str>,
    ) -> Result<HttpApps, SetupError> {
        let conn = Arc::new(Connector::new(Arc::clone(&program), policy)?);
        let ids = vec![Ids::default(); program.entities.len()];
        Ok(HttpApps {
            program,
            conn,
            jitter: RefCell::new(Jitter::default()),
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
        self.conn.serves(entity)
    }

    /// Where new ids and done writes go from now on.
    pub fn set_recorder(&mut self, recorder: Box<dyn Recorder>) {
        self.book.get_mut().recorder = Some(recorder);
    }

    /// Restores an entry of the id table (from a journal).
    pub fn restore_id(&mut self, entity: EntityId, app_id: &str, local: RecordId) {
        self.book.get_mut().learn(entity, app_id, local);
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

    pub(super) fn key(&self) -> IdempotencyKey {
        IdempotencyKey {
            instance: Arc::clone(&self.instance),
            run: self.ctx.run,
            step: self.ctx.step,
        }
    }

    fn mapping(&self, entity: EntityId) -> &Mapping {
        self.conn.mapping(entity)
    }

    fn refuse(&self, entity: EntityId, reason: String) -> AppError {
        self.conn.refuse(entity, reason)
    }

    fn unreadable(&self, entity: EntityId, reason: String) -> AppError {
        self.conn.unreadable(entity, reason)
    }

    fn send(&self, entity: EntityId, request: Request) -> Result<Reply, AppError> {
        self.conn
            .send(entity, request, &mut self.jitter.borrow_mut())
    }

    fn write_request(&self, method: Method, url: String, body: Option<http::Body>) -> Request<'_> {
        Request {
            method,
            url,
            auth: None,
            key: Some(self.key().to_string()),
            origin: Some(&self.program.engine),
            body,
        }
    }

    fn read_request(url: String) -> Request<'static> {
        Request {
            method: Method::GET,
            url,
            auth: None,
            key: None,
            origin: None,
            body: None,
        }
    }

    fn decode(&self, entity: EntityId, json: &Json) -> Option<(Option<String>, Record)> {
        self.conn.decode(entity, json)
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
        let (method, url) =
            self.conn
                .request_line(entity, HttpOp::Create, None, Some(record.view()))?;
        let body = wire::encode(
            &self.program,
            entity,
            self.mapping(entity),
            record.view(),
            None,
        );
        if self.deferring() {
            record.id = self.local_id(entity, "");
            self.plan(entity, record.id, "create", Some((method, url)), Some(body));
            return Ok(record);
        }
        let request = self.write_request(method.clone(), url.clone(), Some(body));
        let reply = self.send(entity, request)?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(self.refuse(
                entity,
                format!(
                    "{method} {url} answered 404 Not Found: the app has no `{}` here",
                    self.program.entity(entity).name
                ),
            ));
        }
        let json: Json = serde_json::from_slice(&reply.body).unwrap_or(Json::Null);
        let id_at = &self.mapping(entity).id_at;
        let Some(app_id) = super::mapping::get(&json, id_at).and_then(id_text) else {
            return Err(self.refuse(entity, self.conn.no_id(entity, &method, &url, reply.status)));
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
        let mapping = self.mapping(at.entity);
        let body = wire::encode(
            &self.program,
            at.entity,
            mapping,
            sent.view(),
            Some(&write.fields),
        );
        let line = match &app_id {
            Some(id) => Some(
                self.conn
                    .request_line(at.entity, HttpOp::Update, Some(id), None)?,
            ),
            None => None,
        };
        if self.deferring() {
            self.plan(at.entity, at.id, "update", line, Some(body));
            return Ok(Some(Updated {
                record: sent,
                changed,
            }));
        }
        let Some((method, url)) = line else {
            return Ok(None);
        };
        let request = self.write_request(method, url, Some(body));
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
        let line = match &app_id {
            Some(id) => Some(
                self.conn
                    .request_line(at.entity, HttpOp::Delete, Some(id), None)?,
            ),
            None => None,
        };
        if self.deferring() {
            self.plan(at.entity, at.id, "delete", line, None);
            return Ok(Some(old));
        }
        let Some((method, url)) = line else {
            return Ok(None);
        };
        let request = self.write_request(method, url, None);
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
        let (_, url) = self
            .conn
            .request_line(at.entity, HttpOp::Read, Some(&app_id), None)?;
        let reply = self.send(at.entity, Self::read_request(url.clone()))?;
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

    /// A call: its arguments in the path, then as a query (`GET`, `DELETE`) or a body; its
    /// reply as a record of the reply entity. A `404` is an empty reply (a lookup that found
    /// no one); it carries no idempotency key, since a call is not one of a run's writes.
    pub(super) fn call(
        &self,
        call: &crate::program::Call,
        args: Record,
    ) -> Result<Option<Record>, AppError> {
        self.settle(call.args)?;
        let (method, mut url) =
            self.conn
                .request_line(call.args, HttpOp::Create, None, Some(args.view()))?;
        let mapping = self.mapping(call.args);
        let in_path: Vec<FieldId> = mapping
            .route(HttpOp::Create)
            .map(|r| {
                r.path
                    .iter()
                    .filter_map(|p| match p {
                        Piece::Field(f) => Some(*f),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let read = matches!(method, Method::GET | Method::DELETE);
        let body = if read {
            let mut parsed = reqwest::Url::parse(&url)
                .map_err(|err| self.refuse(call.args, format!("{url} is not a URL: {err}")))?;
            {
                let mut query = parsed.query_pairs_mut();
                for (i, value) in args.fields().iter().enumerate() {
                    if *value != Value::None && !in_path.contains(&FieldId(i)) {
                        query.append_pair(&show_path(&mapping.wire[i]), &value.to_plain_text());
                    }
                }
            }
            url = parsed.to_string();
            None
        } else {
            Some(wire::encode(
                &self.program,
                call.args,
                mapping,
                args.view(),
                None,
            ))
        };
        let request = Request {
            method: method.clone(),
            url: url.clone(),
            auth: None,
            key: None,
            origin: Some(&self.program.engine),
            body,
        };
        let reply = self.send(call.args, request)?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let json: Json = serde_json::from_slice(&reply.body).unwrap_or(Json::Null);
        match self.decode(call.reply, &json) {
            Some((_, record)) => Ok(Some(record)),
            None => Err(self.unreadable(
                call.args,
                format!(
                    "{method} {url} answered {} without a reply that fits the call `{}`'s `returns`",
                    reply.status, call.name
                ),
            )),
        }
    }

    /// The records `keep` says yes to, page after page: each page is read, filtered and
    /// dropped before the next is asked for, so a long list is never held whole.
    pub(super) fn lookup(
        &self,
        entity: EntityId,
        equal: &[(FieldId, Value)],
        keep: &mut dyn FnMut(RecordView) -> bool,
    ) -> Result<Vec<Record>, AppError> {
        self.settle(entity)?;
        let mapping = self.mapping(entity);
        let (_, first) = self.conn.request_line(entity, HttpOp::List, None, None)?;
        let mut url = reqwest::Url::parse(&first)
            .map_err(|err| self.refuse(entity, format!("{first} is not a URL: {err}")))?;
        let filters: Vec<&(FieldId, Value)> = equal
            .iter()
            .filter(|(f, _)| mapping.filter.as_ref().is_none_or(|only| only.contains(f)))
            .collect();
        if !filters.is_empty() {
            let mut query = url.query_pairs_mut();
            for (field, value) in filters {
                query.append_pair(&show_path(&mapping.wire[field.0]), &value.to_plain_text());
            }
        }
        let mut found = Vec::new();
        self.list_from(entity, url, &mut |app_id, mut record| {
            record.id = self.local_id(entity, &app_id);
            if keep(record.view()) {
                found.push(record);
            }
        })?;
        Ok(found)
    }

    /// Every record of an entity's list with its id in the app, page after page; with
    /// `since`, the list asks for the records changed since then (`?updated_since=…`).
    /// `weir serve` and `weir run --poll-once` poll through it.
    pub fn poll_list(
        &self,
        entity: EntityId,
        since: Option<(&str, String)>,
    ) -> Result<Vec<(String, Record)>, AppError> {
        let (_, first) = self.conn.request_line(entity, HttpOp::List, None, None)?;
        let mut url = reqwest::Url::parse(&first)
            .map_err(|err| self.refuse(entity, format!("{first} is not a URL: {err}")))?;
        if let Some((param, value)) = since {
            url.query_pairs_mut().append_pair(param, &value);
        }
        let mut found = Vec::new();
        self.list_from(entity, url, &mut |app_id, record| {
            found.push((app_id, record))
        })?;
        Ok(found)
    }

    /// Reads the list at `url` page after page, handing each record with its id in the app
    /// to `each` before the next page is asked for.
    fn list_from(
        &self,
        entity: EntityId,
        mut url: reqwest::Url,
        each: &mut dyn FnMut(String, Record),
    ) -> Result<(), AppError> {
        let mapping = self.mapping(entity);
        let first = url.to_string();
        let mut pages = Pages::new(mapping.paging.as_ref(), url.clone());
        loop {
            let reply = self.send(entity, Self::read_request(url.to_string()))?;
            if reply.status == StatusCode::NOT_FOUND {
                return Ok(());
            }
            let json: Json = serde_json::from_slice(&reply.body).map_err(|_| {
                self.unreadable(
                    entity,
                    format!("GET {url} did not answer with JSON records"),
                )
            })?;
            let items = wire::records(mapping, &json).map_err(|wanted| {
                self.unreadable(
                    entity,
                    format!(
                        "GET {url} answered {} without {wanted}; say where the records are with `records at \"…\"` in `http {}`",
                        reply.status,
                        self.program.entity(entity).name
                    ),
                )
            })?;
            let mut last_id = None;
            for item in items {
                let Some((app_id, record)) = self.decode(entity, item) else {
                    continue;
                };
                let Some(app_id) = app_id else {
                    if mapping.declared {
                        return Err(self.unreadable(
                            entity,
                            format!(
                                "GET {url} answered with a record without its id at `{}`; say where it is with `id at \"…\"` in `http {}`",
                                show_path(&mapping.id_at),
                                self.program.entity(entity).name
                            ),
                        ));
                    }
                    continue;
                };
                last_id = Some(app_id.clone());
                each(app_id, record);
            }
            let page = Page {
                json: &json,
                link: reply.link.as_deref(),
                records: items,
                last_id,
            };
            match pages.next(&page) {
                Ok(Some(next)) => url = next,
                Ok(None) => return Ok(()),
                Err(why) => {
                    return Err(self.unreadable(entity, format!("the list at {first} {why}")));
                }
            }
        }
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

#[cfg(test)]
mod numbering {
    use super::*;

    /// A journal that gives the numbers it was told to, in turn.
    struct Given(Vec<RecordId>);

    impl Recorder for Given {
        fn action_done(&mut self, _: &IdempotencyKey, _: EntityId, _: &'static str, _: RecordId) {}
        fn new_id(&mut self, _: EntityId, _: &str, _: RecordId) {}
        fn number(&mut self, _: EntityId, _: &str, _: RecordId) -> RecordId {
            self.0.remove(0)
        }
    }

    fn book(recorder: Option<Box<dyn Recorder>>) -> Book {
        Book {
            ids: vec![Ids::default()],
            recorder,
        }
    }

    #[test]
    fn records_are_numbered_by_the_journal_where_it_numbers_them_for_several_servers() {
        let contact = EntityId(0);
        let mut shared = book(Some(Box::new(Given(vec![5, 2]))));
        assert_eq!(shared.local(contact, "c-3"), 5);
        // Numbered once: the journal is not asked again.
        assert_eq!(shared.local(contact, "c-3"), 5);
        assert_eq!(shared.local(contact, ""), 2);
        assert_eq!(shared.app_id(RecordRef::new(contact, 5)), Some("c-3"));
        assert_eq!(shared.app_id(RecordRef::new(contact, 2)), None);
        let mut alone = book(None);
        assert_eq!(
            (alone.local(contact, "c-3"), alone.local(contact, "c-4")),
            (1, 2)
        );
    }
}
