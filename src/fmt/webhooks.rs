//! The lines of an app's `webhooks at "…" { … }` block and its `poll` lines, as `weir fmt`
//! writes them.

use super::http::secret;
use super::quote;
use crate::ast::*;

/// `webhooks at "/hooks/github" signed github env GITHUB_WEBHOOK_SECRET {`
pub(super) fn head(hooks: &WebhooksDecl) -> String {
    let mut out = format!("webhooks at {}", quote(&hooks.path.node));
    if let Some(signed) = &hooks.signed {
        out.push_str(&format!(" signed {}", signed.scheme.node));
        if let Some(header) = &signed.header {
            out.push_str(&format!(" header {}", quote(&header.node)));
        }
        if signed.base64.is_some() {
            out.push_str(" base64");
        }
        out.push_str(&format!(" {}", secret(&signed.secret)));
        if let Some(within) = &signed.within {
            out.push_str(&format!(" within {}", within.node));
        }
    }
    out.push_str(" {");
    out
}

fn source(source: &WebhookSource) -> String {
    match source {
        WebhookSource::Header(name) => format!("header {}", quote(&name.node)),
        WebhookSource::Body(path) => quote(&path.node),
    }
}

/// One line inside the block.
pub(super) fn member(member: &WebhookMember) -> String {
    match member {
        WebhookMember::Kind(sources) => {
            let parts: Vec<String> = sources.iter().map(source).collect();
            format!("kind at {}", parts.join(", "))
        }
        WebhookMember::Id(at) => format!("id at {}", source(at)),
        WebhookMember::Strict => "strict".to_string(),
        WebhookMember::Means {
            kinds,
            event,
            entity,
            at,
        } => {
            let kinds: Vec<String> = kinds.iter().map(|k| quote(&k.node)).collect();
            let mut out = format!(
                "{} means {} {}",
                kinds.join(", "),
                event.node.keyword(),
                entity.node
            );
            if let Some(at) = at {
                out.push_str(&format!(" at {}", quote(&at.node)));
            }
            out
        }
    }
}

/// `poll contact every 5m since changed as "updated_since"`
pub(super) fn poll(poll: &PollDecl) -> String {
    let mut out = format!("poll {} every {}", poll.entity.node, poll.every.node);
    if let Some((field, param)) = &poll.since {
        out.push_str(&format!(" since {}", field.node));
        if let Some(param) = param {
            out.push_str(&format!(" as {}", quote(&param.node)));
        }
    }
    out
}
