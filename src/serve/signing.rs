//! Signed webhooks: what a signature covers, and how `weir serve` checks one.
//!
//! A signature covers everything that decides what an event does, so that a signed request
//! cannot be sent again later, to another route, or under another actor:
//!
//! ```text
//! v1                              the scheme
//! 1767225600                      X-Weir-Timestamp: unix seconds when it was sent
//! POST                            the method
//! /events/Shop/order/new          the path, as sent
//! order-1001                      X-Weir-Event-Id (empty line without one)
//! Ada                             X-Weir-Actor (empty line without one)
//! email,name                      X-Weir-Changed (empty line without one)
//! {"customer":"Ada"}              the body's exact bytes (no newline after)
//!
//! X-Weir-Signature: v1=<hex HMAC-SHA256 of those lines, joined by "\n", with the secret>
//! ```
//!
//! Accepted: that signature with a timestamp within the tolerance (five minutes by default)
//! of weir's clock. Refused (401): a body-only `sha256=` signature, a route or header changed
//! after signing, or a timestamp too old or too far ahead. Header values are taken with the
//! spaces around them removed, as weir reads them; none of them can hold a newline, so the
//! lines cannot be shifted.

use std::time::Duration;

use ring::hmac;

/// How far a signature's timestamp may be from weir's clock, unless `--signature-tolerance`
/// says otherwise.
pub const TOLERANCE: Duration = Duration::from_secs(300);

/// The parts of a request a signature covers.
#[derive(Clone, Copy, Debug)]
pub struct Signed<'a> {
    pub timestamp: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub event_id: &'a str,
    pub actor: &'a str,
    pub changed: &'a str,
    pub body: &'a [u8],
}

impl Signed<'_> {
    /// The one text that is signed.
    pub fn text(&self) -> Vec<u8> {
        let head = format!(
            "v1\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.timestamp, self.method, self.path, self.event_id, self.actor, self.changed
        );
        let mut text = head.into_bytes();
        text.extend_from_slice(self.body);
        text
    }

    /// `X-Weir-Signature`'s value for a secret: `v1=` and 64 hex digits.
    pub fn sign(&self, secret: &[u8]) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        format!("v1={}", hex::encode(hmac::sign(&key, &self.text())))
    }
}

/// Why a signature was refused: what is wrong and the fix.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    pub message: String,
    pub help: String,
}

const HOW: &str = "sign `v1`, X-Weir-Timestamp, the method, the path, X-Weir-Event-Id, X-Weir-Actor, X-Weir-Changed and the body, one a line, and send X-Weir-Signature: v1=<hex HMAC-SHA256> (docs/real-apps.md, \"Signing webhooks\")";

fn refused(message: impl Into<String>, help: impl Into<String>) -> Refused {
    Refused {
        message: message.into(),
        help: help.into(),
    }
}

/// Checks a request's signature (in constant time) and then its timestamp against `now`
/// (unix seconds).
pub fn verify(
    key: &hmac::Key,
    signature: Option<&str>,
    signed: &Signed,
    now: u64,
    tolerance: Duration,
) -> Result<(), Refused> {
    let Some(signature) = signature else {
        return Err(refused("the request has no `X-Weir-Signature`", HOW));
    };
    if signature.starts_with("sha256=") {
        return Err(refused(
            "`X-Weir-Signature` is a `sha256=` signature of the body alone, which weir no longer takes",
            HOW,
        ));
    }
    let Some(tag) = signature
        .strip_prefix("v1=")
        .and_then(|h| hex::decode(h).ok())
    else {
        return Err(refused(
            "`X-Weir-Signature` is not `v1=` and 64 hex digits",
            HOW,
        ));
    };
    if signed.timestamp.is_empty() {
        return Err(refused(
            "the request has no `X-Weir-Timestamp`",
            "send the unix time of signing in seconds, as in `X-Weir-Timestamp: 1767225600`, and sign it",
        ));
    }
    let Ok(at) = signed.timestamp.parse::<u64>() else {
        return Err(refused(
            format!(
                "`X-Weir-Timestamp` is `{}`, not unix seconds",
                signed.timestamp
            ),
            "send the unix time of signing in seconds, as `date +%s` prints it",
        ));
    };
    if hmac::verify(key, &signed.text(), &tag).is_err() {
        return Err(refused(
            "`X-Weir-Signature` does not match the request",
            "sign the exact method, path, headers and body sent, with the secret `weir serve` was given in `--secret-env`; a request sent to another route or with another header is not the one signed",
        ));
    }
    let off = now.abs_diff(at);
    if off > tolerance.as_secs() {
        let when = if at < now { "old" } else { "ahead" };
        return Err(refused(
            format!(
                "`X-Weir-Timestamp` is {off} seconds {when}, more than the {} allowed",
                tolerance.as_secs()
            ),
            "sign each request when it is sent, with the current time; check the sender's clock, or widen `--signature-tolerance`",
        ));
    }
    Ok(())
}

