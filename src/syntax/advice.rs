//! Advice for a syntax error that expected something else: the one `help:` that fits what was
//! found where (a word from another language, a part in the wrong place, a missing colon).

use super::error::{Expected, Found, list_words};

/// Advice for a part written in the wrong place or form, judged by what was found where.
pub(super) fn misplaced(expected: &[Expected], found: &Found, previous: &str) -> Option<String> {
    let has_token = |token: &str| {
        expected
            .iter()
            .any(|e| matches!(e, Expected::Token(t) if t == token))
    };
    let has = |thing: &str| {
        expected
            .iter()
            .any(|e| matches!(e, Expected::Thing(t) if *t == thing))
    };
    let Found::Token(word) = found else {
        return None;
    };
    let word = word.as_str();
    let is_duration_like = word.starts_with(|c: char| c.is_ascii_digit())
        && word
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .starts_with(|c: char| c.is_alphabetic() || c == '.');
    Some(match word {
        "\u{201c}" | "\u{201d}" | "\u{2018}" | "\u{2019}" | "\u{201e}" | "\u{00ab}" | "\u{00bb}" => {
            "write the text in straight quotes, as in `\"hi\"`; curly quotes such as `\u{201c}…\u{201d}` come from word processors and do not start a text".into()
        }
        "changing" if has_token("do") || has_token("unless") => {
            "`changing` goes before `where`: `on updated ENTITY in APP changing FIELD where …`"
                .into()
        }
        "unless" if has_token("do") => {
            "a one-liner's `unless` comes last: `on … do ACTION unless CONDITION`".into()
        }
        "create" | "update" | "delete" | "notify" if has_token(",") || has_token("unless") => {
            "separate a one-liner's actions with `,`: `do create …, notify …`".into()
        }
        "where" if has_token(",") || has_token("unless") => {
            "`where` belongs to the trigger: `on new ENTITY in APP where CONDITION do …`".into()
        }
        "on" if has("a step") => {
            "a workflow has one trigger; write another workflow for another trigger".into()
        }
        "created" | "added" => {
            "the kinds of event are `new`, `updated` and `deleted`: write `new`".into()
        }
        "changed" | "modified" | "edited" => {
            "the kinds of event are `new`, `updated` and `deleted`: write `updated`".into()
        }
        "removed" => {
            "the kinds of event are `new`, `updated` and `deleted`: write `deleted`".into()
        }
        "}" if has_token("where")
            && (previous == "deletes"
                || previous == "updates"
                || previous.chars().all(|c| c.is_alphanumeric() || c == '_')) =>
        {
            "`user updates` and `user deletes` choose their records with `where CONDITION`".into()
        }
        _ if previous == "scenario" => {
            "a scenario's name is a text in quotes: `scenario \"what it shows\" { … }`".into()
        }
        _ if is_duration_like => {
            "a duration is a whole number followed by `s`, `m`, `h` or `d`, as in `90m`".into()
        }
        _ => return None,
    })
}

/// What a user coming from another language most likely meant by a symbol weir does not use.
fn foreign_symbol(found: &Found) -> Option<&'static str> {
    let Found::Token(t) = found else { return None };
    Some(match t.as_str() {
        "=" => "compare with `==`; a single `=` only gives a `let` its value",
        "=>" => "write `>=` for \"greater than or equal\"",
        "=<" => "write `<=` for \"less than or equal\"",
        "=!" => "write `!=` for \"not equal\"",
        "<>" => "write `!=` for \"not equal\"",
        "&&" | "&" => "write `and`",
        "||" | "|" => "write `or`",
        "!" => "write `not` before a condition, and `!=` for \"not equal\"",
        "'" => "texts are written in double quotes: \"like this\"",
        ";" => "steps need no `;`: write one step per line",
        _ => return None,
    })
}

/// The most useful advice for what was expected.
pub(super) fn help_for(expected: &[Expected], found: &Found) -> String {
    if let Some(help) = foreign_symbol(found) {
        return help.into();
    }
    let has = |thing: &str| {
        expected
            .iter()
            .any(|e| matches!(e, Expected::Thing(t) if *t == thing))
    };
    let has_token = |token: &str| {
        expected
            .iter()
            .any(|e| matches!(e, Expected::Token(t) if t == token))
    };
    if has("a type") {
        return "a field's type is one of `text`, `number`, `bool`, `time`, `duration`, `stamp`, `list of T` or a record `{ name: type, … }`, with `?` for an optional one".into();
    }
    if has_token(":") && expected.len() <= 2 {
        return "write each field as `name: type` in an entity and `name: value` in a field block"
            .into();
    }
    if has(super::expected::WAIT_LENGTH) {
        return "a wait takes a length, a whole number followed by `s`, `m`, `h` or `d` and not in quotes, as in `wait 12h`".into();
    }
    if has(super::expected::TRIGGER_KINDS)
        && matches!(found, Found::Token(t) if t.starts_with(|c: char| c.is_ascii_digit()))
    {
        return "a timer reads `on 24h before FIELD of ENTITY in APP` (or `after`), its length a whole number followed by `s`, `m`, `h` or `d`".into();
    }
    if has(super::expected::TRIGGER_KINDS) {
        return "a trigger reads `on new ENTITY in APP` (or `updated`, `deleted`), a schedule `on every 15m`, or a timer `on 24h before FIELD of ENTITY in APP`".into();
    }
    if has("`new`, `updated` or `deleted`") {
        return "a trigger reads `on new ENTITY in APP` (or `updated`, `deleted`)".into();
    }
    if has_token("in") && expected.len() <= 2 {
        return "name the app with `in`, as in `on new event in Calendar` or `create event in Outlook`".into();
    }
    if has_token("owns") && expected.len() == 1 {
        return "a line that starts with a name reads `App owns entity`; other items start with `app`, `workflow`, `on`, `sync`, `scenario` or `engine`".into();
    }
    if has_token("do") {
        return "a one-liner reads `on new ENTITY in APP do ACTION`; a named workflow is written `workflow NAME { … }`".into();
    }
    if has("an item") {
        return "a script holds `app`, `workflow`, one-liners (`on … do …`), `App owns entity`, `sync`, `scenario` and `engine` items".into();
    }
    if has("a step") {
        return "inside a workflow each step starts with `let`, `unless`, `continue if`, `if`, `create`, `update`, `delete`, `upsert`, `notify` or `call`".into();
    }
    if has("an expression") {
        return "write a value here: a field name, a text in quotes, a number, `true`, `none` or a call like `now()`".into();
    }
    if has("a field name") {
        return "each entry reads `name: …`; close the block with `}` when it is complete".into();
    }
    if has("a whole number") {
        return "write a count such as `1`, or `no`".into();
    }
    if matches!(found, Found::Token(t) if t == "}")
        && !expected
            .iter()
            .any(|e| matches!(e, Expected::Thing(t) if t.ends_with("name")))
    {
        return "this `}` closes the block too early: finish what is inside it first".into();
    }
    format!("write {} here", list_words(expected))
}
