//! Lowering of an app's webhooks (`webhooks at "/hooks/github" signed github env S { … }`)
//! and polls (`poll contact every 5m since changed`).

use pest::iterators::Pair;

use super::Rule;
use super::lower::{Lower, parts};
use crate::ast::*;
use crate::span::Spanned;

impl Lower {
    pub(super) fn webhooks(&mut self, pair: Pair<'_, Rule>) -> WebhooksDecl {
        let span = self.span(&pair);
        let mut inner = parts(pair).peekable();
        let path = self.quoted(inner.next().expect("the webhooks' route"));
        let signed = inner
            .next_if(|p| p.as_rule() == Rule::webhook_signed)
            .map(|p| self.signed(p));
        let members = inner.map(|member| self.webhook_member(member)).collect();
        WebhooksDecl {
            path,
            signed,
            members,
            span,
        }
    }

    /// `poll contact every 5m since changed as "updated_since"`.
    pub(super) fn poll(&mut self, pair: Pair<'_, Rule>) -> PollDecl {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let entity = self.name(inner.next().expect("the polled entity"));
        let every = inner.next().expect("the interval");
        let every = Spanned::new(every.as_str().to_string(), self.span(&every));
        let since = inner.next().map(|since| {
            let mut since = parts(since);
            let field = self.name(since.next().expect("the cursor field"));
            (field, since.next().map(|p| self.quoted(p)))
        });
        PollDecl {
            entity,
            every,
            since,
            span,
        }
    }

    fn signed(&mut self, pair: Pair<'_, Rule>) -> SignedDecl {
        let mut inner = parts(pair);
        let scheme = self.name(inner.next().expect("a signature scheme"));
        let (mut header, mut secret, mut within, mut base64) = (None, None, None, None);
        for part in inner {
            match part.as_rule() {
                Rule::plain_text => header = Some(self.quoted(part)),
                Rule::secret => secret = Some(self.secret(part)),
                Rule::webhook_base64 => base64 = Some(Spanned::new((), self.span(&part))),
                Rule::duration => {
                    within = Some(Spanned::new(part.as_str().to_string(), self.span(&part)));
                }
                rule => unreachable!(
                    "expected a header, `base64`, a secret or `within`, found {rule:?}"
                ),
            }
        }
        SignedDecl {
            scheme,
            header,
            base64,
            secret: secret.expect("the grammar asks for a secret"),
            within,
        }
    }

    fn webhook_member(&mut self, pair: Pair<'_, Rule>) -> Spanned<WebhookMember> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let member = match rule {
            Rule::webhook_kind => {
                WebhookMember::Kind(parts(pair).map(|s| self.webhook_source(s)).collect())
            }
            Rule::webhook_id => {
                let source = parts(pair).next().expect("where the id is");
                WebhookMember::Id(self.webhook_source(source))
            }
            Rule::webhook_strict => WebhookMember::Strict,
            Rule::webhook_means => {
                let mut kinds = Vec::new();
                let mut inner = parts(pair).peekable();
                while let Some(kind) = inner.next_if(|p| p.as_rule() == Rule::plain_text) {
                    kinds.push(self.quoted(kind));
                }
                let event = self.event_kind(inner.next().expect("an event kind"));
                let entity = self.name(inner.next().expect("an entity"));
                let at = inner.next().map(|p| self.quoted(p));
                WebhookMember::Means {
                    kinds,
                    event,
                    entity,
                    at,
                }
            }
            rule => unreachable!("expected a line of `webhooks`, found {rule:?}"),
        };
        Spanned::new(member, span)
    }

    fn webhook_source(&mut self, pair: Pair<'_, Rule>) -> WebhookSource {
        let inner = parts(pair).next().expect("a header or a path");
        match inner.as_rule() {
            Rule::webhook_header => {
                WebhookSource::Header(self.quoted(parts(inner).next().expect("a header name")))
            }
            Rule::plain_text => WebhookSource::Body(self.quoted(inner)),
            rule => unreachable!("expected a header or a path, found {rule:?}"),
        }
    }
}
