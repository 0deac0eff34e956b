//! An app's webhooks (`webhooks at "/hooks/…" signed … { … }`), resolved into
//! [`Webhooks`] for `weir serve`, with every mistake reported (E0502) before anything runs.
//!
//! ```text
//! webhooks at "/hooks/stripe" signed stripe env STRIPE_WEBHOOK_SECRET {
//!   kind at "type"
//!   "invoice.paid" means updated invoice at "data.object"     # fine
//!   "invoice.paid" means new invoce                           # E0502: twice, and no `invoce`
//! }
//! ```

use std::sync::Arc;
use std::time::Duration;

use super::Checker;
use super::error::{CheckError, Named};
use super::http::{Parts, coded, not_real, secret, twice, unknown_entity};
use crate::ast::{self, WebhookMember, WebhookSource};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, primary, secondary};
use crate::program::AppId;
use crate::serve::envelope::Source;
use crate::serve::hooks::{DEFAULT_WINDOW, Means, Signed, Webhooks};
use crate::serve::schemes::{self, Scheme};
use crate::span::Span;
use crate::suggest::closest;

/// Routes `weir serve` answers itself, which no app's webhooks may take.
const OWN_ROUTES: &[&str] = &["/events", "/health", "/runs"];

/// A mistake in an app's webhooks (E0502).
#[derive(Clone, Debug)]
pub enum WebhookError {
    /// `webhooks …` in an app without `at "url"`.
    NotReal { app: Arc<str>, span: Span },
    /// `signed gitlab …`
    UnknownScheme {
        scheme: Named,
        suggestion: Option<&'static str>,
    },
    /// `header "…"` with a scheme whose header is fixed.
    FixedHeader { scheme: Named, span: Span },
    /// `base64` with a scheme whose encoding is fixed.
    FixedEncoding { scheme: Named, span: Span },
    /// `header "X-Shopify-Hmac-Sha256"` without `base64`: Shopify signs in base64.
    ShopifyHex { span: Span, header: String },
    /// `"/deploy" means updated request`: a slash command is a request, a `new` event.
    CommandNotNew {
        span: Span,
        kinds: Vec<String>,
        event: crate::ast::EventKind,
        entity: Arc<str>,
    },
    /// `within 5m` with a scheme that signs no time.
    NoTimestamp { scheme: Named, span: Span },
    /// `within 0s`.
    NoWindow { span: Span },
    /// A route that is no path, has a query, or is one of weir's own.
    BadRoute {
        span: Span,
        path: String,
        why: String,
    },
    /// Two `webhooks` blocks on one route.
    SameRoute {
        span: Span,
        first: Span,
        path: String,
    },
    /// `means new x` where the app declares no entity `x`.
    UnknownEntity {
        app: Arc<str>,
        entity: Named,
        suggestion: Option<Arc<str>>,
    },
    /// A kind given meaning twice, or a `kind at` or `id at` line given twice.
    Twice {
        what: String,
        span: Span,
        first: Span,
    },
    /// `… means …` lines without `kind at`.
    NoKind { span: Span, app: Arc<str> },
    /// `"" means …`: no provider sends an empty kind.
    EmptyKind { span: Span },
    /// A path into the body with an empty key: `at "data..object"`, `kind at ""`.
    EmptyKey {
        span: Span,
        path: String,
        /// The line's words before the path: `at`, `kind at`, `id at`.
        keyword: &'static str,
    },
}

