//! Real apps: the apps of a script that live `at "url"`, reached over HTTP, beside the
//! simulated ones.
//!
//! ```text
//! app Tracker at "http://127.0.0.1:9001" auth bearer env TRACKER_TOKEN { ticket { title: text } }
//!     # accepted: writes go to the service, with the token from $TRACKER_TOKEN
//! app Tracker at "ftp://tracker" { … }
//!     # rejected before anything runs (R0304): weir speaks HTTP and HTTPS only
//! ```
//!
//! [`Connected`] is what `weir run` and `weir serve` give the engine: each entity goes to the
//! simulator or to its app over HTTP ([`rest`], retrying through [`http`]; every request is
//! built and authenticated by [`connector`], whether the engine sends it or `weir serve`'s
//! outbox does, [`deferred`]). Links between records are kept here for every entity, since an
//! app knows nothing of them.

pub mod auth;
pub mod connector;
pub mod deferred;
pub mod http;
pub mod key;
pub mod mapping;
pub mod notify;
pub mod pages;
pub mod rest;
mod times;
pub mod wire;

use std::collections::HashMap;
use std::sync::Arc;

use crate::codes::Code;
use crate::diagnostic::{self, Diagnostic, Report, help};
use crate::program::{EntityId, FieldId, Program};
use crate::run::apps::{
    AppError, Apps, Record, RecordId, RecordRef, RecordView, Updated, Write, WriteCtx,
};
use crate::run::input::InputEvent;
use crate::run::sim::Simulator;
use crate::run::{Engine, Outcome, Reported};
use crate::value::Value;

pub use http::Policy;
pub use key::IdempotencyKey;
pub use rest::HttpApps;

/// Where the effects of writes to real apps are kept (a journal): each write the app
/// confirmed, at once, and each new entry of the id table.
pub trait Recorder: Send {
    /// A write the app confirmed, by its idempotency key; `record` is the engine's id of the
    /// record written.
    fn action_done(
        &mut self,
        key: &key::IdempotencyKey,
        entity: EntityId,
        method: &'static str,
        record: RecordId,
    );
    /// The engine numbers the app's record `app_id` as `local`.
    fn new_id(&mut self, entity: EntityId, app_id: &str, local: RecordId);
    /// The number for a record the engine has not numbered yet (`app_id` empty: one the app
    /// has not named, a create not yet sent): `least`, the next the engine would give, unless
    /// the journal gives numbers to several servers, which must not give one twice nor an
    /// app's record two.
    fn number(&mut self, entity: EntityId, app_id: &str, least: RecordId) -> RecordId {
        let _ = (entity, app_id);
        least
    }
}

