//! How real providers sign their webhooks, and how weir checks each scheme.
//!
//! weir's own `v1` scheme (see [`super::signing`]) signs the route and headers too. Providers
//! sign less, each in its own way, and weir must take their requests as they come:
//!
//! | scheme | header | what is signed | replay window |
//! |---|---|---|---|
//! | `hmac` | one the app names, e.g. `X-Signature: sha256=…` (hex, or `base64`) | the body | none: de-duplicate by event id |
//! | `github` | `X-Hub-Signature-256: sha256=<hex>` | the body | none: `X-GitHub-Delivery` is the event id |
//! | `stripe` | `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]` | `<t>.<body>` | `t` within the tolerance |
//! | `slack` | `X-Slack-Signature: v0=<hex>` and `X-Slack-Request-Timestamp` | `v0:<ts>:<body>` | `ts` within the tolerance |
//!
//! Every scheme is HMAC-SHA256 with the app's secret, compared in constant time. Stripe sends
//! several `v1` signatures while a secret is being rolled over; any one that matches is enough.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::hmac;

use super::signing::Refused;

/// A provider's way of signing webhooks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// HMAC-SHA256 of the body, in hex (or base64), in `header`, after `prefix` (often
    /// `sha256=`; none in base64, as Shopify sends it).
    Hmac {
        header: String,
        prefix: String,
        base64: bool,
    },
    GitHub,
    Stripe,
    Slack,
}

/// The scheme names a script may give, for messages and completion.
pub const NAMES: &[&str] = &["hmac", "github", "stripe", "slack"];

const GITHUB_HEADER: &str = "X-Hub-Signature-256";
const STRIPE_HEADER: &str = "Stripe-Signature";
const SLACK_HEADER: &str = "X-Slack-Signature";
const SLACK_TIMESTAMP: &str = "X-Slack-Request-Timestamp";

impl Scheme {
    /// The header that carries the signature.
    pub fn header(&self) -> &str {
        match self {
            Scheme::Hmac { header, .. } => header,
            Scheme::GitHub => GITHUB_HEADER,
            Scheme::Stripe => STRIPE_HEADER,
            Scheme::Slack => SLACK_HEADER,
        }
    }

    /// Whether a signature carries the time it was made, so that an old one can be refused.
    pub fn has_timestamp(&self) -> bool {
        matches!(self, Scheme::Stripe | Scheme::Slack)
    }

    /// The headers a provider would send with `body`, signed with `secret` at `now` (unix
    /// seconds): for tests, and for the shell examples of the documentation.
    pub fn sign(&self, secret: &[u8], body: &[u8], now: u64) -> Vec<(String, String)> {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let tag = |text: &[u8]| hex::encode(hmac::sign(&key, text));
        match self {
            Scheme::Hmac {
                header,
                prefix,
                base64: true,
            } => {
                let tag = BASE64.encode(hmac::sign(&key, body));
                vec![(header.clone(), format!("{prefix}{tag}"))]
            }
            Scheme::Hmac { header, prefix, .. } => {
                vec![(header.clone(), format!("{prefix}{}", tag(body)))]
            }
            Scheme::GitHub => vec![(GITHUB_HEADER.into(), format!("sha256={}", tag(body)))],
            Scheme::Stripe => {
                let signed = [format!("{now}.").as_bytes(), body].concat();
                vec![(STRIPE_HEADER.into(), format!("t={now},v1={}", tag(&signed)))]
            }
            Scheme::Slack => {
                let signed = [format!("v0:{now}:").as_bytes(), body].concat();
                vec![
                    (SLACK_TIMESTAMP.into(), now.to_string()),
                    (SLACK_HEADER.into(), format!("v0={}", tag(&signed))),
                ]
            }
        }
    }

