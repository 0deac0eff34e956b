//! The words of the language, in one table: every keyword with its role, whether it is
//! reserved (never a name) or contextual (a keyword only where the grammar expects it), and the
//! grammar rules that spell it.
//!
//! Everything that knows words reads them from [`WORDS`]: the syntax errors' `expected …`
//! lists and did-you-means (`syntax/expected.rs`), lowering's skipping of keyword tokens, REPL
//! completion and colours, the language server (through [`KEYWORDS`] and [`is_keyword`]).
//! pest cannot read Rust, so `grammar/weir.pest` spells the words a second time; the tests
//! below read the grammar's text and fail, naming the word and the rule, when the two differ:
//!
//! ```text
//! reserved = @{ … | "s" ~ ("cenario" | "ync" | "ort") … }   # `sort` is reserved by the grammar
//!                                                           # but missing from the table: fails
//! ```
//!
//! Adding a keyword: a row here, the `reserved` alternative (for a reserved word) and a
//! `kw_WORD` rule in the grammar, and the lists in `docs/language.md` and
//! `docs/errors/E0001.md`; the tests name whichever is missing.

/// `a` or `an` before a word.
pub fn article(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// What a word does in the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Starts an item at the top of a script: `app`, `workflow`, `on`, `use`, …
    Item,
    /// Part of an app's declaration: `at`, `reports`, `owns`, …
    Declaration,
    /// A field's type: `text`, `list`, `one`, …
    Type,
    /// A kind of event: `new`, `updated`, `deleted`.
    EventKind,
    /// Part of a trigger or an action's target: `in`, `where`, `changing`, `do`, `linked`.
    Trigger,
    /// Starts a workflow step that is not an action: `let`, `unless`, `continue`.
    Step,
    /// Starts an action: `create`, `update`, `delete`, `notify`.
    Action,
    /// A lookup after `let NAME =`: `find`, `exists`, `count`, and `ordered by … desc`.
    Lookup,
    /// Part of a conditional expression: `if`, `then`, `else`.
    Branch,
    /// Part of a sync: `between`, `prefer`, `with`, `map`, `match`, `latest`.
    Sync,
    /// Starts a scenario step: `user`, `expect`.
    ScenarioStep,
    /// Part of a scenario step: `creates`, `no`, `loop`, `runs`, `of`, …
    Scenario,
    /// A word operator: `and`, `or`, `not`.
    Operator,
    /// A literal value: `true`, `false`, `none`.
    Literal,
    /// A name with a meaning where a value is expected (`trigger`, `origin`, `id`); never
    /// reserved, spelled by no grammar rule, offered by completion.
    Value,
}

/// One word of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Word {
    pub text: &'static str,
    pub role: Role,
    /// Reserved words are never names (the grammar's `reserved` rule); the others are
    /// keywords only where the grammar expects them.
    pub reserved: bool,
    /// The grammar rule that is this word alone, as the parser expects it: `kw_WORD` for a
    /// keyword lowering skips, or a rule whose presence carries meaning (`linked`, `no`).
    pub rule: Option<&'static str>,
    /// Further grammar rules that spell this word among others (`op_in`, `event_kind`).
    pub also: &'static [&'static str],
}

const fn word(text: &'static str, role: Role, reserved: bool, rule: &'static str) -> Word {
    Word {
        text,
        role,
        reserved,
        rule: Some(rule),
        also: &[],
    }
}

const fn spelled(
    text: &'static str,
    role: Role,
    reserved: bool,
    also: &'static [&'static str],
) -> Word {
    Word {
        text,
        role,
        reserved,
        rule: None,
        also,
    }
}

const R: bool = true;
const C: bool = false;