/// Unix seconds now.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Signed<'static> {
        Signed {
            timestamp: "1767225600",
            method: "POST",
            path: "/events/Shop/order/new",
            event_id: "order-1001",
            actor: "",
            changed: "",
            body: br#"{"customer":"Ada"}"#,
        }
    }

    /// The same text and secret through `openssl dgst -sha256 -hmac s3cret`, as the
    /// documentation's shell example signs.
    #[test]
    fn the_signature_is_the_documented_one() {
        let text = String::from_utf8(order().text()).unwrap();
        assert_eq!(
            text,
            "v1\n1767225600\nPOST\n/events/Shop/order/new\norder-1001\n\n\n{\"customer\":\"Ada\"}"
        );
        assert_eq!(
            order().sign(b"s3cret"),
            "v1=d214aee749af4e9d7834f84adf605e68b9870c290a7e6296f18a7bdb489a4e72"
        );
    }

    fn check(signed: &Signed, signature: Option<&str>, now: u64) -> Result<(), Refused> {
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"s3cret");
        verify(&key, signature, signed, now, TOLERANCE)
    }

    #[test]
    fn what_decides_the_effect_is_signed() {
        let good = order().sign(b"s3cret");
        assert_eq!(check(&order(), Some(&good), 1767225600), Ok(()));
        let rerouted = Signed {
            path: "/events/Shop/order/deleted",
            ..order()
        };
        let renamed = Signed {
            event_id: "order-1002",
            ..order()
        };
        let forged = Signed {
            actor: "weir",
            ..order()
        };
        let changed = Signed {
            changed: "customer",
            ..order()
        };
        for other in [rerouted, renamed, forged, changed] {
            let err = check(&other, Some(&good), 1767225600).unwrap_err();
            assert!(err.message.contains("does not match"), "{err:?}");
        }
    }

    #[test]
    fn stale_missing_and_old_style_signatures_are_refused() {
        let good = order().sign(b"s3cret");
        let stale = check(&order(), Some(&good), 1767225600 + 301).unwrap_err();
        assert_eq!(
            stale.message,
            "`X-Weir-Timestamp` is 301 seconds old, more than the 300 allowed"
        );
        let ahead = check(&order(), Some(&good), 1767225600 - 400).unwrap_err();
        assert!(ahead.message.contains("400 seconds ahead"), "{ahead:?}");
        assert_eq!(check(&order(), Some(&good), 1767225600 + 300), Ok(()));
        let none = check(&order(), None, 1767225600).unwrap_err();
        assert!(none.message.contains("no `X-Weir-Signature`"));
        let body_only = check(&order(), Some("sha256=00"), 1767225600).unwrap_err();
        assert!(body_only.message.contains("no longer takes"));
        let untimed = Signed {
            timestamp: "",
            ..order()
        };
        let err = check(&untimed, Some(&good), 1767225600).unwrap_err();
        assert!(err.message.contains("no `X-Weir-Timestamp`"));
    }
}