    /// Checks a request's signature against `secret`, and for schemes with a timestamp, that
    /// it was made within `tolerance` of `now` (unix seconds). `header` reads a request header
    /// by name, whatever its letter case.
    pub fn verify(
        &self,
        secret: &[u8],
        header: impl Fn(&str) -> Option<String>,
        body: &[u8],
        now: u64,
        tolerance: Duration,
    ) -> Result<(), Refused> {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let name = self.header();
        let Some(value) = header(name) else {
            return Err(refused(format!("the request has no `{name}`"), self.how()));
        };
        let value = value.trim();
        if let Some(why) = self.misencoded(&key, value, body) {
            return Err(why);
        }
        let (signed, tags, at) = match self {
            Scheme::Hmac { prefix, .. } => (
                body.to_vec(),
                vec![value.strip_prefix(prefix.as_str())],
                None,
            ),
            Scheme::GitHub => (body.to_vec(), vec![value.strip_prefix("sha256=")], None),
            Scheme::Stripe => {
                let parts = || {
                    value
                        .split(',')
                        .filter_map(|part| part.trim().split_once('='))
                };
                let at = parts().find(|(k, _)| *k == "t").map(|(_, v)| v);
                let tags = parts()
                    .filter(|(k, _)| *k == "v1")
                    .map(|(_, v)| Some(v))
                    .collect();
                let at = timestamp(at, "`t=` in `Stripe-Signature`")?;
                ([format!("{at}.").as_bytes(), body].concat(), tags, Some(at))
            }
            Scheme::Slack => {
                let at = timestamp(
                    header(SLACK_TIMESTAMP).as_deref(),
                    &format!("`{SLACK_TIMESTAMP}`"),
                )?;
                let signed = [format!("v0:{at}:").as_bytes(), body].concat();
                (signed, vec![value.strip_prefix("v0=")], Some(at))
            }
        };
        let in_base64 = matches!(self, Scheme::Hmac { base64: true, .. });
        let tags: Vec<Vec<u8>> = tags
            .into_iter()
            .flatten()
            .filter_map(|tag| match in_base64 {
                true => BASE64.decode(tag).ok(),
                false => hex::decode(tag).ok(),
            })
            .collect();
        if tags.is_empty() {
            return Err(self.unreadable());
        }
        if !tags
            .iter()
            .any(|tag| hmac::verify(&key, &signed, tag).is_ok())
        {
            return Err(refused(
                format!("`{name}` does not match the body"),
                "check that the app's secret is the one the provider shows for this webhook, and that nothing between the provider and weir changes the body",
            ));
        }
        if let Some(at) = at {
            let off = now.abs_diff(at);
            if off > tolerance.as_secs() {
                let when = if at < now { "old" } else { "ahead" };
                return Err(refused(
                    format!(
                        "the signature is {off} seconds {when}, more than the {} allowed",
                        tolerance.as_secs()
                    ),
                    "a provider signs each delivery when it sends it: this one was sent again later, or a clock is wrong; check the server's clock",
                ));
            }
        }
        Ok(())
    }

    /// An `hmac` signature sent in the encoding the app does not declare: base64 (as Shopify
    /// sends it) where hex is read, or `sha256=<hex>` where base64 is. The declaration is
    /// what to fix first, so this is said even when the secret is wrong too.
    fn misencoded(&self, key: &hmac::Key, value: &str, body: &[u8]) -> Option<Refused> {
        let Scheme::Hmac {
            header,
            prefix,
            base64,
        } = self
        else {
            return None;
        };
        let (tag, sent_as, read_as, help) = if *base64 {
            let tag = hex::decode(value.strip_prefix("sha256=")?).ok()?;
            (
                tag,
                "as `sha256=<hex>`".to_string(),
                "base64".to_string(),
                "the provider signs in hex: take `base64` out of the app's `signed` line"
                    .to_string(),
            )
        } else {
            let bare = value.strip_prefix(prefix.as_str()).unwrap_or(value);
            if hex::decode(bare).is_ok() {
                return None;
            }
            (
                BASE64.decode(bare).ok()?,
                "in base64".to_string(),
                format!("`{prefix}<hex>`"),
                format!(
                    "the provider signs in base64, as Shopify does: write `base64` after `header \"{header}\"` in the app's `signed` line"
                ),
            )
        };
        // An HMAC-SHA256 is 32 bytes: another length is no signature in either encoding.
        if tag.len() != 32 {
            return None;
        }
        let whose = match hmac::verify(key, body, &tag) {
            Ok(()) => "the body's signature",
            Err(_) => "a signature",
        };
        Some(refused(
            format!("`{header}` holds {whose} {sent_as}, and the app's webhooks read {read_as}"),
            help,
        ))
    }