/// An app's base URL, when weir can reach it: http or https, with a host. `weir check` holds
/// scripts to this before anything runs; a journal served before it did is held to it again.
pub fn base_url(text: &str) -> Option<reqwest::Url> {
    reqwest::Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// Why the real apps of a script cannot be used (R0304).
#[derive(Clone, Debug, PartialEq)]
pub enum SetupError {
    MissingToken {
        app: Arc<str>,
        var: Arc<str>,
    },
    MissingSecretFile {
        app: Arc<str>,
        path: String,
    },
    MissingParam {
        app: Arc<str>,
        param: Arc<str>,
        var: Arc<str>,
    },
    BadUrl {
        app: Arc<str>,
        url: String,
    },
    Client(String),
}

impl Report for SetupError {
    fn report(&self) -> Diagnostic {
        let (message, fix) = match self {
            SetupError::MissingToken { app, var } => (
                format!(
                    "`{app}` authenticates with the environment variable `{var}`, which is not set"
                ),
                format!("set it to the app's token before starting weir: `export {var}=…`"),
            ),
            SetupError::MissingSecretFile { app, path } => (
                format!(
                    "`{app}` reads a secret from the file `{path}`, which cannot be read or is empty"
                ),
                format!(
                    "write the secret into `{path}` (readable by weir only: `chmod 600 {path}`)"
                ),
            ),
            SetupError::MissingParam { app, param, var } => (
                format!(
                    "`{app}` takes `{param}` in its paths from the environment variable `{var}`, which is not set"
                ),
                format!(
                    "set it before starting weir: `export {var}=…`, or give the param a default with `else \"…\"`"
                ),
            ),
            SetupError::BadUrl { app, url } => (
                format!("`{app}` is `at {url:?}`, which is not an http or https URL"),
                "write the app's base URL in full, as in `at \"https://tracker.example.com/api\"`"
                    .to_string(),
            ),
            SetupError::Client(reason) => (
                format!("weir cannot make HTTP requests: {reason}"),
                "this is a bug in weir; please report it with the message".to_string(),
            ),
        };
        diagnostic::new(Code::R0304, message).with_notes(vec![help(fix)])
    }
}

/// A fresh instance id: sixteen hex digits, so that idempotency keys of one journal (or one
/// `weir run`) never collide with another's.
pub fn instance_id() -> Arc<str> {
    let mut bytes = [0u8; 8];
    let rng = ring::rand::SystemRandom::new();
    if ring::rand::SecureRandom::fill(&rng, &mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes = (nanos ^ u64::from(std::process::id())).to_le_bytes();
    }
    Arc::from(hex::encode(bytes))
}

/// The simulated apps and the real ones, side by side, with every link.
pub struct Connected {
    sim: Simulator,
    http: Option<HttpApps>,
    /// Per entity: whether it lives in a real app.
    remote: Vec<bool>,
    /// Links that involve a record of a real app, both ways.
    links: HashMap<RecordRef, Vec<RecordRef>>,
    /// Links made since [`Connected::take_new_links`] was last called.
    new_links: Vec<(RecordRef, RecordRef)>,
}

impl Connected {
    /// The apps of a program: real ones where it says `at "url"`, simulated ones elsewhere.
    pub fn new(
        program: &Arc<Program>,
        policy: Policy,
        instance: Arc<str>,
    ) -> Result<Connected, SetupError> {
        let remote: Vec<bool> = program
            .entities
            .iter()
            .map(|e| program.app(e.app).location.is_some())
            .collect();
        let http = if remote.iter().any(|r| *r) {
            Some(HttpApps::new(Arc::clone(program), policy, instance)?)
        } else {
            None
        };
        Ok(Connected {
            sim: Simulator::new(program),
            http,
            remote,
            links: HashMap::new(),
            new_links: Vec::new(),
        })
    }

    /// Every app simulated, `at "url"` or not (`weir test`).
    pub fn simulated(program: &Program) -> Connected {
        Connected {
            sim: Simulator::new(program),
            http: None,
            remote: vec![false; program.entities.len()],
            links: HashMap::new(),
            new_links: Vec::new(),
        }
    }

    pub fn sim(&self) -> &Simulator {
        &self.sim
    }

    pub fn sim_mut(&mut self) -> &mut Simulator {
        &mut self.sim
    }

    pub fn http(&self) -> Option<&HttpApps> {
        self.http.as_ref()
    }

    pub fn http_mut(&mut self) -> Option<&mut HttpApps> {
        self.http.as_mut()
    }

    /// Whether any app is real.
    pub fn has_real_apps(&self) -> bool {
        self.http.is_some()
    }

    /// Links made since the last call, each once.
    pub fn take_new_links(&mut self) -> Vec<(RecordRef, RecordRef)> {
        std::mem::take(&mut self.new_links)
    }

    /// Restores a link (from a journal): kept by the simulator when both records are
    /// simulated, here otherwise.
    pub fn restore_link(&mut self, a: RecordRef, b: RecordRef) {
        if !self.is_remote(a.entity) && !self.is_remote(b.entity) {
            self.sim.link(a, b);
        } else {
            self.add_link(a, b);
        }
    }

    fn add_link(&mut self, a: RecordRef, b: RecordRef) -> bool {
        let list = self.links.entry(a).or_default();
        if list.contains(&b) {
            return false;
        }
        list.push(b);
        self.links.entry(b).or_default().push(a);
        true
    }

    fn is_remote(&self, entity: EntityId) -> bool {
        self.remote.get(entity.0).copied().unwrap_or(false)
    }

    fn http_for(&mut self) -> &mut HttpApps {
        match &mut self.http {
            Some(http) => http,
            None => unreachable!("expected real apps, found none"),
        }
    }
}

/// Runs an input line (`weir run`): a line about a simulated app is a change made to it; one
/// about a real app reports a change the app already made (its `id` is the app's id), so
/// only what it sets off runs.
pub fn run_input(engine: &mut Engine<Connected>, event: InputEvent) -> Outcome {
    if !engine.apps().is_remote(event.entity) {
        return engine.input(event);
    }
    let p = Arc::clone(engine.program());
    let Some(app_id) = event.id else {
        let app = p.app(p.entity(event.entity).app).name.clone();
        return Outcome {
            refused: Some(AppError {
                app: app.clone(),
                reason: format!(
                    "a line about `{app}`, a real app, must name its record by the app's `id`"
                ),
                failed: false,
                read: false,
            }),
            ..Outcome::default()
        };
    };
    let Some(http) = engine.apps().http() else {
        return engine.input(event);
    };
    let mut record = event.record;
    record.id = http.local_id(event.entity, &app_id.to_string());
    engine.receive(Reported {
        kind: event.kind,
        entity: event.entity,
        record,
        actor: event.actor,
        changed: None,
        fresh: false,
    })
}

impl crate::run::sim::HasSimulator for Connected {
    fn simulator(&self) -> &Simulator {
        &self.sim
    }

    fn simulator_mut(&mut self) -> &mut Simulator {
        &mut self.sim
    }
}

impl Apps for Connected {
    fn create(
        &mut self,
        entity: EntityId,
        record: Record,
        id: Option<RecordId>,
    ) -> Result<Record, AppError> {
        if self.is_remote(entity) {
            return self.http_for().create(entity, record);
        }
        self.sim.create(entity, record, id)
    }

    fn insert(&mut self, entity: EntityId, values: &mut Vec<Value>) -> Result<RecordId, AppError> {
        if self.is_remote(entity) {
            let record = Record::take_values(values);
            return self.http_for().create(entity, record).map(|r| r.id);
        }
        self.sim.insert(entity, values)
    }

    fn update(&mut self, at: RecordRef, write: Write) -> Result<Option<Updated>, AppError> {
        if self.is_remote(at.entity) {
            return self.http_for().update(at, write);
        }
        self.sim.update(at, write)
    }

    fn delete(&mut self, at: RecordRef) -> Result<Option<Record>, AppError> {
        if self.is_remote(at.entity) {
            return self.http_for().delete(at);
        }
        self.sim.delete(at)
    }

    fn get(&self, at: RecordRef) -> Result<Option<Record>, AppError> {
        match (&self.http, self.is_remote(at.entity)) {
            (Some(http), true) => http.get(at),
            _ => self.sim.get(at),
        }
    }

    fn exists(&self, at: RecordRef) -> bool {
        match (&self.http, self.is_remote(at.entity)) {
            (Some(http), true) => http.exists(at),
            _ => self.sim.exists(at),
        }
    }

    fn select(
        &self,
        entity: EntityId,
        keep: &mut dyn FnMut(RecordView) -> bool,
    ) -> Result<Vec<Record>, AppError> {
        self.lookup(entity, &[], keep)
    }

    fn lookup(
        &self,
        entity: EntityId,
        equal: &[(FieldId, Value)],
        keep: &mut dyn FnMut(RecordView) -> bool,
    ) -> Result<Vec<Record>, AppError> {
        match (&self.http, self.is_remote(entity)) {
            (Some(http), true) => http.lookup(entity, equal, keep),
            _ => self.sim.lookup(entity, equal, keep),
        }
    }

    fn link(&mut self, a: RecordRef, b: RecordRef) {
        if a == b {
            return;
        }
        if !self.is_remote(a.entity) && !self.is_remote(b.entity) {
            self.sim.link(a, b);
        } else if self.add_link(a, b) {
            self.new_links.push((a, b));
        }
    }

    fn linked(&self, of: RecordRef, out: &mut Vec<RecordRef>) {
        if !self.is_remote(of.entity) {
            self.sim.linked(of, out);
        }
        if let Some(list) = self.links.get(&of) {
            out.extend(
                list.iter()
                    .filter(|r| !out.contains(r))
                    .copied()
                    .collect::<Vec<_>>(),
            );
        }
    }

    fn before_write(&mut self, ctx: WriteCtx) {
        if let Some(http) = &mut self.http {
            http.set_ctx(ctx);
        }
    }

    fn remote(&self, entity: EntityId) -> bool {
        self.is_remote(entity)
    }

    fn call(
        &mut self,
        call: &crate::program::Call,
        args: Record,
    ) -> Result<Option<Record>, AppError> {
        match (&self.http, self.is_remote(call.args)) {
            (Some(http), true) => http.call(call, args),
            _ => Ok(None),
        }
    }

    fn adopt(&mut self, program: &Program) {
        self.sim.adopt(program);
    }
}
