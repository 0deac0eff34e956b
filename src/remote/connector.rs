//! What every request to a real app is built and sent with: where each app lives, its
//! credentials, each entity's [`Mapping`] and the values of its params, and one client whose
//! connections are kept. [`super::HttpApps`] sends through it while a run waits; `weir serve`'s
//! outbox sends the writes it planned through the same [`Connector`] from other threads
//! ([`Connector::attempt`]), so a request is built in one place whichever sends it.

use std::sync::Arc;

use reqwest::blocking::Client;
use reqwest::{Method, StatusCode};
use serde_json::Value as Json;

use super::SetupError;
use super::auth::Credentials;
use super::http::{self, Attempt, Failed, Jitter, Policy, Reply, Request};
use super::mapping::{Mapping, Piece, show_path};
use super::wire;
use crate::ast::HttpOp;
use crate::program::{EntityId, Program};
use crate::run::apps::{AppError, Record, RecordView};
use crate::value::Value;

/// Where one app lives, and what authenticates its requests.
#[derive(Debug)]
pub(super) struct Endpoint {
    base: String,
    credentials: Credentials,
}

/// An entity's mapping and the values of its params.
#[derive(Clone, Debug)]
pub(super) struct EntityHttp {
    pub(super) mapping: Arc<Mapping>,
    pub(super) params: Vec<String>,
}

/// The apps of a program that live `at "url"`, as requests reach them.
pub struct Connector {
    pub(super) program: Arc<Program>,
    pub(super) client: Client,
    pub(super) policy: Policy,
    endpoints: Vec<Option<Endpoint>>,
    /// Per entity of a real app: its mapping.
    entities: Vec<Option<EntityHttp>>,
}