/// Every word of the language. Within a role the order is the one messages list them in.
pub const WORDS: &[Word] = &[
    word("app", Role::Item, R, "kw_app"),
    word("workflow", Role::Item, R, "kw_workflow"),
    word("on", Role::Item, R, "kw_on"),
    word("sync", Role::Item, R, "kw_sync"),
    word("scenario", Role::Item, R, "kw_scenario"),
    word("engine", Role::Item, R, "kw_engine"),
    // `use "apps.weir"`, `use github`: another file's or a shipped connector's items.
    word("use", Role::Item, R, "kw_use"),
    word("at", Role::Declaration, R, "kw_at"),
    word("auth", Role::Declaration, C, "kw_auth"),
    word("bearer", Role::Declaration, C, "kw_bearer"),
    word("env", Role::Declaration, C, "kw_env"),
    word("reports", Role::Declaration, R, "kw_reports"),
    word("emits", Role::Declaration, R, "kw_emits"),
    word("owns", Role::Declaration, R, "kw_owns"),
    spelled("actor", Role::Declaration, C, &["report_item"]),
    spelled("changes", Role::Declaration, C, &["report_item"]),
    // An app's HTTP mapping (`http contact { … }`), auth and calls: keywords only there.
    word("http", Role::Declaration, C, "kw_http"),
    spelled("read", Role::Declaration, C, &["http_op"]),
    spelled("json", Role::Declaration, C, &["body_format"]),
    spelled("form", Role::Declaration, C, &["body_format"]),
    word("body", Role::Declaration, C, "kw_body"),
    word("records", Role::Declaration, C, "kw_records"),
    word("page", Role::Declaration, C, "kw_page"),
    word("cursor", Role::Declaration, C, "kw_cursor"),
    word("after", Role::Declaration, C, "kw_after"),
    word("last", Role::Declaration, C, "kw_last"),
    word("link", Role::Declaration, C, "kw_link"),
    word("next", Role::Declaration, C, "kw_next"),
    word("offset", Role::Declaration, C, "kw_offset"),
    word("filter", Role::Declaration, C, "kw_filter"),
    word("param", Role::Declaration, C, "kw_param"),
    word("header", Role::Declaration, C, "kw_header"),
    word("basic", Role::Declaration, C, "kw_basic"),
    word("oauth2", Role::Declaration, C, "kw_oauth2"),
    word("token", Role::Declaration, C, "kw_token"),
    word("client", Role::Declaration, C, "kw_client"),
    word("secret", Role::Declaration, C, "kw_secret"),
    word("refresh", Role::Declaration, C, "kw_refresh"),
    word("scope", Role::Declaration, C, "kw_scope"),
    word("file", Role::Declaration, C, "kw_file"),
    word("returns", Role::Declaration, C, "kw_returns"),
    word("writes", Role::Declaration, C, "kw_writes"),
    // An app's `limit 10 per second, at most 4 at once` and a trigger's `at most once per 60s`:
    // keywords only there.
    word("limit", Role::Declaration, C, "kw_limit"),
    word("per", Role::Declaration, C, "kw_per"),
    word("second", Role::Declaration, C, "kw_second"),
    word("most", Role::Declaration, C, "kw_most"),
    word("once", Role::Declaration, C, "kw_once"),
    // `webhooks at "/hooks/github" signed github env S within 5m { kind at …, "…" means … }`.
    word("webhooks", Role::Declaration, C, "kw_webhooks"),
    word("signed", Role::Declaration, C, "kw_signed"),
    word("within", Role::Declaration, C, "kw_within"),
    // `poll contact every 5m since changed as "updated_since"`.
    word("poll", Role::Declaration, C, "kw_poll"),
    word("since", Role::Declaration, C, "kw_since"),
    word("kind", Role::Declaration, C, "kw_kind"),
    word("means", Role::Declaration, C, "kw_means"),
    word("strict", Role::Declaration, C, "kw_strict"),
    word("base64", Role::Declaration, C, "kw_base64"),
    spelled("text", Role::Type, C, &["type_name"]),
    Word {
        also: &["type_name"],
        // `page number as "page"` in an app's HTTP mapping, too.
        ..word("number", Role::Type, C, "kw_number")
    },
    spelled("bool", Role::Type, C, &["type_name"]),
    spelled("time", Role::Type, C, &["type_name"]),
    spelled("duration", Role::Type, C, &["type_name"]),
    spelled("stamp", Role::Type, C, &["type_name"]),
    Word {
        also: &["http_op"],
        ..word("list", Role::Type, C, "kw_list")
    },
    word("one", Role::Type, C, "kw_one"),
    spelled("new", Role::EventKind, R, &["event_kind"]),
    spelled("updated", Role::EventKind, R, &["event_kind"]),
    spelled("deleted", Role::EventKind, R, &["event_kind"]),
    Word {
        also: &["op_in"],
        ..word("in", Role::Trigger, R, "kw_in")
    },
    word("where", Role::Trigger, R, "kw_where"),
    word("changing", Role::Trigger, R, "kw_changing"),
    word("do", Role::Trigger, R, "kw_do"),
    word("linked", Role::Trigger, R, "linked"),
    // `on conflict in sync NAME`.
    word("conflict", Role::Trigger, C, "kw_conflict"),
    // `on every day at 08:00 in "Europe/Berlin"`, `on every monday …`, `on every 15m`; also
    // `poll contact every 5m` in an app, and the lookup `let open = every ticket in Desk …`.
    word("every", Role::Trigger, C, "kw_every"),
    spelled("day", Role::Trigger, C, &["every_day"]),
    spelled("monday", Role::Trigger, C, &["weekday"]),
    spelled("tuesday", Role::Trigger, C, &["weekday"]),
    spelled("wednesday", Role::Trigger, C, &["weekday"]),
    spelled("thursday", Role::Trigger, C, &["weekday"]),
    spelled("friday", Role::Trigger, C, &["weekday"]),
    spelled("saturday", Role::Trigger, C, &["weekday"]),
    spelled("sunday", Role::Trigger, C, &["weekday"]),
    // `at most once per 60s per device` after a trigger also uses `most`, `once` and `per`,
    // the words of an app's `limit` above.
    // `on failed run of NAME`: keywords only there.
    word("failed", Role::Trigger, C, "kw_failed"),
    word("run", Role::Trigger, C, "kw_run"),
    // `on 24h before start of appointment in EHR` (or `after`, a word of HTTP mappings too).
    word("before", Role::Trigger, C, "kw_before"),
    word("let", Role::Step, R, "kw_let"),
    word("unless", Role::Step, R, "kw_unless"),
    word("continue", Role::Step, R, "kw_continue"),
    // `for line in lines { … }`: a keyword only at the start of a step.
    word("for", Role::Step, C, "kw_for"),
    // `wait 12h`: a keyword only at the start of a step.
    word("wait", Role::Step, C, "kw_wait"),
    // `let c = find … ordered by FIELD desc`, `exists …`, `count …`: keywords only after `let NAME =`.
    word("find", Role::Lookup, C, "kw_find"),
    word("exists", Role::Lookup, C, "kw_exists"),
    word("count", Role::Lookup, C, "kw_count"),
    word("ordered", Role::Lookup, C, "kw_ordered"),
    word("by", Role::Lookup, C, "kw_by"),
    word("desc", Role::Lookup, C, "descending"),
    // The three are operations of an HTTP mapping (`create POST "/contacts"`) too.
    Word {
        also: &["http_op"],
        ..word("create", Role::Action, R, "kw_create")
    },
    Word {
        also: &["http_op"],
        ..word("update", Role::Action, R, "kw_update")
    },
    Word {
        also: &["http_op"],
        ..word("delete", Role::Action, R, "kw_delete")
    },
    word("notify", Role::Action, R, "kw_notify"),
    // `upsert contact in CRM match email { … }`: update the match, or create one.
    word("upsert", Role::Action, R, "kw_upsert"),
    // `[let r =] call NAME in APP { … }`: a request to a real app.
    word("call", Role::Step, R, "kw_call"),
    word("if", Role::Branch, R, "kw_if"),
    word("then", Role::Branch, R, "kw_then"),
    word("else", Role::Branch, R, "kw_else"),
    word("between", Role::Sync, R, "kw_between"),
    word("prefer", Role::Sync, R, "kw_prefer"),
    word("with", Role::Sync, C, "kw_with"),
    word("map", Role::Sync, C, "kw_map"),
    word("match", Role::Sync, C, "kw_match"),
    spelled("latest", Role::Sync, C, &["prefer_latest"]),
    // `sync … as NAME`.
    word("as", Role::Sync, C, "kw_as"),
    Word {
        also: &["user_lit"],
        ..word("user", Role::ScenarioStep, R, "kw_user")
    },
    word("expect", Role::ScenarioStep, R, "kw_expect"),
    // `advance 24h`: the scenario's clock moves forward (`at TIME` moves it to a time).
    word("advance", Role::ScenarioStep, C, "kw_advance"),
    // `app Crm refuses writes`, `app Crm takes writes`: keywords only there.
    word("refuses", Role::Scenario, C, "kw_refuses"),
    word("takes", Role::Scenario, C, "kw_takes"),
    word("creates", Role::Scenario, R, "kw_creates"),
    word("updates", Role::Scenario, R, "kw_updates"),
    word("deletes", Role::Scenario, R, "kw_deletes"),
    word("no", Role::Scenario, R, "no"),
    word("loop", Role::Scenario, R, "loop_word"),
    word("runs", Role::Scenario, C, "kw_runs"),
    word("notified", Role::Scenario, C, "kw_notified"),
    // `together { user … }`: changes the engine sees at once.
    word("together", Role::Scenario, C, "kw_together"),
    // `expect runs of` in a scenario, and `one of` in a type.
    word("of", Role::Scenario, C, "kw_of"),
    // `expect runs of line 12`: spelled inside `line_ref`, which is not a rule of its own.
    spelled("line", Role::Scenario, C, &[]),
    Word {
        also: &["op_and"],
        ..word("and", Role::Operator, R, "kw_and")
    },
    spelled("or", Role::Operator, R, &["op_or"]),
    spelled("not", Role::Operator, R, &["op_not"]),
    spelled("true", Role::Literal, R, &["true_lit"]),
    spelled("false", Role::Literal, R, &["false_lit"]),
    spelled("none", Role::Literal, R, &["none_lit"]),
    spelled("trigger", Role::Value, C, &[]),
    spelled("origin", Role::Value, C, &[]),
    // `target.FIELD`: the record an `update` writes, inside that `update`.
    spelled("target", Role::Value, C, &[]),
    // `error.message` in a workflow on a failed run.
    spelled("error", Role::Value, C, &[]),
    // `id at "number"` in an HTTP mapping spells it too.
    word("id", Role::Value, C, "kw_id"),
    // `sum(line.qty for line in lines)`, `any(…)`, `all(…)`: words only before `(… for`.
    spelled("sum", Role::Value, C, &["aggregate_fn"]),
    spelled("any", Role::Value, C, &["aggregate_fn"]),
    spelled("all", Role::Value, C, &["aggregate_fn"]),
];

