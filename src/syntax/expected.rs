//! What pest tried where a script went wrong, in the words a user would use: rules become
//! `a field name` or `a type`, keywords stay themselves, and long lists fold into `a step` or
//! `an item`. Words come from the table in [`crate::words`].

use std::collections::BTreeSet;
use std::sync::LazyLock;

use super::Rule;
use super::error::Expected;
use crate::words::{self, Role, Word};

/// The word each rule of the grammar is alone (`kw_on` is `on`), from the table of words,
/// indexed by rule: lowering asks for every pair it walks, so no string is compared there.
static RULE_WORDS: LazyLock<Vec<Option<&'static Word>>> = LazyLock::new(|| {
    let rules = Rule::all_rules();
    let len = rules.iter().map(|r| *r as usize + 1).max().unwrap_or(0);
    let mut out = vec![None; len];
    for rule in rules {
        out[*rule as usize] = words::of_rule(&format!("{rule:?}"));
    }
    out
});

/// The word a keyword rule stands for, as a user types it.
pub(super) fn keyword_text(rule: Rule) -> Option<&'static str> {
    RULE_WORDS[rule as usize].map(|w| w.text)
}

/// Whether `rule` is a `kw_*` rule: a keyword that carries nothing once parsed.
pub(super) fn is_keyword_rule(rule: Rule) -> bool {
    RULE_WORDS[rule as usize].is_some_and(|w| w.rule.is_some_and(|r| r.starts_with("kw_")))
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
            | Rule::record_lit
            | Rule::each
            | Rule::aggregate
            | Rule::aggregate_fn
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
            | Rule::index_access
    )
}

/// What words start: an item, a step, an action, a scenario step.
pub(super) const ITEM: &[Role] = &[Role::Item];
pub(super) const STEP: &[Role] = &[Role::Step, Role::Action];
const ACTION: &[Role] = &[Role::Action];
pub(super) const SCENARIO_STEP: &[Role] = &[Role::ScenarioStep];
const EXPRESSION_TOKENS: &[&str] = &["-", "(", "[", "\"", "if", "not", "{"];
/// Operators, and the first characters of operators, that "an operator" stands for.
const OPERATOR_TOKENS: &[&str] = &[
    "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "??", ".", "!", "=", "?", "[",
];

/// What `wait` takes.
pub(super) const WAIT_LENGTH: &str = "a length such as `12h`";
/// What may follow `on`: a kind of event, a schedule, or a timer.
pub(super) const TRIGGER_KINDS: &str =
    "`new`, `updated`, `deleted`, `every` or a timer (`24h before FIELD of ENTITY in APP`)";

/// Turns the rules and tokens pest tried into a short list in the user's words.
#[expect(
    clippy::too_many_lines,
    reason = "one pass over what pest tried, rule groups first, then single rules, then the words that read better together"
)]
pub(super) fn describe(
    rules: &BTreeSet<Rule>,
    mut tokens: BTreeSet<String>,
    before: &str,
) -> Vec<Expected> {
    // `[` is tried after every value (`xs[0]`), and pest then names the expression inside
    // the brackets as expected too, which is not what is missing. Where an expression could
    // really start, a text's `"` is among the tokens tried.
    let mut rules = rules.clone();
    if rules.contains(&Rule::index_access) && !tokens.contains("\"") {
        rules.remove(&Rule::expr);
    }
    let rules = &rules;
    let mut things: Vec<&'static str> = Vec::new();
    let mut take_group =
        |tokens: &mut BTreeSet<String>, roles: &[Role], thing: &'static str, needed: usize| {
            let group = words::of_roles(roles);
            if group.iter().filter(|w| tokens.contains(**w)).count() >= needed {
                for word in group {
                    tokens.remove(word);
                }
                things.push(thing);
                true
            } else {
                false
            }
        };
    let item = take_group(&mut tokens, ITEM, "an item", 3);
    let step = take_group(&mut tokens, STEP, "a step", 6);
    if !step {
        take_group(
            &mut tokens,
            ACTION,
            "an action (`create`, `update`, `delete`, `upsert` or `notify`)",
            4,
        );
    }
    take_group(
        &mut tokens,
        SCENARIO_STEP,
        "a scenario step (`user …` or `expect …`)",
        2,
    );
    // After `on`, a length starts a timer (`on 24h before start of …`), a rarer trigger than
    // a kind of event, not an expression.
    let timer = rules.contains(&Rule::event_kind);
    // After `wait`, only a length can follow (`wait 12h`): not any expression.
    let wait = before == "wait" && rules.contains(&Rule::duration);
    if wait {
        things.push(WAIT_LENGTH);
    }
    let expression = rules
        .iter()
        .any(|r| starts_expression(*r) && !((timer || wait) && *r == Rule::duration));
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
            Rule::type_name
            | Rule::list_type
            | Rule::choice_type
            | Rule::record_type
            | Rule::element_type
            | Rule::type_expr => "a type",
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
            Rule::plain_text | Rule::route_path => "a text in quotes",
            Rule::http_op => "`create`, `read`, `update`, `delete` or `list`",
            Rule::http_method => "`GET`, `POST`, `PUT`, `PATCH` or `DELETE`",
            Rule::body_format => "`json` or `form`",
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
        tokens.remove("{");
    }
    // `on conflict in sync …` and `on failed run of …` are the rarer triggers: a kind of
    // event is what is meant.
    if let Some(kind) = things
        .iter()
        .position(|t| *t == "`new`, `updated` or `deleted`")
    {
        tokens.remove("conflict");
        tokens.remove("failed");
        // After `on`, a schedule may stand there too, and a timer.
        if tokens.remove("every") {
            things[kind] = if rules.contains(&Rule::duration) {
                TRIGGER_KINDS
            } else {
                "`new`, `updated`, `deleted` or `every`"
            };
        }
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
            Rule::type_name | Rule::list_type | Rule::type_expr | Rule::element_type => {
                candidates.extend(words::of_roles(&[Role::Type]))
            }
            Rule::event_kind => candidates.extend(words::spelled_by("event_kind")),
            Rule::report_item => candidates.extend(words::spelled_by("report_item")),
            rule => candidates.extend(keyword_text(*rule)),
        }
    }
    for e in expected {
        match e {
            Expected::Thing("a step") => candidates.extend(words::of_roles(STEP)),
            Expected::Thing(t) if t.starts_with("an action") => {
                candidates.extend(words::of_roles(ACTION))
            }
            Expected::Thing("an item") => candidates.extend(words::of_roles(ITEM)),
            Expected::Thing(t) if t.starts_with("a scenario step") => {
                candidates.extend(words::of_roles(SCENARIO_STEP))
            }
            _ => {}
        }
    }
    crate::suggest::closest(word, candidates.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_of_a_word_reads_it_from_the_table() {
        for word in words::WORDS {
            let Some(name) = word.rule else { continue };
            let rule = Rule::all_rules()
                .iter()
                .find(|r| format!("{r:?}") == name)
                .unwrap_or_else(|| panic!("the grammar has no rule `{name}`"));
            assert_eq!(keyword_text(*rule), Some(word.text), "{name}");
            assert_eq!(is_keyword_rule(*rule), name.starts_with("kw_"), "{name}");
        }
        assert_eq!(keyword_text(Rule::op_in), None);
        assert_eq!(keyword_text(Rule::ident), None);
    }
}
