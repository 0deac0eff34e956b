//! The text of what connects an app to HTTP: its location and auth, a field's wire name, and
//! the lines of an `http ENTITY { … }` mapping.

use std::fmt::Write as _;

use super::quote;
use crate::ast::*;

/// ` at "url" auth …`, after `app NAME`: on one line when it fits in `width` columns, else
/// an OAuth2 auth's parts on lines of their own.
pub(super) fn location(location: &Location, width: usize) -> String {
    let one_line = location_line(location);
    if one_line.len() <= width {
        return one_line;
    }
    let Some(AuthDecl::OAuth2 {
        token_url,
        client_id,
        client_secret,
        refresh,
        scope,
    }) = &location.auth
    else {
        return one_line;
    };
    let mut out = format!(
        " at {}\n  auth oauth2 token {}\n  client {} secret {}",
        quote(&location.url.node),
        quote(&token_url.node),
        secret(client_id),
        secret(client_secret)
    );
    let mut last = Vec::new();
    if let Some(refresh) = refresh {
        last.push(format!("refresh {}", secret(refresh)));
    }
    if let Some(scope) = scope {
        last.push(format!("scope {}", quote(&scope.node)));
    }
    if !last.is_empty() {
        let _ = write!(out, "\n  {}", last.join(" "));
    }
    out
}

fn location_line(location: &Location) -> String {
    let mut out = format!(" at {}", quote(&location.url.node));
    let Some(auth) = &location.auth else {
        return out;
    };
    out.push_str(" auth ");
    match auth {
        AuthDecl::Bearer(token) => {
            let _ = write!(out, "bearer {}", secret(token));
        }
        AuthDecl::Header {
            name,
            secret: value,
        } => {
            let _ = write!(out, "header {} {}", quote(&name.node), secret(value));
        }
        AuthDecl::Basic { user, password } => {
            out.push_str("basic ");
            out.push_str(&secret(user));
            if let Some(password) = password {
                let _ = write!(out, " and {}", secret(password));
            }
        }
        AuthDecl::OAuth2 {
            token_url,
            client_id,
            client_secret,
            refresh,
            scope,
        } => {
            let _ = write!(
                out,
                "oauth2 token {} client {} secret {}",
                quote(&token_url.node),
                secret(client_id),
                secret(client_secret)
            );
            if let Some(refresh) = refresh {
                let _ = write!(out, " refresh {}", secret(refresh));
            }
            if let Some(scope) = scope {
                let _ = write!(out, " scope {}", quote(&scope.node));
            }
        }
    }
    out
}

fn secret(secret: &Secret) -> String {
    match secret {
        Secret::Env(name) => format!("env {}", name.node),
        Secret::File(path) => format!("file {}", quote(&path.node)),
    }
}

/// `first_name: text? as "firstname"`.
pub(super) fn field(field: &FieldDecl) -> String {
    match &field.wire {
        Some(wire) => format!(
            "{}: {} as {}",
            field.name.node,
            field.ty.node,
            quote(&wire.node)
        ),
        None => format!("{}: {}", field.name.node, field.ty.node),
    }
}

/// One line of an `http` block.
pub(super) fn member(member: &HttpMember) -> String {
    match member {
        // A path may hold `{id}`: it is written as it was, braces and all.
        HttpMember::Route { op, method, path } => {
            format!("{} {} \"{}\"", op.node.word(), method.node, path.node)
        }
        HttpMember::Body { form, at } => {
            let mut out = format!("body {}", if *form { "form" } else { "json" });
            if let Some(at) = at {
                let _ = write!(out, " at {}", quote(&at.node));
            }
            out
        }
        HttpMember::Id(at) => format!("id at {}", quote(&at.node)),
        HttpMember::Records(at) => format!("records at {}", quote(&at.node)),
        HttpMember::Page(page) => match page {
            PageDecl::Cursor { at, param } => format!(
                "page cursor at {} as {}",
                quote(&at.node),
                quote(&param.node)
            ),
            PageDecl::AfterLast { param } => format!("page after last as {}", quote(&param.node)),
            PageDecl::Link => "page link".to_string(),
            PageDecl::Next { at } => format!("page next at {}", quote(&at.node)),
            PageDecl::Number { param } => format!("page number as {}", quote(&param.node)),
            PageDecl::Offset { param } => format!("page offset as {}", quote(&param.node)),
        },
        HttpMember::Filter(fields) => {
            let names: Vec<&str> = fields.iter().map(|f| &*f.node).collect();
            format!("filter {}", names.join(", "))
        }
        HttpMember::Param { name, env, default } => {
            let mut out = format!("param {} env {}", name.node, env.node);
            if let Some(default) = default {
                let _ = write!(out, " else {}", quote(&default.node));
            }
            out
        }
    }
}

/// `call lookup POST "/v1/people/match" { email: text } returns at "person" { … } writes x`.
pub(super) fn call_decl(call: &CallDecl) -> String {
    let fields = |fields: &[FieldDecl]| {
        let inner: Vec<String> = fields.iter().map(field).collect();
        if inner.is_empty() {
            "{ }".to_string()
        } else {
            format!("{{ {} }}", inner.join(", "))
        }
    };
    let mut out = format!(
        "call {} {} \"{}\" {}",
        call.name.node,
        call.method.node,
        call.path.node,
        fields(&call.args)
    );
    if !call.returns.is_empty() || call.returns_at.is_some() {
        out.push_str(" returns ");
        if let Some(at) = &call.returns_at {
            let _ = write!(out, "at {} ", quote(&at.node));
        }
        out.push_str(&fields(&call.returns));
    }
    if !call.writes.is_empty() {
        let names: Vec<&str> = call.writes.iter().map(|n| &*n.node).collect();
        let _ = write!(out, " writes {}", names.join(", "));
    }
    out
}

/// `let r = call lookup in Apollo { email: email }`, the block as `block` writes it.
pub(super) fn call_use(
    name: Option<&Name>,
    call: &CallUse,
    block: fn(&[FieldInit]) -> String,
) -> String {
    let mut out = String::new();
    if let Some(name) = name {
        let _ = write!(out, "let {} = ", name.node);
    }
    let _ = write!(out, "call {} in {}", call.call.node, call.app.node);
    if !call.fields.is_empty() {
        let _ = write!(out, " {}", block(&call.fields));
    }
    out
}

/// ` at "url" token "url"` after `use CONNECTOR`, for what the `use` moves.
pub(super) fn moved(moved: &Moved) -> String {
    let mut out = String::new();
    if let Some(at) = &moved.at {
        let _ = write!(out, " at {}", quote(&at.node));
    }
    if let Some(token) = &moved.token {
        let _ = write!(out, " token {}", quote(&token.node));
    }
    out
}