const fn reserved_count() -> usize {
    let (mut i, mut n) = (0, 0);
    while i < WORDS.len() {
        if WORDS[i].reserved {
            n += 1;
        }
        i += 1;
    }
    n
}

const RESERVED: [&str; reserved_count()] = {
    let mut out = [""; reserved_count()];
    let (mut i, mut n) = (0, 0);
    while i < WORDS.len() {
        if WORDS[i].reserved {
            out[n] = WORDS[i].text;
            n += 1;
        }
        i += 1;
    }
    out
};

/// The reserved words of the language (grammar/weir.pest's `reserved`), in table order.
pub const KEYWORDS: &[&str] = &RESERVED;

/// Whether `word` is reserved: never a name.
pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

/// The words of some roles, in table order.
pub fn of_roles(roles: &[Role]) -> Vec<&'static str> {
    WORDS
        .iter()
        .filter(|w| roles.contains(&w.role))
        .map(|w| w.text)
        .collect()
}

/// Whether `word` is a word of one of `roles`.
pub fn has_role(word: &str, roles: &[Role]) -> bool {
    WORDS
        .iter()
        .any(|w| w.text == word && roles.contains(&w.role))
}

/// The word that grammar rule `rule` is alone (`kw_on` is `on`, `loop_word` is `loop`).
pub fn of_rule(rule: &str) -> Option<&'static Word> {
    WORDS.iter().find(|w| w.rule == Some(rule))
}