    /// A signature that is not in the form the scheme sends, as far as can be read.
    fn unreadable(&self) -> Refused {
        let help = match self {
            Scheme::Hmac {
                base64: false,
                header,
                ..
            } => format!(
                "{}; if the provider sends it in base64, write `base64` after `header \"{header}\"` in the app's `signed` line",
                self.how()
            ),
            _ => self.how(),
        };
        refused(
            format!(
                "`{}` does not hold a signature in the form {}",
                self.header(),
                self.form()
            ),
            help,
        )
    }

    fn form(&self) -> String {
        match self {
            Scheme::Hmac {
                prefix,
                base64: true,
                ..
            } => format!("`{prefix}<base64>`"),
            Scheme::Hmac { prefix, .. } => format!("`{prefix}<hex>`"),
            Scheme::GitHub => "`sha256=<hex>`".into(),
            Scheme::Stripe => "`t=<unix seconds>,v1=<hex>`".into(),
            Scheme::Slack => "`v0=<hex>`".into(),
        }
    }

    fn how(&self) -> String {
        match self {
            Scheme::Hmac {
                header,
                prefix,
                base64,
            } => format!(
                "send `{header}: {prefix}<{} HMAC-SHA256 of the body with the app's secret>`",
                if *base64 { "base64" } else { "hex" }
            ),
            Scheme::GitHub => "set the webhook's secret in GitHub to the app's secret; GitHub then sends `X-Hub-Signature-256` with every delivery".into(),
            Scheme::Stripe => "use the endpoint's signing secret (`whsec_…`) from the Stripe dashboard as the app's secret; Stripe sends `Stripe-Signature` with every event".into(),
            Scheme::Slack => "use the Slack app's signing secret as the app's secret; Slack sends `X-Slack-Signature` and `X-Slack-Request-Timestamp` with every request".into(),
        }
    }
}

fn timestamp(text: Option<&str>, what: &str) -> Result<u64, Refused> {
    match text.map(str::trim) {
        None | Some("") => Err(refused(
            format!("the request has no {what}"),
            "the provider sends it with every signed request; a request without it was not sent by the provider",
        )),
        Some(text) => text.parse().map_err(|_| {
            refused(
                format!("{what} is `{text}`, not unix seconds"),
                "the provider sends unix seconds; a request with anything else was not sent by the provider",
            )
        }),
    }
}

fn refused(message: impl Into<String>, help: impl Into<String>) -> Refused {
    Refused {
        message: message.into(),
        help: help.into(),
    }
}

