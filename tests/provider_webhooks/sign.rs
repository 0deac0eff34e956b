//! Signing as providers do, for the tests that send their webhooks to `weir serve`.

use std::time::{SystemTime, UNIX_EPOCH};

use weir::serve::schemes::Scheme;

/// The clock, in unix seconds, as a provider stamps its signatures.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The headers the provider sends with `body`, signed with `scheme` at `at` (unix seconds).
pub fn signed(scheme: &Scheme, secret: &str, body: &str, at: u64) -> Vec<(&'static str, String)> {
    scheme
        .sign(secret.as_bytes(), body.as_bytes(), at)
        .into_iter()
        .map(|(k, v)| (leak(k), v))
        .collect()
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}