impl WebhookError {
    pub fn report(&self) -> Diagnostic {
        coded(Code::E0502, self.parts())
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one arm per kind of webhook mistake, each a sentence and its fix"
    )]
    fn parts(&self) -> Parts {
        match self {
            WebhookError::NotReal { app, span } => not_real(
                app,
                *span,
                "the webhooks",
                "it receives no webhooks from a provider",
                "webhooks of a simulated app",
            ),
            WebhookError::UnknownScheme { scheme, suggestion } => (
                format!(
                    "there is no signature scheme `{}`; the schemes are {}",
                    scheme.text,
                    schemes::NAMES
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                vec![primary(scheme.span, "no such scheme")],
                match suggestion {
                    Some(s) => format!("write `signed {s}`"),
                    None => "write `signed hmac header \"X-…\"` for a provider that sends the hex HMAC-SHA256 of the body in a header".to_string(),
                },
            ),
            WebhookError::FixedHeader { scheme, span } => (
                format!(
                    "the `{}` scheme always reads its own header, so `header` means nothing here",
                    scheme.text
                ),
                vec![primary(*span, "a header for a scheme that has its own")],
                "take `header \"…\"` out, or sign with `hmac` to name the header".to_string(),
            ),
            WebhookError::FixedEncoding { scheme, span } => (
                format!(
                    "the `{}` scheme always sends its signature in hex, so `base64` means nothing here",
                    scheme.text
                ),
                vec![primary(*span, "an encoding for a scheme that has its own")],
                "take `base64` out, or sign with `hmac` for a provider that sends base64"
                    .to_string(),
            ),
            WebhookError::ShopifyHex { span, header } => (
                format!("`{header}` is Shopify's header, which holds base64, and this route reads hex"),
                vec![primary(*span, "Shopify's header, read as hex")],
                format!("write `base64` after `header \"{header}\"`"),
            ),
            WebhookError::CommandNotNew {
                span,
                kinds,
                event,
                entity,
            } => {
                let named: Vec<String> = kinds.iter().map(|k| format!("`{k}`")).collect();
                let message = match named.as_slice() {
                    [one] => format!(
                        "the slash command {one} is a request someone makes, not a change to a record, so it is no `{event}` event"
                    ),
                    _ => format!(
                        "the slash commands {} are requests someone makes, not changes to a record, so they are no `{event}` events",
                        named.join(", ")
                    ),
                };
                (
                    message,
                    vec![primary(*span, "a slash command names no record")],
                    format!(
                        "write `new` for `{event}`, as in `\"{}\" means new {entity}`",
                        kinds[0]
                    ),
                )
            }
            WebhookError::NoTimestamp { scheme, span } => (
                format!(
                    "the `{}` scheme signs no time, so a window for old signatures means nothing",
                    scheme.text
                ),
                vec![primary(*span, "a window without a timestamp")],
                "take `within …` out: these webhooks are taken once by their event id (`id at …`)"
                    .to_string(),
            ),
            WebhookError::NoWindow { span } => (
                "a window of no time refuses every signature".to_string(),
                vec![primary(*span, "no time")],
                "give a window of a few minutes, as in `within 5m`".to_string(),
            ),
            WebhookError::BadRoute { span, path, why } => (
                format!("the route `{path}` {why}"),
                vec![primary(*span, "the webhooks' route")],
                "give a path of its own under `/hooks`, as in `webhooks at \"/hooks/github\"`"
                    .to_string(),
            ),
            WebhookError::SameRoute { span, first, path } => (
                format!("two `webhooks` blocks take the route `{path}`"),
                vec![
                    primary(*span, "taken again here"),
                    secondary(*first, "first taken here"),
                ],
                "give each provider a route of its own, as in `/hooks/github` and `/hooks/stripe`"
                    .to_string(),
            ),
            WebhookError::UnknownEntity {
                app,
                entity,
                suggestion,
            } => unknown_entity(app, entity, suggestion.as_deref()),
            WebhookError::Twice { what, span, first } => twice(what, *span, *first),
            WebhookError::NoKind { span, app } => (
                format!("the webhooks of `{app}` do not say where a webhook's kind is"),
                vec![primary(*span, "no `kind at`")],
                "say where the provider puts the kind, as in `kind at \"type\"` (Stripe) or `kind at header \"X-GitHub-Event\", \"action\"` (GitHub)".to_string(),
            ),
            WebhookError::EmptyKind { span } => (
                "an empty kind matches no webhook: every provider names the kind it sends".to_string(),
                vec![primary(*span, "an empty kind")],
                "write the kind as the provider sends it, as in `\"issues.opened\"` or `\"invoice.paid\"`".to_string(),
            ),
            WebhookError::EmptyKey { span, path, keyword } => {
                let keys: Vec<&str> = path.split('.').filter(|k| !k.is_empty()).collect();
                let help = match (keys.is_empty(), *keyword) {
                    (true, "at") => "take `at \"\"` out: without `at`, the whole body is the record".to_string(),
                    (true, "id at") => "name the key the provider keeps it in, as in `id at \"id\"`".to_string(),
                    (true, _) => format!("name the key the provider keeps it in, as in `{keyword} \"type\"`"),
                    (false, _) => format!("write `\"{}\"` there: one dot between two keys", keys.join(".")),
                };
                let message = if path.is_empty() {
                    format!("`{keyword} \"\"` names no place in the body")
                } else {
                    format!("the path `{path}` has an empty key, which no body holds")
                };
                (message, vec![primary(*span, "an empty key")], help)
            }
        }
    }
}

fn source(source: &WebhookSource) -> Source {
    match source {
        WebhookSource::Header(name) => Source::Header(name.node.clone()),
        WebhookSource::Body(path) => Source::body(&path.node),
    }
}

