//! Lowering of what connects an app to HTTP: its location and auth, and its entities' HTTP
//! mappings (`http contact { … }`).

use std::sync::Arc;

use pest::iterators::Pair;

use super::Rule;
use super::lower::{Lower, Result, parts};
use crate::ast::*;
use crate::span::Spanned;

impl Lower {
    pub(super) fn location(&mut self, pair: Pair<'_, Rule>) -> Location {
        let mut inner = parts(pair);
        let url = self.quoted(inner.next().expect("app url"));
        let auth = inner.next().map(|auth| self.auth(auth));
        Location { url, auth }
    }

    /// `at "url"` and `token "url"` after `use CONNECTOR`.
    pub(super) fn moved<'i>(&self, pairs: impl Iterator<Item = Pair<'i, Rule>>) -> Moved {
        let mut moved = Moved::default();
        for pair in pairs {
            let rule = pair.as_rule();
            let url = parts(pair).next().map(|url| self.quoted(url));
            match rule {
                Rule::use_at => moved.at = url,
                Rule::use_token => moved.token = url,
                rule => unreachable!("expected `at` or `token`, found {rule:?}"),
            }
        }
        moved
    }

    /// The text of a `plain_text` or `route_path`, without its quotes; the span covers them.
    pub(super) fn quoted(&self, pair: Pair<'_, Rule>) -> Spanned<String> {
        let span = self.span(&pair);
        let text = pair.into_inner().next().map_or("", |p| p.as_str());
        Spanned::new(text.to_string(), span)
    }

    fn secret(&self, pair: Pair<'_, Rule>) -> Secret {
        let inner = parts(pair).next().expect("a secret's source");
        match inner.as_rule() {
            Rule::ident => Secret::Env(self.name(inner)),
            Rule::plain_text => Secret::File(self.quoted(inner)),
            rule => unreachable!("expected `env` or `file`, found {rule:?}"),
        }
    }

    fn auth(&mut self, pair: Pair<'_, Rule>) -> AuthDecl {
        let scheme = parts(pair).next().expect("an auth scheme");
        let rule = scheme.as_rule();
        let mut inner = parts(scheme);
        match rule {
            Rule::auth_bearer => AuthDecl::Bearer(self.secret(inner.next().expect("a token"))),
            Rule::auth_header => {
                let name = self.quoted(inner.next().expect("a header name"));
                let secret = self.secret(inner.next().expect("a header value"));
                AuthDecl::Header { name, secret }
            }
            Rule::auth_basic => {
                let user = self.secret(inner.next().expect("a user"));
                let password = inner.next().map(|p| self.secret(p));
                AuthDecl::Basic { user, password }
            }
            Rule::auth_oauth2 => {
                let token_url = self.quoted(inner.next().expect("a token URL"));
                let client_id = self.secret(inner.next().expect("a client id"));
                let client_secret = self.secret(inner.next().expect("a client secret"));
                let (mut refresh, mut scope) = (None, None);
                for part in inner {
                    match part.as_rule() {
                        Rule::secret => refresh = Some(self.secret(part)),
                        Rule::plain_text => scope = Some(self.quoted(part)),
                        rule => unreachable!("expected `refresh` or `scope`, found {rule:?}"),
                    }
                }
                AuthDecl::OAuth2 {
                    token_url,
                    client_id,
                    client_secret,
                    refresh,
                    scope,
                }
            }
            rule => unreachable!("expected an auth scheme, found {rule:?}"),
        }
    }

    pub(super) fn http(&mut self, pair: Pair<'_, Rule>) -> HttpDecl {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let entity = self.name(inner.next().expect("the mapped entity"));
        let members = inner
            .map(|m| {
                let span = self.span(&m);
                Spanned::new(self.http_member(m), span)
            })
            .collect();
        HttpDecl {
            entity,
            members,
            span,
        }
    }

    fn http_member(&mut self, pair: Pair<'_, Rule>) -> HttpMember {
        let rule = pair.as_rule();
        let mut inner = parts(pair);
        match rule {
            Rule::http_route => {
                let op = inner.next().expect("an operation");
                let op_span = self.span(&op);
                let op = match op.as_str() {
                    "create" => HttpOp::Create,
                    "read" => HttpOp::Read,
                    "update" => HttpOp::Update,
                    "delete" => HttpOp::Delete,
                    "list" => HttpOp::List,
                    other => unreachable!("expected an HTTP operation, found {other:?}"),
                };
                let method = inner.next().expect("a method");
                let method = Spanned::new(Arc::from(method.as_str()), self.span(&method));
                let path = self.quoted(inner.next().expect("a path"));
                HttpMember::Route {
                    op: Spanned::new(op, op_span),
                    method,
                    path,
                }
            }
            Rule::http_body => {
                let form = inner.next().expect("a body format").as_str() == "form";
                let at = inner.next().map(|p| self.quoted(p));
                HttpMember::Body { form, at }
            }
            Rule::http_id => HttpMember::Id(self.quoted(inner.next().expect("a path"))),
            Rule::http_records => HttpMember::Records(self.quoted(inner.next().expect("a path"))),
            Rule::http_page => {
                let kind = inner.next().expect("a kind of paging");
                let rule = kind.as_rule();
                let mut texts = parts(kind).map(|p| self.quoted(p));
                let mut text = || texts.next().expect("a text");
                let page = match rule {
                    Rule::page_cursor => PageDecl::Cursor {
                        at: text(),
                        param: text(),
                    },
                    Rule::page_after_last => PageDecl::AfterLast { param: text() },
                    Rule::page_link => PageDecl::Link,
                    Rule::page_next => PageDecl::Next { at: text() },
                    Rule::page_number => PageDecl::Number { param: text() },
                    Rule::page_offset => PageDecl::Offset { param: text() },
                    rule => unreachable!("expected a kind of paging, found {rule:?}"),
                };
                HttpMember::Page(page)
            }
            Rule::http_filter => HttpMember::Filter(inner.map(|n| self.name(n)).collect()),
            Rule::http_param => {
                let name = self.name(inner.next().expect("a param name"));
                let env = self.name(inner.next().expect("a variable"));
                let default = inner.next().map(|p| self.quoted(p));
                HttpMember::Param { name, env, default }
            }
            rule => unreachable!("expected an HTTP mapping member, found {rule:?}"),
        }
    }

    /// `name: type [as "wire"]`, in an entity or a call.
    pub(super) fn field_decl(&mut self, pair: Pair<'_, Rule>) -> FieldDecl {
        let mut inner = parts(pair);
        let name = self.name(inner.next().expect("field name"));
        let ty = self.type_expr(inner.next().expect("field type"));
        let wire = inner
            .next()
            .map(|wire| self.quoted(parts(wire).next().expect("a wire name")));
        FieldDecl { name, ty, wire }
    }

    pub(super) fn call_decl(&mut self, pair: Pair<'_, Rule>) -> CallDecl {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let name = self.name(inner.next().expect("a call's name"));
        let method = inner.next().expect("a method");
        let method = Spanned::new(Arc::from(method.as_str()), self.span(&method));
        let path = self.quoted(inner.next().expect("a path"));
        let args = parts(inner.next().expect("arguments"))
            .map(|f| self.field_decl(f))
            .collect();
        let mut call = CallDecl {
            name,
            method,
            path,
            args,
            returns_at: None,
            returns: Vec::new(),
            writes: Vec::new(),
            span,
        };
        for part in inner {
            match part.as_rule() {
                Rule::call_returns => {
                    for piece in parts(part) {
                        match piece.as_rule() {
                            Rule::plain_text => call.returns_at = Some(self.quoted(piece)),
                            _ => {
                                call.returns = parts(piece).map(|f| self.field_decl(f)).collect();
                            }
                        }
                    }
                }
                Rule::call_writes => call.writes = parts(part).map(|n| self.name(n)).collect(),
                rule => unreachable!("expected `returns` or `writes`, found {rule:?}"),
            }
        }
        call
    }

    pub(super) fn call_use(&mut self, pair: Pair<'_, Rule>) -> Result<CallUse> {
        let mut inner = parts(pair);
        let call = self.name(inner.next().expect("a call's name"));
        let app = self.name(inner.next().expect("an app"));
        let fields = match inner.next() {
            Some(block) => self.field_block(block)?,
            None => Vec::new(),
        };
        Ok(CallUse { call, app, fields })
    }
}