/// The scheme a script names, or the names there are. An `hmac` signature in base64 has no
/// prefix unless one is given (Shopify sends the bare base64); in hex, `sha256=`.
pub fn parse(
    name: &str,
    header: Option<&str>,
    prefix: Option<&str>,
    base64: bool,
) -> Result<Scheme, String> {
    match name {
        "github" => Ok(Scheme::GitHub),
        "stripe" => Ok(Scheme::Stripe),
        "slack" => Ok(Scheme::Slack),
        "hmac" => Ok(Scheme::Hmac {
            header: header.unwrap_or("X-Signature").to_string(),
            prefix: prefix
                .unwrap_or(if base64 { "" } else { "sha256=" })
                .to_string(),
            base64,
        }),
        other => Err(format!(
            "there is no signature scheme `{other}`; the schemes are {}",
            NAMES
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOLERANCE: Duration = Duration::from_secs(300);

    fn headers(pairs: &[(String, String)]) -> impl Fn(&str) -> Option<String> + '_ {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        }
    }

    /// GitHub's documentation: the secret `It's a Secret to Everybody` and the payload
    /// `Hello, World!` give this signature.
    #[test]
    fn github_signs_as_its_documentation_shows() {
        let secret = b"It's a Secret to Everybody";
        let sent = [(
            "x-hub-signature-256".to_string(),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17".to_string(),
        )];
        let check = |body: &[u8]| Scheme::GitHub.verify(secret, headers(&sent), body, 0, TOLERANCE);
        assert_eq!(check(b"Hello, World!"), Ok(()));
        let tampered = check(b"Hello, World?").unwrap_err();
        assert_eq!(
            tampered.message,
            "`X-Hub-Signature-256` does not match the body"
        );
        assert_eq!(
            Scheme::GitHub.sign(secret, b"Hello, World!", 0),
            sent.map(|(_, v)| (GITHUB_HEADER.to_string(), v)).to_vec()
        );
    }

    /// Slack's documentation: its example request, signing secret and signature.
    #[test]
    fn slack_signs_as_its_documentation_shows() {
        let secret = b"8f742231b10e8888abcd99yyyzzz85a5";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let sent = [
            (SLACK_TIMESTAMP.to_string(), "1531420618".to_string()),
            (
                SLACK_HEADER.to_string(),
                "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503".to_string(),
            ),
        ];
        let at = 1_531_420_618;
        assert_eq!(
            Scheme::Slack.verify(secret, headers(&sent), body, at + 10, TOLERANCE),
            Ok(())
        );
        assert_eq!(Scheme::Slack.sign(secret, body, at), sent.to_vec());
        // The same request six minutes later is a replay.
        let late = Scheme::Slack
            .verify(secret, headers(&sent), body, at + 360, TOLERANCE)
            .unwrap_err();
        assert_eq!(
            late.message,
            "the signature is 360 seconds old, more than the 300 allowed"
        );
    }

    #[test]
    fn stripe_takes_any_matching_v1_and_refuses_an_old_timestamp() {
        let (secret, body, at) = (
            b"whsec_test",
            br#"{"id":"evt_1","type":"invoice.paid"}"#,
            1_767_225_600,
        );
        let signed = Scheme::Stripe.sign(secret, body, at);
        let value = &signed[0].1;
        assert!(value.starts_with("t=1767225600,v1="), "{value}");
        // While a secret is rolled over, Stripe sends a signature for each; one is enough.
        let rolled = [(
            STRIPE_HEADER.to_string(),
            format!("t={at},v1={},{}", "00".repeat(32), &value[13..]),
        )];
        assert_eq!(
            Scheme::Stripe.verify(secret, headers(&rolled), body, at, TOLERANCE),
            Ok(())
        );
        let old = Scheme::Stripe
            .verify(secret, headers(&signed), body, at + 301, TOLERANCE)
            .unwrap_err();
        assert_eq!(
            old.message,
            "the signature is 301 seconds old, more than the 300 allowed"
        );
        // A new `t` with the old signature: the time is signed too.
        let moved = [(
            STRIPE_HEADER.to_string(),
            value.replace("t=1767225600", &format!("t={}", at + 100)),
        )];
        let refused = Scheme::Stripe
            .verify(secret, headers(&moved), body, at + 100, TOLERANCE)
            .unwrap_err();
        assert_eq!(
            refused.message,
            "`Stripe-Signature` does not match the body"
        );
        let bare = [(STRIPE_HEADER.to_string(), "v1=abcd".to_string())];
        let refused = Scheme::Stripe
            .verify(secret, headers(&bare), body, at, TOLERANCE)
            .unwrap_err();
        assert_eq!(
            refused.message,
            "the request has no `t=` in `Stripe-Signature`"
        );
    }

    /// Shopify sends the bare base64 of the HMAC: the value below is what
    /// `printf '%s' "$body" | openssl dgst -sha256 -hmac shpss_secret -binary | base64` gives.
    #[test]
    fn an_hmac_in_base64_is_read_as_shopify_sends_it() {
        let scheme = parse("hmac", Some("X-Shopify-Hmac-Sha256"), None, true).unwrap();
        let body = br#"{"id":820982911946154508,"total_price":"120.00"}"#;
        let sent = [(
            "X-Shopify-Hmac-Sha256".to_string(),
            "rfwNuXTAlpMReTF45brQW9uf15XeKviOfahjiCNkdzM=".to_string(),
        )];
        let check = |secret: &[u8], body: &[u8], sent: &[(String, String)]| {
            scheme.verify(secret, headers(sent), body, 0, TOLERANCE)
        };
        assert_eq!(check(b"shpss_secret", body, &sent), Ok(()));
        assert_eq!(scheme.sign(b"shpss_secret", body, 0), sent);
        assert_eq!(
            check(b"shpss_other", body, &sent).unwrap_err().message,
            "`X-Shopify-Hmac-Sha256` does not match the body"
        );
        // The hex of the same HMAC is not what this app's provider sends.
        let hex = Scheme::Hmac {
            header: "X-Shopify-Hmac-Sha256".into(),
            prefix: String::new(),
            base64: false,
        }
        .sign(b"shpss_secret", body, 0);
        let refused = check(b"shpss_secret", body, &hex).unwrap_err();
        assert_eq!(
            refused.message,
            "`X-Shopify-Hmac-Sha256` does not match the body"
        );
        assert_eq!(
            check(b"shpss_secret", body, &[]).unwrap_err().help,
            "send `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body with the app's secret>`"
        );
    }

    /// Shopify's signature (base64) sent to a route that reads hex, and a hex one sent to a
    /// route that reads base64: the help says how to declare what the provider sends.
    #[test]
    fn a_signature_in_the_other_encoding_says_how_to_declare_it() {
        let hex = parse("hmac", Some("X-Shopify-Hmac-Sha256"), None, false).unwrap();
        let body = br#"{"id":820982911946154508,"total_price":"120.00"}"#;
        let sent = [(
            "X-Shopify-Hmac-Sha256".to_string(),
            "rfwNuXTAlpMReTF45brQW9uf15XeKviOfahjiCNkdzM=".to_string(),
        )];
        let declare = "the provider signs in base64, as Shopify does: write `base64` after `header \"X-Shopify-Hmac-Sha256\"` in the app's `signed` line";
        let refusal = |secret: &[u8]| {
            let refused = hex
                .verify(secret, headers(&sent), body, 0, TOLERANCE)
                .unwrap_err();
            (refused.message, refused.help)
        };
        assert_eq!(
            refusal(b"shpss_secret"),
            (
                "`X-Shopify-Hmac-Sha256` holds the body's signature in base64, and the app's webhooks read `sha256=<hex>`".to_string(),
                declare.to_string()
            )
        );
        // With the wrong secret too, the encoding is the first thing to fix.
        assert_eq!(
            refusal(b"shpss_other"),
            (
                "`X-Shopify-Hmac-Sha256` holds a signature in base64, and the app's webhooks read `sha256=<hex>`".to_string(),
                declare.to_string()
            )
        );
        // Neither hex nor base64: the help names both forms.
        let garbled = [(
            "X-Shopify-Hmac-Sha256".to_string(),
            "not a signature".to_string(),
        )];
        let refused = hex
            .verify(b"shpss_secret", headers(&garbled), body, 0, TOLERANCE)
            .unwrap_err();
        assert!(
            refused.help.contains("write `base64` after"),
            "{}",
            refused.help
        );
        let base64 = parse("hmac", Some("X-Shop-Hmac"), None, true).unwrap();
        let hex_sent = parse("hmac", Some("X-Shop-Hmac"), None, false)
            .unwrap()
            .sign(b"k", b"{}", 0);
        let refused = base64
            .verify(b"k", headers(&hex_sent), b"{}", 0, TOLERANCE)
            .unwrap_err();
        assert_eq!(
            refused.message,
            "`X-Shop-Hmac` holds the body's signature as `sha256=<hex>`, and the app's webhooks read base64"
        );
        assert_eq!(
            refused.help,
            "the provider signs in hex: take `base64` out of the app's `signed` line"
        );
    }

    #[test]
    fn a_generic_hmac_reads_the_header_and_prefix_the_app_names() {
        let scheme = parse("hmac", Some("X-Shopify-Hmac-Sha256"), Some(""), false).unwrap();
        let signed = scheme.sign(b"k", b"{}", 0);
        assert_eq!(signed[0].0, "X-Shopify-Hmac-Sha256");
        assert_eq!(
            scheme.verify(b"k", headers(&signed), b"{}", 0, TOLERANCE),
            Ok(())
        );
        assert_eq!(
            scheme
                .verify(b"other", headers(&signed), b"{}", 0, TOLERANCE)
                .unwrap_err()
                .message,
            "`X-Shopify-Hmac-Sha256` does not match the body"
        );
        let missing = scheme
            .verify(b"k", headers(&[]), b"{}", 0, TOLERANCE)
            .unwrap_err();
        assert_eq!(
            missing.message,
            "the request has no `X-Shopify-Hmac-Sha256`"
        );
        let garbled = [("X-Shopify-Hmac-Sha256".to_string(), "not hex".to_string())];
        assert!(
            scheme
                .verify(b"k", headers(&garbled), b"{}", 0, TOLERANCE)
                .unwrap_err()
                .message
                .contains("does not hold a signature")
        );
    }

    #[test]
    fn an_unknown_scheme_lists_the_schemes() {
        assert_eq!(
            parse("gitlab", None, None, false).unwrap_err(),
            "there is no signature scheme `gitlab`; the schemes are `hmac`, `github`, `stripe`, `slack`"
        );
    }
}
