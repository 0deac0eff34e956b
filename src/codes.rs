//! Every diagnostic code weir can print, with its level and its explain page.
//!
//! The pages live in `docs/errors/CODE.md` and are compiled in, so `weir explain` and the
//! documentation are one text.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warning,
}

macro_rules! codes {
    ($($name:ident: $level:ident, $summary:literal;)*) => {
        /// A diagnostic code such as `E0301`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($name,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => stringify!($name),)*
                }
            }

            pub fn level(self) -> Level {
                match self {
                    $(Code::$name => Level::$level,)*
                }
            }

            /// One line saying what the code is about.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$name => $summary,)*
                }
            }

            /// The long explanation, `docs/errors/CODE.md`.
            pub fn page(self) -> &'static str {
                match self {
                    $(Code::$name => include_str!(concat!("../docs/errors/", stringify!($name), ".md")),)*
                }
            }
        }
    };
}

codes! {
    E0001: Error, "syntax error";
    E0002: Error, "an expression nested or chained too deeply";
    E0003: Error, "a number too large";
    W0004: Warning, "an `allow` directive that acknowledges nothing";
    E0005: Error, "a `use` that names no file or connector weir can read";
    W0101: Warning, "an undeclared app whose name is close to a declared one";
    E0102: Error, "unknown entity of a declared app";
    E0103: Error, "unknown field";
    E0104: Error, "duplicate name";
    E0105: Error, "unknown name in an expression";
    E0106: Error, "unknown function, or wrong number of arguments";
    E0201: Error, "type mismatch";
    E0202: Error, "`create` misses a required field of a declared entity";
    E0203: Error, "a condition is not `bool`";
    E0204: Error, "an optional value used where a value is required";
    E0205: Error, "`changing` where changes are not reported";
    W0206: Warning, "a workflow that can never run";
    W0207: Warning, "an unused `let`, or a condition that is always true or always false";
    E0208: Error, "a sync mapping that would write into a computed side";
    E0209: Error, "an unknown time zone";
    E0210: Error, "a schedule that can never fire";
    E0211: Error, "`on failed run of` a workflow that itself runs on failed runs";
    E0212: Error, "a rate limit whose window has no length";
    E0213: Error, "a `wait` with no length";
    E0214: Error, "a `wait` inside an `if` or a `for`";
    E0215: Error, "a timer on a field that is not a `time`";
    E0220: Error, "a workflow on failed runs can set off a workflow whose failures it runs on";
    E0230: Error, "a field that a nested record does not have";
    E0231: Error, "a record literal that does not fit its type";
    E0232: Error, "`sum`, `any`, `all` or `[… for …]` over something that is not a list of fitting values";
    E0301: Error, "workflows can trigger each other forever";
    E0302: Error, "an origin guard that can never match";
    E0303: Error, "an origin guard on a cycle compares a label the engine does not stamp";
    E0304: Error, "an update cycle cut only by stamps, which drop people's later edits";
    W0305: Warning, "a stamp guard on updates of records the engine writes";
    W0306: Warning, "a guard that cuts a chain the user built";
    E0307: Error, "a chain brings a record back to its app as a second copy";
    W0308: Warning, "an origin label no change can carry";
    E0401: Error, "two owners for one entity";
    E0402: Error, "two-way flow with the source of truth";
    W0403: Warning, "an owned entity flows between two apps, neither of them the owner";
    W0404: Warning, "two apps update the same entity both ways with no owner";
    W0405: Warning, "a sync's value map that does not come back as it went";
    E0501: Error, "an app's HTTP mapping that does not fit the app";
    E0502: Error, "an app's webhooks that do not fit the app";
    E0503: Error, "an app's poll that does not fit the app";
    R0301: Error, "the run-time guard held a chain";
    R0302: Error, "a run failed at run time";
    R0303: Error, "a bad input event";
    R0304: Error, "a real app cannot be used as declared";
    R0305: Error, "an event from an app that reports actors came without one";
}

impl Code {
    /// Finds a code by its text, ignoring case (`e0301` works too).
    pub fn parse(text: &str) -> Option<Code> {
        let upper = text.trim().to_ascii_uppercase();
        Code::ALL.iter().copied().find(|c| c.as_str() == upper)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
