//! The messages `weir serve` keeps in its journal, without record values unless asked.
//!
//! ```text
//! kept:     `intake` failed: a number is needed here, but the value is a text
//! not kept: `intake` failed: a number is needed here, but the value is 123-45-6789 (a text)
//! ```
//!
//! The journal and `GET /runs` outlive the request: a value of a record (a diagnosis, an
//! account number) must not end up there unless `--log-values` says so. What a message keeps
//! is what a person needs to find the fault: the workflow, the field, the kind of value, the
//! app, the method and the status it answered.

use super::webhook::Problem;
use crate::run::apps::AppError;
use crate::run::error::Failure;

/// A failed run's message.
pub fn failure(failure: &Failure, values: bool) -> String {
    if values {
        crate::diagnostic::Report::report(failure).message
    } else {
        failure.message_without_values()
    }
}

/// A change an app refused before any workflow ran.
pub fn refused(err: &AppError, values: bool) -> String {
    if values {
        return err.to_string();
    }
    err.without_values().to_string()
}

/// A record that could not be read when its event ran (the script changed since).
pub fn problem(problem: &Problem, values: bool) -> String {
    // A route the script no longer has quotes only names.
    if values || problem.status == 404 {
        format!("{}; {}", problem.message, problem.help)
    } else {
        "the event's record does not fit the script as it is now; run `weir serve --log-values` to keep what was wrong".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_apps_reason_keeps_the_method_and_status_without_values() {
        let app = |reason: &str| AppError {
            app: "Crm".into(),
            reason: reason.into(),
            failed: false,
            read: false,
        };
        let lookup = app(
            "GET http://127.0.0.1:9/contact?email=ada%40example.com answered 422 Unprocessable Entity: `ada@example.com` is taken (tried 3 times)",
        );
        assert_eq!(
            refused(&lookup, false),
            "Crm refused the write: GET http://127.0.0.1:9/contact?… answered 422 Unprocessable Entity (tried 3 times)"
        );
        assert!(refused(&lookup, true).contains("ada@example.com"));
        let plain = app("there is no record Crm/contact/9 to update");
        assert_eq!(
            refused(&plain, false),
            "Crm refused the write: there is no record Crm/contact/9 to update"
        );
    }
}