impl Connector {
    /// Connects to every app `at "url"` of a program; an app whose secret or param is not
    /// set, or whose URL is not one, is an error before anything runs.
    pub fn new(program: Arc<Program>, policy: Policy) -> Result<Connector, SetupError> {
        let mut endpoints = Vec::new();
        let mut entities = vec![None; program.entities.len()];
        for app in &program.apps {
            let Some(location) = &app.location else {
                endpoints.push(None);
                continue;
            };
            if super::base_url(&location.url).is_none() {
                return Err(SetupError::BadUrl {
                    app: app.name.clone(),
                    url: location.url.clone(),
                });
            }
            let credentials = Credentials::new(&app.name, location.auth.as_ref())?;
            for (entity, mapping) in &location.mappings {
                let params = mapping
                    .params
                    .iter()
                    .map(|p| match std::env::var(&*p.env) {
                        Ok(value) if !value.is_empty() => Ok(value),
                        _ => p.default.clone().ok_or_else(|| SetupError::MissingParam {
                            app: app.name.clone(),
                            param: p.name.clone(),
                            var: p.env.clone(),
                        }),
                    })
                    .collect::<Result<_, _>>()?;
                entities[entity.0] = Some(EntityHttp {
                    mapping: Arc::clone(mapping),
                    params,
                });
            }
            endpoints.push(Some(Endpoint {
                base: location.url.trim_end_matches('/').to_string(),
                credentials,
            }));
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Client::builder()
            .connect_timeout(policy.timeout)
            .user_agent(concat!("weir/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| SetupError::Client(err.to_string()))?;
        Ok(Connector {
            program,
            client,
            policy,
            endpoints,
            entities,
        })
    }

    /// Whether an entity lives in a real app.
    pub fn serves(&self, entity: EntityId) -> bool {
        let app = self.program.entity(entity).app;
        self.endpoints.get(app.0).is_some_and(Option::is_some)
    }

    /// The app (its index in the program) an entity's requests go to.
    pub fn app_of(&self, entity: EntityId) -> usize {
        self.program.entity(entity).app.0
    }

    pub fn program(&self) -> &Program {
        &self.program
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn endpoint(&self, entity: EntityId) -> &Endpoint {
        let app = self.program.entity(entity).app;
        match self.endpoints.get(app.0) {
            Some(Some(endpoint)) => endpoint,
            _ => unreachable!("expected an app at a URL, found {:?}", app),
        }
    }

    pub(super) fn http_of(&self, entity: EntityId) -> &EntityHttp {
        match self.entities.get(entity.0) {
            Some(Some(http)) => http,
            _ => unreachable!("expected an entity of an app at a URL, found {entity:?}"),
        }
    }

    pub(super) fn mapping(&self, entity: EntityId) -> &Mapping {
        &self.http_of(entity).mapping
    }

    /// The method and URL of an operation on an entity: `{id}` is the record's id in the
    /// app, `{field}` a field of the record being created, `{param}` a param's value.
    pub(super) fn request_line(
        &self,
        entity: EntityId,
        op: HttpOp,
        app_id: Option<&str>,
        record: Option<RecordView>,
    ) -> Result<(Method, String), AppError> {
        let http = self.http_of(entity);
        let e = self.program.entity(entity);
        let Some(route) = http.mapping.route(op) else {
            return Err(self.refuse(
                entity,
                format!(
                    "its mapping of `{}` has no `{}` request; add one to `http {}`",
                    e.name,
                    op.word(),
                    e.name
                ),
            ));
        };
        let mut url = self.endpoint(entity).base.clone();
        for piece in &route.path {
            match piece {
                Piece::Text(text) => url.push_str(text),
                Piece::Id => url.push_str(&encode_segment(app_id.unwrap_or_default())),
                Piece::Param(i) => url.push_str(&encode_param(&http.params[*i])),
                Piece::Field(field) => {
                    let value = record.map_or(&Value::None, |r| r.get(*field));
                    if *value == Value::None {
                        return Err(self.refuse(
                            entity,
                            format!(
                                "the path of `{}` takes `{}`, which this record has no value for; give it one in the step",
                                op.word(),
                                e.fields[field.0].name
                            ),
                        ));
                    }
                    url.push_str(&encode_segment(&value.to_plain_text()));
                }
            }
        }
        Ok((route.method.clone(), url))
    }

    pub(super) fn refuse(&self, entity: EntityId, reason: String) -> AppError {
        let app = self.program.entity(entity).app;
        AppError {
            app: self.program.app(app).name.clone(),
            reason,
            failed: false,
            read: false,
        }
    }

    /// A read the app answered with something that is not a record.
    pub(super) fn unreadable(&self, entity: EntityId, reason: String) -> AppError {
        AppError {
            read: true,
            ..self.refuse(entity, reason)
        }
    }

    /// Sends a request with the app's credentials; a `401` with an OAuth2 token fetches a
    /// fresh one and tries once more.
    pub(super) fn send(
        &self,
        entity: EntityId,
        mut request: Request,
        jitter: &mut Jitter,
    ) -> Result<Reply, AppError> {
        let read = request.method == Method::GET;
        let credentials = &self.endpoint(entity).credentials;
        let failed = |this: &Self, reason: String, refused: bool| AppError {
            failed: !refused,
            read,
            ..this.refuse(entity, reason)
        };
        let mut renewed = false;
        loop {
            request.auth = credentials
                .header(&self.client, &self.policy, jitter)
                .map_err(|f| failed(self, f.reason, f.refused))?;
            match http::send(&self.client, &self.policy, jitter, &request) {
                Ok(reply) => return Ok(reply),
                Err(Failed {
                    status: Some(StatusCode::UNAUTHORIZED),
                    ..
                }) if !renewed && credentials.forget() => renewed = true,
                Err(Failed {
                    reason,
                    status: Some(StatusCode::UNAUTHORIZED),
                    ..
                }) if renewed => {
                    return Err(failed(
                        self,
                        format!(
                            "{reason}, with a token just fetched: the app does not take it; check the OAuth2 client's scopes and grant"
                        ),
                        true,
                    ));
                }
                Err(Failed {
                    reason, refused, ..
                }) => return Err(failed(self, reason, refused)),
            }
        }
    }

    /// Tries a request once with the app's credentials (`weir serve`'s outbox schedules its
    /// own tries); a `401` with an OAuth2 token fetches a fresh one and tries once more.
    pub fn attempt(&self, entity: EntityId, mut request: Request, jitter: &mut Jitter) -> Attempt {
        let credentials = &self.endpoint(entity).credentials;
        let mut renewed = false;
        loop {
            request.auth = match credentials.header(&self.client, &self.policy, jitter) {
                Ok(header) => header,
                Err(failed) if failed.refused => {
                    return Attempt::Refused {
                        problem: failed.reason,
                        status: StatusCode::UNAUTHORIZED,
                    };
                }
                Err(failed) => {
                    return Attempt::Again {
                        problem: failed.reason,
                        after: None,
                    };
                }
            };
            match http::attempt(&self.client, &self.policy, &request) {
                Attempt::Refused {
                    status: StatusCode::UNAUTHORIZED,
                    ..
                } if !renewed && credentials.forget() => renewed = true,
                tried => return tried,
            }
        }
    }

    /// The app's id of the record a create made, from its reply, where the mapping says.
    pub fn created_id(&self, entity: EntityId, reply: &Reply) -> Option<String> {
        if !reply.status.is_success() {
            return None;
        }
        let json: Json = serde_json::from_slice(&reply.body).ok()?;
        super::mapping::get(&json, &self.mapping(entity).id_at).and_then(wire::id_text)
    }

    /// Why a create's reply has no id, and where to say it is.
    pub fn no_id(
        &self,
        entity: EntityId,
        method: &Method,
        url: &str,
        status: StatusCode,
    ) -> String {
        let id_at = &self.mapping(entity).id_at;
        let fix = if self.mapping(entity).declared {
            format!(
                "; if the app puts it elsewhere, say where with `id at \"…\"` in `http {}`",
                self.program.entity(entity).name
            )
        } else {
            String::new()
        };
        format!(
            "{method} {url} answered {status} without the new record's id at `{}` in a JSON object{fix}",
            show_path(id_at)
        )
    }

    /// A record from the app's JSON, with the fields the script knows; `None` where it is
    /// not a record.
    pub(super) fn decode(&self, entity: EntityId, json: &Json) -> Option<(Option<String>, Record)> {
        wire::decode(&self.program, entity, self.mapping(entity), json)
    }
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

/// A param's value in a path: as a segment, but a `/` stays (`param repo` is `acme/clinic`).
fn encode_param(value: &str) -> String {
    value
        .split('/')
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}