/// The words a grammar rule spells, alone or among others (`event_kind`: `new`, …).
pub fn spelled_by(rule: &str) -> Vec<&'static str> {
    WORDS
        .iter()
        .filter(|w| w.rule == Some(rule) || w.also.contains(&rule))
        .map(|w| w.text)
        .collect()
}

/// Every word, reserved or not, for completion.
pub fn all() -> impl Iterator<Item = &'static str> {
    WORDS.iter().map(|w| w.text)
}

#[cfg(test)]
mod grammar;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_follow_the_first_sound_letter() {
        assert_eq!(article("event"), "an");
        assert_eq!(article("patient"), "a");
        assert_eq!(article("Invoice"), "an");
    }

    #[test]
    fn each_word_is_in_the_table_once() {
        for (i, w) in WORDS.iter().enumerate() {
            assert!(
                !WORDS[..i].iter().any(|o| o.text == w.text),
                "`{}` is in the table of words twice",
                w.text
            );
        }
        assert!(is_keyword("workflow") && !is_keyword("map") && !is_keyword("title"));
    }

    /// The fuzzer's dictionary holds every word of the table, so that it tries each construct.
    #[test]
    fn the_fuzzing_dictionary_has_every_word() {
        let dictionary = include_str!("../fuzz/weir.dict");
        let missing: Vec<&str> = WORDS
            .iter()
            .map(|w| w.text)
            .filter(|word| !dictionary.lines().any(|line| line == format!("\"{word}\"")))
            .collect();
        assert!(
            missing.is_empty(),
            "add these to fuzz/weir.dict: {missing:?}"
        );
    }

    /// The reference lists the reserved words twice: `docs/language.md` and the page of E0001.
    #[test]
    fn the_reference_lists_the_reserved_words() {
        let sorted = |mut words: Vec<&'static str>| {
            words.sort_unstable();
            words
        };
        let language = include_str!("../docs/language.md");
        let block = language
            .split("**Keywords.**")
            .nth(1)
            .and_then(|rest| rest.split("```text").nth(1))
            .and_then(|rest| rest.split("```").next())
            .expect("docs/language.md has a block of keywords");
        assert_eq!(
            sorted(block.split_whitespace().collect()),
            sorted(KEYWORDS.to_vec()),
            "docs/language.md's keywords differ from the table in src/words.rs"
        );
        let page = include_str!("../docs/errors/E0001.md");
        let sentence = page
            .split("workflow or `let`:")
            .nth(1)
            .and_then(|rest| rest.split(".\n").next())
            .expect("docs/errors/E0001.md lists the reserved keywords");
        assert_eq!(
            sorted(sentence.split('`').skip(1).step_by(2).collect()),
            sorted(KEYWORDS.to_vec()),
            "docs/errors/E0001.md's keywords differ from the table in src/words.rs"
        );
    }
}