/// `5m` in seconds.
fn window(text: &str) -> Duration {
    let (digits, unit) = text.split_at(text.len().saturating_sub(1));
    let n: u64 = digits.parse().unwrap_or(0);
    let scale = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 1,
    };
    Duration::from_secs(n.saturating_mul(scale))
}

impl Checker<'_> {
    fn webhook_error(&mut self, error: WebhookError) {
        self.report(CheckError::Webhooks(Box::new(error)));
    }

    /// The webhooks of an app, after its entities and mappings were resolved.
    pub(super) fn resolve_webhooks(&mut self, app: AppId, decl: &ast::AppDecl) {
        if decl.location.is_none() {
            if let Some(first) = decl.webhooks.first() {
                self.webhook_error(WebhookError::NotReal {
                    app: decl.name.node.clone(),
                    span: first.path.span,
                });
            }
            return;
        }
        let mut resolved = Vec::new();
        for block in &decl.webhooks {
            self.webhook_route(&block.path, &resolved);
            let hooks = self.webhooks_block(app, decl, block);
            resolved.push(Arc::new(hooks));
        }
        if let Some(location) = &mut self.program.apps[app.0].location {
            location.webhooks = resolved;
        }
    }

    /// A route is a path of its own: not weir's, not another block's.
    fn webhook_route(&mut self, path: &crate::span::Spanned<String>, this_app: &[Arc<Webhooks>]) {
        let text = &path.node;
        let why = if !text.starts_with('/') {
            Some("does not start with `/`".to_string())
        } else if text.contains(['?', '#', ' ', '*', ':']) {
            Some("is not a plain path: it may not hold `?`, `#`, `*`, `:` or spaces".to_string())
        } else {
            OWN_ROUTES
                .iter()
                .find(|own| text == *own || text.starts_with(&format!("{own}/")))
                .map(|own| format!("is weir's own (`{own}`)"))
        };
        if let Some(why) = why {
            self.webhook_error(WebhookError::BadRoute {
                span: path.span,
                path: text.clone(),
                why,
            });
            return;
        }
        let earlier = self
            .program
            .apps
            .iter()
            .filter_map(|a| a.location.as_ref())
            .flat_map(|l| l.webhooks.iter())
            .chain(this_app)
            .find(|w| w.path == *text)
            .map(|w| w.span);
        if let Some(first) = earlier {
            self.webhook_error(WebhookError::SameRoute {
                span: path.span,
                first,
                path: text.clone(),
            });
        }
    }

    /// Reports a line that may appear once in a `webhooks` block and was already seen.
    fn only_once(&mut self, seen: &mut Option<Span>, what: &str, span: Span) {
        if let Some(first) = *seen {
            self.webhook_error(WebhookError::Twice {
                what: what.into(),
                span,
                first,
            });
        }
        *seen = Some(span);
    }

    /// The kind a `"kind" means …` line gives a meaning to, unless it is empty or already has one.
    fn meaning(
        &mut self,
        name: &crate::span::Spanned<String>,
        kinds: &mut Vec<(String, Span)>,
    ) -> Option<String> {
        if name.node.is_empty() {
            self.webhook_error(WebhookError::EmptyKind { span: name.span });
            return None;
        }
        if let Some((_, first)) = kinds.iter().find(|(k, _)| *k == name.node) {
            self.webhook_error(WebhookError::Twice {
                what: format!("the meaning of `{}`", name.node),
                span: name.span,
                first: *first,
            });
            return None;
        }
        kinds.push((name.node.clone(), name.span));
        Some(name.node.clone())
    }

    fn webhooks_block(
        &mut self,
        app: AppId,
        decl: &ast::AppDecl,
        block: &ast::WebhooksDecl,
    ) -> Webhooks {
        let mut hooks = Webhooks {
            app,
            path: block.path.node.clone(),
            span: block.path.span,
            signed: block.signed.as_ref().and_then(|s| self.signed(s)),
            kind: Vec::new(),
            event_id: None,
            strict: false,
            means: Vec::new(),
        };
        let (mut kind_at, mut id_at): (Option<Span>, Option<Span>) = (None, None);
        let mut kinds: Vec<(String, Span)> = Vec::new();
        for member in &block.members {
            match &member.node {
                WebhookMember::Kind(sources) => {
                    self.only_once(&mut kind_at, "`kind at`", member.span);
                    sources.iter().for_each(|s| self.webhook_path(s, "kind at"));
                    hooks.kind = sources.iter().map(source).collect();
                }
                WebhookMember::Id(at) => {
                    self.only_once(&mut id_at, "`id at`", member.span);
                    self.webhook_path(at, "id at");
                    hooks.event_id = Some(source(at));
                }
                WebhookMember::Strict => hooks.strict = true,
                WebhookMember::Means {
                    kinds: names,
                    event,
                    entity,
                    at,
                } => {
                    if let Some(at) = at {
                        self.body_path(at, "at");
                    }
                    let Some(found) = self.webhook_entity(app, decl, entity) else {
                        continue;
                    };
                    let at = at.as_ref().map_or_else(Vec::new, |a| {
                        a.node.split('.').map(str::to_string).collect()
                    });
                    let commands: Vec<String> = names
                        .iter()
                        .filter(|n| n.node.starts_with('/'))
                        .map(|n| n.node.clone())
                        .collect();
                    if !commands.is_empty() && event.node != crate::ast::EventKind::New {
                        self.webhook_error(WebhookError::CommandNotNew {
                            span: event.span,
                            kinds: commands,
                            event: event.node,
                            entity: entity.node.clone(),
                        });
                    }
                    for name in names {
                        if let Some(means) = self.meaning(name, &mut kinds) {
                            hooks.means.push(Means {
                                kind: means,
                                event: event.node,
                                entity: found,
                                at: at.clone(),
                            });
                        }
                    }
                }
            }
        }
        let means =
            |m: &crate::span::Spanned<WebhookMember>| matches!(m.node, WebhookMember::Means { .. });
        if kind_at.is_none() && block.members.iter().any(means) {
            self.webhook_error(WebhookError::NoKind {
                span: block.path.span,
                app: decl.name.node.clone(),
            });
        }
        hooks
    }

    /// A path into the body has no empty key (`data..object`); a header is left as written.
    fn webhook_path(&mut self, at: &WebhookSource, keyword: &'static str) {
        if let WebhookSource::Body(path) = at {
            self.body_path(path, keyword);
        }
    }

    fn body_path(&mut self, path: &crate::span::Spanned<String>, keyword: &'static str) {
        if path.node.split('.').any(str::is_empty) {
            self.webhook_error(WebhookError::EmptyKey {
                span: path.span,
                path: path.node.clone(),
                keyword,
            });
        }
    }

    fn webhook_entity(
        &mut self,
        app: AppId,
        decl: &ast::AppDecl,
        entity: &ast::Name,
    ) -> Option<crate::program::EntityId> {
        if let Some(found) = self.program.entity_named(app, &entity.node) {
            return Some(found);
        }
        let names: Vec<&str> = decl.entities.iter().map(|e| &*e.name.node).collect();
        let suggestion = closest(&entity.node, names).map(Arc::from);
        self.webhook_error(WebhookError::UnknownEntity {
            app: decl.name.node.clone(),
            entity: Named::of(entity),
            suggestion,
        });
        None
    }

    fn signed(&mut self, signed: &ast::SignedDecl) -> Option<Signed> {
        let name = &signed.scheme;
        let scheme = match schemes::parse(
            &name.node,
            signed.header.as_ref().map(|h| h.node.as_str()),
            None,
            signed.base64.is_some(),
        ) {
            Ok(scheme) => scheme,
            Err(_) => {
                let suggestion = closest(&name.node, schemes::NAMES.iter().copied());
                let suggestion = schemes::NAMES
                    .iter()
                    .copied()
                    .find(|n| Some(*n) == suggestion);
                self.webhook_error(WebhookError::UnknownScheme {
                    scheme: Named::of(name),
                    suggestion,
                });
                return None;
            }
        };
        if let Some(header) = &signed.header
            && !matches!(scheme, Scheme::Hmac { .. })
        {
            self.webhook_error(WebhookError::FixedHeader {
                scheme: Named::of(name),
                span: header.span,
            });
        }
        if let Some(header) = &signed.header
            && header.node.eq_ignore_ascii_case("X-Shopify-Hmac-Sha256")
            && signed.base64.is_none()
            && matches!(scheme, Scheme::Hmac { .. })
        {
            self.webhook_error(WebhookError::ShopifyHex {
                span: header.span,
                header: header.node.clone(),
            });
        }
        if let Some(base64) = &signed.base64
            && !matches!(scheme, Scheme::Hmac { .. })
        {
            self.webhook_error(WebhookError::FixedEncoding {
                scheme: Named::of(name),
                span: base64.span,
            });
        }
        let mut tolerance = DEFAULT_WINDOW;
        if let Some(within) = &signed.within {
            if !scheme.has_timestamp() {
                self.webhook_error(WebhookError::NoTimestamp {
                    scheme: Named::of(name),
                    span: within.span,
                });
            }
            tolerance = window(&within.node);
            if tolerance.is_zero() {
                self.webhook_error(WebhookError::NoWindow { span: within.span });
            }
        }
        Some(Signed {
            scheme,
            secret: secret(&signed.secret),
            window: tolerance,
        })
    }
}
