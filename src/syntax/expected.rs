//! What pest tried where a script went wrong, in the words a user would use: rules become
//! `a field name` or `a type`, keywords stay themselves, and long lists fold into `a step` or
//! `an item`.

use std::collections::BTreeSet;

use super::Rule;
use super::error::Expected;

const TYPE_NAMES: &[&str] = &[
    "text", "number", "bool", "time", "duration", "stamp", "list", "one",
];
pub(super) const KIND_NAMES: &[&str] = &["new", "updated", "deleted"];
const REPORT_NAMES: &[&str] = &["actor", "changes"];

pub(super) fn keyword_text(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::kw_app => "app",
        Rule::kw_at => "at",
        Rule::kw_auth => "auth",
        Rule::kw_bearer => "bearer",
        Rule::kw_env => "env",
        Rule::kw_reports => "reports",
        Rule::kw_emits => "emits",
        Rule::kw_owns => "owns",
        Rule::kw_engine => "engine",
        Rule::kw_workflow => "workflow",
        Rule::kw_on => "on",
        Rule::kw_do => "do",
        Rule::kw_in => "in",
        Rule::kw_where => "where",
        Rule::kw_changing => "changing",
        Rule::kw_unless => "unless",
        Rule::kw_continue => "continue",
        Rule::kw_if => "if",
        Rule::kw_then => "then",
        Rule::kw_else => "else",
        Rule::kw_let => "let",
        Rule::kw_create => "create",
        Rule::kw_update => "update",
        Rule::kw_delete => "delete",
        Rule::kw_notify => "notify",
        Rule::kw_sync => "sync",
        Rule::kw_between => "between",
        Rule::kw_and => "and",
        Rule::kw_prefer => "prefer",
        Rule::kw_scenario => "scenario",
        Rule::kw_user => "user",
        Rule::kw_creates => "creates",
        Rule::kw_updates => "updates",
        Rule::kw_deletes => "deletes",
        Rule::kw_expect => "expect",
        Rule::kw_runs => "runs",
        Rule::kw_of => "of",
        Rule::kw_notified => "notified",
        Rule::kw_list => "list",
        Rule::kw_one => "one",
        Rule::kw_with => "with",
        Rule::kw_map => "map",
        Rule::kw_match => "match",
        Rule::kw_limit => "limit",
        Rule::kw_per => "per",
        Rule::kw_second => "second",
        Rule::kw_most => "most",
        Rule::kw_once => "once",
        Rule::linked => "linked",
        Rule::no => "no",
        Rule::loop_word => "loop",
        _ => return None,
    })
}

pub(super) fn starts_expression(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::expr
            | Rule::if_expr
            | Rule::name_or_call
            | Rule::list
            | Rule::paren
            | Rule::duration
            | Rule::number
            | Rule::text
            | Rule::true_lit
            | Rule::false_lit
            | Rule::none_lit
            | Rule::user_lit
            | Rule::op_not
            | Rule::op_neg
    )
}

fn is_operator(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::op_or
            | Rule::op_and
            | Rule::op_eq
            | Rule::op_ne
            | Rule::op_lt
            | Rule::op_le
            | Rule::op_gt
            | Rule::op_ge
            | Rule::op_in
            | Rule::op_add
            | Rule::op_sub
            | Rule::op_mul
            | Rule::op_div
            | Rule::op_default
            | Rule::field_access
    )
}

pub const ITEM_WORDS: &[&str] = &["app", "workflow", "on", "sync", "scenario", "engine"];
pub(super) const STEP_WORDS: &[&str] = &[
    "let", "unless", "continue", "create", "update", "delete", "notify",
];
const ACTION_WORDS: &[&str] = &["create", "update", "delete", "notify"];
pub(super) const SCENARIO_WORDS: &[&str] = &["user", "expect"];
const EXPRESSION_TOKENS: &[&str] = &["-", "(", "[", "\"", "if", "not"];
/// Operators, and the first characters of operators, that "an operator" stands for.
const OPERATOR_TOKENS: &[&str] = &[
    "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "??", ".", "!", "=", "?",
];

/// Turns the rules and tokens pest tried into a short list in the user's words.
pub(super) fn describe(
    rules: &BTreeSet<Rule>,
    mut tokens: BTreeSet<String>,
    before: &str,
) -> Vec<Expected> {
    let mut things: Vec<&'static str> = Vec::new();
    let mut take_group =
        |tokens: &mut BTreeSet<String>, group: &[&str], thing: &'static str, needed: usize| {
            if group.iter().filter(|w| tokens.contains(**w)).count() >= needed {
                for word in group {
                    tokens.remove(*word);
                }
                things.push(thing);
                true
            } else {
                false
            }
        };
    let item = take_group(&mut tokens, ITEM_WORDS, "an item", 3);
    let step = take_group(&mut tokens, STEP_WORDS, "a step", 5);
    if !step {
        take_group(
            &mut tokens,
            ACTION_WORDS,
            "an action (`create`, `update`, `delete` or `notify`)",
            4,
        );
    }
    take_group(
        &mut tokens,
        SCENARIO_WORDS,
        "a scenario step (`user …` or `expect …`)",
        2,
    );
    let expression = rules.iter().any(|r| starts_expression(*r));
    if expression {
        things.push("an expression");
        for t in EXPRESSION_TOKENS {
            tokens.remove(*t);
        }
    }
    let operator = rules.iter().any(|r| is_operator(*r));
    if operator {
        for t in OPERATOR_TOKENS {
            tokens.remove(*t);
        }
    }
    for rule in rules {
        let thing = match rule {
            Rule::ident if expression || item => continue,
            Rule::ident => ident_context(&tokens, before),
            Rule::event_kind => "`new`, `updated` or `deleted`",
            Rule::type_name | Rule::list_type | Rule::choice_type => "a type",
            Rule::report_item => "`actor` or `changes`",
            Rule::direction => {
                for arrow in ["<->", "->", "<-"] {
                    tokens.remove(arrow);
                }
                "`<->`, `->` or `<-`"
            }
            Rule::prefer_latest => "`latest` or an app name",
            Rule::count | Rule::integer => "a whole number",
            Rule::limit_count => "a whole number from 1",
            Rule::plain_text => "a text in quotes",
            Rule::EOI if item => continue,
            Rule::EOI => "the end of the input",
            _ => continue,
        };
        if !things.contains(&thing) {
            things.push(thing);
        }
    }
    if tokens.remove("end") {
        things.push("the end of the input");
    }
    if operator {
        things.push("an operator");
    }
    if things.contains(&"a type") {
        tokens.remove("list");
        tokens.remove("one");
    }
    things
        .into_iter()
        .map(Expected::Thing)
        .chain(tokens.into_iter().map(Expected::Token))
        .collect()
}

/// What a name stands for here, judged by the word before it.
fn ident_context(tokens: &BTreeSet<String>, before: &str) -> &'static str {
    if tokens.contains("reports") || tokens.contains("emits") {
        return "an entity name";
    }
    match before {
        "in" | "between" | "and" | "app" | "prefer" => "an app name",
        "with" => "an entity name",
        "match" => "a field name",
        "new" | "updated" | "deleted" | "creates" | "updates" | "deletes" | "create" | "update"
        | "delete" | "sync" | "owns" => "an entity name",
        "changing" | "{" | "," | "?" | ">" | "text" | "number" | "bool" | "time" | "duration"
        | "stamp" | "<->" | "->" | "<-" => "a field name",
        "workflow" | "of" => "a workflow name",
        "no" => "an entity name",
        word if word.bytes().all(|b| b.is_ascii_digit()) && !word.is_empty() => "an entity name",
        "let" => "a name for the value",
        "engine" => "a label",
        "env" => "an environment variable name",
        _ => "a name",
    }
}

/// The word closest to `word` among the closed sets of words that fit here.
pub(super) fn suggest_word(
    word: &str,
    rules: &BTreeSet<Rule>,
    expected: &[Expected],
) -> Option<&'static str> {
    let mut candidates: Vec<&'static str> = Vec::new();
    for rule in rules {
        match rule {
            Rule::type_name | Rule::list_type => candidates.extend(TYPE_NAMES),
            Rule::event_kind => candidates.extend(KIND_NAMES),
            Rule::report_item => candidates.extend(REPORT_NAMES),
            rule => candidates.extend(keyword_text(*rule)),
        }
    }
    for e in expected {
        match e {
            Expected::Thing("a step") => candidates.extend(STEP_WORDS),
            Expected::Thing(t) if t.starts_with("an action") => candidates.extend(ACTION_WORDS),
            Expected::Thing("an item") => candidates.extend(ITEM_WORDS),
            Expected::Thing(t) if t.starts_with("a scenario step") => {
                candidates.extend(SCENARIO_WORDS)
            }
            _ => {}
        }
    }
    crate::suggest::closest(word, candidates.iter().copied())
}
