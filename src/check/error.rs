//! What the name and type checker can find wrong, as data, and how each reads: each problem's
//! message, labels and help are one arm in one of five functions, picked by `parts` (names not
//! declared and names in the wrong place here, steps here, values and records in
//! `value_error.rs`, syncs in `sync_error.rs`); rendering is left to [`crate::diagnostic`].

use std::sync::Arc;

use super::schedule::ScheduleProblem;
use super::sync_error::{MapCollision, SyncProblem, sync_entity_missing_parts};
use crate::ast::{BinaryOp, EventKind};
use crate::codes::Code;
use crate::diagnostic::{self, Diagnostic, Report, help, primary, secondary};
use crate::program::Entity;
use crate::span::Span;
use crate::types::Type;

/// A name as the user wrote it, with where.
#[derive(Clone, Debug)]
pub struct Named {
    pub text: Arc<str>,
    pub span: Span,
}

impl Named {
    pub fn of(name: &crate::ast::Name) -> Named {
        Named {
            text: name.node.clone(),
            span: name.span,
        }
    }
}

#[derive(Clone, Debug)]
pub enum CheckError {
    /// E0501: a mistake in an app's HTTP mapping.
    Mapping(Box<super::http::MappingError>),
    /// E0502: a mistake in an app's webhooks.
    Webhooks(Box<super::webhooks::WebhookError>),
    /// E0503: a mistake in an app's polls.
    Polls(Box<super::polls::PollError>),
    /// E0230–E0232: nested records, record literals, values from a list's items.
    Records(super::records::RecordProblem),
    /// Undeclared apps, treated as open (a note, not a problem).
    OpenApps { apps: Vec<Named> },
    /// W0101
    CloseToDeclared { used: Named, declared: Named },
    /// E0102
    UnknownEntity {
        app: Named,
        entity: Named,
        suggestion: Option<Arc<str>>,
        known: Vec<Arc<str>>,
        /// `create in B` without an entity: the trigger's entity name was assumed.
        implied: bool,
    },
    /// E0102: `sync X between A and B` where A or B has no `X`.
    SyncEntityMissing {
        app: Named,
        entity: Named,
        /// The sync with both sides named, as the help suggests it.
        pair: String,
        known: Vec<Arc<str>>,
    },
    /// E0103
    UnknownField {
        app: Arc<str>,
        entity: Named,
        field: Named,
        suggestion: Option<Arc<str>>,
        known: Vec<Arc<str>>,
    },
    /// E0104
    Duplicate {
        what: &'static str,
        name: Named,
        first: Span,
    },
    /// E0104: `sync … between A and A`.
    SyncWithItself { app: Named },
    /// E0104: `let` with the name of a trigger field.
    LetShadowsField {
        name: Named,
        entity: Arc<str>,
        field: Span,
    },
    /// E0105
    UnknownName {
        name: Named,
        suggestion: Option<Arc<str>>,
        scope: ScopeHint,
    },
    /// E0105: a `let` name used above its `let`.
    UsedBeforeLet { name: Named, defined: Span },
    /// E0105: `target.FIELD` outside the `update` whose record it would read.
    TargetOutsideUpdate {
        span: Span,
        field: Arc<str>,
        /// The trigger record has a field of that name (perhaps the one meant).
        trigger_has: bool,
    },
    /// E0204: `c.FIELD` of a `find` that may have found nothing.
    RecordMaybeNone {
        span: Span,
        name: Arc<str>,
        field: Arc<str>,
        entity: Arc<str>,
    },
    /// E0202: `upsert … match KEY` without a value for `KEY` in its block.
    UpsertKeyMissing { key: Named, entity: Arc<str> },
    /// E0201: a record (from `find` or `let NAME = create`) used as a value.
    RecordAsValue { span: Span, name: Arc<str> },
    /// E0201: `"{open}"` where `open` is a list of records (`every …`): a text cannot show one.
    RecordsInText { span: Span, written: String },
    /// E0201: `for NAME in X` where `X` is not a list.
    ForOverNonList {
        span: Span,
        item: Arc<str>,
        /// The list as written, for the help.
        written: String,
        found: Type,
    },
    /// E0201: `x[i]` where `x` is not a list.
    IndexNotList { span: Span, found: Type },
    /// E0201: `xs[i]` where `i` is not a number.
    IndexNotNumber { span: Span, found: Type },
    /// E0105: the item of a `for`, or a `let` made inside it, used below it.
    LetInFor { name: Named, defined: Span },
    /// E0105: a `let` name used below the arm of the branch that made it.
    LetInArm { name: Named, defined: Span },
    /// E0105: a `let` name used in one arm of a branch and made in another.
    LetInOtherArm { name: Named, defined: Span },
    /// E0105
    UnknownWorkflow {
        name: Named,
        suggestion: Option<Arc<str>>,
    },
    /// E0105: `a.b` where `a` is not `trigger`.
    BadFieldAccess {
        span: Span,
        base: Arc<str>,
        field: Arc<str>,
        has_trigger: bool,
        /// The type of `base` where it is a value (a list, a text…) rather than a name
        /// weir does not know.
        base_ty: Option<crate::types::Type>,
    },
    /// E0105: `origin` in a scenario check of records that keep no stamp.
    NoStamp {
        span: Span,
        entity: Arc<str>,
        app: Arc<str>,
    },
    /// E0105: `prefer X` where X is not one of the synced apps.
    PreferOther {
        name: Named,
        left: Arc<str>,
        right: Arc<str>,
    },
    /// E0105: `match FIELD` where FIELD is not the left field of a mapping of the sync.
    MatchNotMapped {
        name: Named,
        mapped: Vec<Arc<str>>,
        suggestion: Option<Arc<str>>,
    },
    /// E0106
    UnknownFunction {
        name: Named,
        suggestion: Option<Arc<str>>,
    },
    /// E0106
    WrongArity {
        name: Named,
        /// The fewest and the most arguments the function takes.
        expected: (usize, usize),
        found: usize,
        signature: &'static str,
    },
    /// E0201
    TypeMismatch {
        span: Span,
        expected: Type,
        found: Type,
        context: Mismatch,
    },
    /// E0201: a literal text outside the set of a choice type.
    NotAChoice {
        span: Span,
        text: String,
        choices: Arc<[Arc<str>]>,
        suggestion: Option<Arc<str>>,
    },
    /// W0405: values of a sync's `map` that do not come back as they went.
    MapCollision { span: Span, collision: MapCollision },
    /// A sync's computed mapping, or a name of a sync (see [`SyncProblem`]).
    Sync(SyncProblem),
    /// A trigger's rate limit (see [`super::limit::LimitProblem`]).
    Limit(super::limit::LimitProblem),
    /// `on failed run of NAME` (see [`super::failed::FailedProblem`]).
    Failed(super::failed::FailedProblem),
    /// E0202
    MissingFields {
        span: Span,
        app: Arc<str>,
        entity: Named,
        missing: Vec<Arc<str>>,
        copied_from: Option<Arc<str>>,
    },
    /// E0203
    NotBool {
        span: Span,
        found: Type,
        context: &'static str,
    },
    /// E0204
    OptionalUsed { span: Span, found: Type },
    /// E0205
    ChangingNotUpdated { span: Span, kind: EventKind },
    /// E0205
    ChangingNotReported { span: Span, app: Named },
    /// W0206
    NeverRuns {
        workflow: Arc<str>,
        span: Span,
        app: Named,
        kind: EventKind,
    },
    /// W0207
    UnusedLet { name: Named },
    /// W0207: `name == name`.
    SelfComparison {
        span: Span,
        name: Arc<str>,
        value: bool,
        target: bool,
    },
    /// W0207
    ConstantCondition {
        span: Span,
        value: bool,
        effect: ConstantEffect,
    },
    /// E0209: `format(t, "%H:%M", "Europe/Berln")`.
    UnknownTimeZone {
        span: Span,
        name: String,
        suggestion: Option<String>,
    },
    /// A schedule that can never fire (see [`ScheduleProblem`]).
    Schedule(ScheduleProblem),
    /// A `wait` or a record-relative timer (see [`super::time::TimeProblem`]).
    Time(super::time::TimeProblem),
}

/// Where a type mismatch happened, for the message.
#[derive(Clone, Debug)]
pub enum Mismatch {
    Field {
        field: Arc<str>,
        entity: Arc<str>,
    },
    Operator {
        op: BinaryOp,
        left: Type,
        right: Type,
    },
    Negate,
    Compare {
        left: Type,
        right: Type,
    },
    NoneCompare,
    Argument {
        function: &'static str,
        index: usize,
    },
    Branches {
        then: Type,
        otherwise: Type,
    },
    ListItems,
    Membership,
    Default,
    Message,
    Channel,
    Copy {
        field: Arc<str>,
        from: Arc<str>,
        to: Arc<str>,
    },
    SyncField {
        left: Arc<str>,
        right: Arc<str>,
        /// `right` is a computed side, converted by changing its expression.
        computed: bool,
    },
    /// A value of a sync's value map on a computed side.
    MapValue {
        end: Arc<str>,
    },
    BadTime {
        text: String,
    },
    /// A time written bare after `at` that is no time (`2030-02-30`).
    BadWrittenTime {
        text: String,
    },
    /// `<`, `>` … on origins, which have no order.
    OriginOrder,
    Clock,
    /// `advance` in a scenario, which wants a duration.
    Advance,
}

/// What a constant condition does to its workflow.
#[derive(Clone, Copy, Debug)]
pub enum ConstantEffect {
    /// The workflow never gets past it.
    StopsEverything,
    /// It never stops anything.
    NoEffect,
    /// The condition of an arm of a branch that never holds.
    ArmNeverRuns,
    /// The condition of an arm that always holds, so the arms below it never run.
    LaterArmsNeverRun,
}

pub(super) fn and_list(items: &[Arc<str>]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

pub(super) fn known_list(known: &[Arc<str>]) -> String {
    if known.is_empty() {
        "none".into()
    } else {
        let shown: Vec<String> = known.iter().take(12).map(|k| format!("`{k}`")).collect();
        let more = if known.len() > 12 { ", …" } else { "" };
        format!("{}{more}", shown.join(", "))
    }
}

impl CheckError {
    pub fn code(&self) -> Option<Code> {
        Some(match self {
            CheckError::OpenApps { .. } => return None,
            CheckError::CloseToDeclared { .. } => Code::W0101,
            CheckError::UnknownEntity { .. } | CheckError::SyncEntityMissing { .. } => Code::E0102,
            CheckError::UnknownField { .. } => Code::E0103,
            CheckError::Duplicate { .. }
            | CheckError::LetShadowsField { .. }
            | CheckError::SyncWithItself { .. } => Code::E0104,
            CheckError::UnknownName { .. }
            | CheckError::UsedBeforeLet { .. }
            | CheckError::LetInArm { .. }
            | CheckError::LetInOtherArm { .. }
            | CheckError::LetInFor { .. }
            | CheckError::TargetOutsideUpdate { .. }
            | CheckError::UnknownWorkflow { .. }
            | CheckError::BadFieldAccess { .. }
            | CheckError::NoStamp { .. }
            | CheckError::PreferOther { .. }
            | CheckError::MatchNotMapped { .. } => Code::E0105,
            CheckError::UnknownFunction { .. } | CheckError::WrongArity { .. } => Code::E0106,
            CheckError::TypeMismatch { .. } | CheckError::NotAChoice { .. } => Code::E0201,
            CheckError::MissingFields { .. } | CheckError::UpsertKeyMissing { .. } => Code::E0202,
            CheckError::NotBool { .. } => Code::E0203,
            CheckError::OptionalUsed { .. } | CheckError::RecordMaybeNone { .. } => Code::E0204,
            CheckError::RecordAsValue { .. }
            | CheckError::RecordsInText { .. }
            | CheckError::ForOverNonList { .. }
            | CheckError::IndexNotList { .. }
            | CheckError::IndexNotNumber { .. } => Code::E0201,
            CheckError::ChangingNotUpdated { .. } | CheckError::ChangingNotReported { .. } => {
                Code::E0205
            }
            CheckError::NeverRuns { .. } => Code::W0206,
            CheckError::UnusedLet { .. }
            | CheckError::ConstantCondition { .. }
            | CheckError::SelfComparison { .. } => Code::W0207,
            CheckError::MapCollision { .. } => Code::W0405,
            CheckError::Sync(problem) => problem.code(),
            CheckError::Limit(problem) => problem.code(),
            CheckError::Failed(problem) => problem.code(),
            CheckError::Mapping(_) => Code::E0501,
            CheckError::UnknownTimeZone { .. } => Code::E0209,
            CheckError::Webhooks(_) => Code::E0502,
            CheckError::Schedule(problem) => problem.code(),
            CheckError::Time(problem) => problem.code(),
            CheckError::Polls(_) => Code::E0503,
            CheckError::Records(problem) => problem.code(),
        })
    }

    /// The span the diagnostic points at first, for ordering.
    pub fn span(&self) -> Span {
        self.report()
            .labels
            .first()
            .map(|l| Span::new(l.file_id, l.range.start, l.range.end))
            .unwrap_or_default()
    }
}

impl Report for CheckError {
    fn report(&self) -> Diagnostic {
        if let CheckError::Mapping(error) = self {
            return error.report();
        }
        if let CheckError::Webhooks(error) = self {
            return error.report();
        }
        if let CheckError::Polls(error) = self {
            return error.report();
        }
        let Some(code) = self.code() else {
            return self.open_apps_note();
        };
        let (message, labels, notes) = self.parts();
        diagnostic::new(code, message)
            .with_labels(labels)
            .with_notes(notes)
    }
}

pub(super) type Parts = (
    String,
    Vec<codespan_reporting::diagnostic::Label<usize>>,
    Vec<String>,
);

impl CheckError {
    fn open_apps_note(&self) -> Diagnostic {
        let CheckError::OpenApps { apps } = self else {
            unreachable!("expected the open-apps note, found {self:?}")
        };
        let names: Vec<Arc<str>> = apps.iter().map(|a| a.text.clone()).collect();
        let (subject, verb) = if names.len() == 1 {
            ("it", "is")
        } else {
            ("they", "are")
        };
        diagnostic::note(format!(
            "{} {verb} not declared, so weir treats {} as {}",
            and_list(&names),
            if names.len() == 1 { "it" } else { "them" },
            if names.len() == 1 { "an open app" } else { "open apps" },
        ))
        .with_labels(apps.iter().map(|a| secondary(a.span, format!("`{}` is open", a.text))).collect())
        .with_notes(vec![
            format!("an open app accepts any entity and any field (of type `any`), emits new, updated and deleted events, and is assumed to store stamps; {subject} {verb} checked only at run time"),
            help(format!("declare {} (`app {} {{ … }}`) to have every field checked", if names.len() == 1 { "it" } else { "them" }, names[0])),
        ])
    }

    /// Each problem reads as its arm in one of the functions below says: message, labels, help.
    fn parts(&self) -> Parts {
        use CheckError::*;
        match self {
            OpenApps { .. } => unreachable!("expected a coded problem, found the open-apps note"),
            Mapping(_) => unreachable!("expected a problem of names or types, found a mapping's"),
            Webhooks(_) => unreachable!("expected a problem of names or types, found a webhook's"),
            Schedule(problem) => problem.parts(),
            Time(problem) => problem.parts(),
            Polls(_) => unreachable!("expected a problem of names or types, found a poll's"),
            Limit(problem) => problem.parts(),
            Failed(problem) => problem.parts(),
            Records(problem) => problem.parts(),
            CloseToDeclared { .. }
            | UnknownEntity { .. }
            | SyncEntityMissing { .. }
            | UnknownField { .. }
            | UnknownName { .. }
            | UnknownWorkflow { .. }
            | UnknownFunction { .. } => self.name_parts(),
            Duplicate { .. }
            | SyncWithItself { .. }
            | LetShadowsField { .. }
            | UsedBeforeLet { .. }
            | RecordMaybeNone { .. }
            | UpsertKeyMissing { .. }
            | RecordAsValue { .. }
            | TargetOutsideUpdate { .. }
            | LetInArm { .. }
            | LetInOtherArm { .. }
            | PreferOther { .. } => self.placement_parts(),
            BadFieldAccess { .. }
            | WrongArity { .. }
            | UnknownTimeZone { .. }
            | TypeMismatch { .. }
            | NotBool { .. }
            | OptionalUsed { .. } => self.value_parts(),
            NoStamp { .. }
            | MapCollision { .. }
            | MatchNotMapped { .. }
            | NotAChoice { .. }
            | MissingFields { .. }
            | Sync(_) => self.record_parts(),
            ChangingNotUpdated { .. }
            | ChangingNotReported { .. }
            | NeverRuns { .. }
            | UnusedLet { .. }
            | SelfComparison { .. }
            | ConstantCondition { .. } => self.step_parts(),
            ForOverNonList { .. }
            | IndexNotList { .. }
            | IndexNotNumber { .. }
            | RecordsInText { .. }
            | LetInFor { .. } => self.list_parts(),
        }
    }

    /// A name that is not declared.
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per not-declared error: each variant's message, labels and help together"
    )]
    fn name_parts(&self) -> Parts {
        match self {
            CheckError::CloseToDeclared { used, declared } => (
                format!("`{}` is not declared; did you mean `{}`?", used.text, declared.text),
                vec![
                    primary(used.span, format!("`{}` is not declared, so it is treated as an open app", used.text)),
                    secondary(declared.span, format!("`{}` is declared here", declared.text)),
                ],
                vec![help(format!(
                    "write `{}`, or declare `app {} {{ … }}` if it is another app",
                    declared.text, used.text
                ))],
            ),
            CheckError::UnknownEntity { app, entity, suggestion, known, implied } => {
                let label = if *implied {
                    format!("this writes `{}`, the trigger's entity, which `{}` does not declare", entity.text, app.text)
                } else {
                    format!("not an entity of `{}`", app.text)
                };
                let fix = match (suggestion, implied) {
                    (Some(s), false) => format!("did you mean `{s}`?"),
                    (Some(s), true) => format!("name the entity to write: `create {s} in {}`", app.text),
                    (None, true) => format!("name the entity to write, as in `create ENTITY in {}`; `{}` declares {}", app.text, app.text, known_list(known)),
                    (None, false) => format!("`{}` declares {}; add `{} {{ … }}` to `app {}` if it is new", app.text, known_list(known), entity.text, app.text),
                };
                (
                    format!("`{}` has no entity `{}`", app.text, entity.text),
                    vec![primary(entity.span, label), secondary(app.span, format!("`{}` is declared here", app.text))],
                    vec![help(fix)],
                )
            }
            CheckError::SyncEntityMissing { app, entity, pair, known } => sync_entity_missing_parts(app, entity, pair, known),
            CheckError::UnknownField { app, entity, field, suggestion, known } => (
                format!("{} in `{app}` has no field `{}`", Entity::shown(&entity.text), field.text),
                vec![
                    primary(field.span, format!("not a field of {}", Entity::shown(&entity.text))),
                    secondary(entity.span, format!("{} is declared here", Entity::shown(&entity.text))),
                ],
                vec![help(match suggestion {
                    _ if &*field.text == "id" => {
                        "every record has an `id: text` that its app gives it: it cannot be set, declared or watched with `changing`".into()
                    }
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "its fields are {}; declare `{}: TYPE` in it if it is new",
                        known_list(known),
                        field.text
                    ),
                })],
            ),
            CheckError::UnknownName { name, suggestion, scope } => (
                format!("unknown name `{}`", name.text),
                vec![primary(name.span, "not a field, a `let` or a label")],
                vec![
                    scope.explain(),
                    help(match (familiar_name(&name.text), suggestion) {
                        _ if matches!(scope, ScopeHint::Scheduled | ScopeHint::AnyFailure)
                            && &*name.text == "trigger" =>
                        {
                            scope.fix(&name.text)
                        }
                        (Some(fix), _) => fix,
                        (None, Some(s)) => format!("did you mean `{s}`?"),
                        (None, None) => scope.fix(&name.text),
                    }),
                ],
            ),
            CheckError::UnknownWorkflow { name, suggestion } => (
                format!("there is no workflow `{}`", name.text),
                vec![primary(name.span, "not a workflow of this script")],
                vec![help(match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "name a `workflow NAME { … }` of the script, or `line N` for the one-liner on line N".into(),
                })],
            ),
            CheckError::UnknownFunction { name, suggestion } => (
                format!("there is no function `{}`", name.text),
                vec![primary(name.span, "unknown function")],
                vec![help(match suggestion {
                    // `sum(lines)`: the walk over items is written inside the parentheses.
                    _ if crate::ast::EachKind::named(&name.text).is_some() => format!(
                        "`{0}` walks a list's items: write `{0}(item.FIELD for item in LIST)`",
                        name.text
                    ),
                    Some(s) => format!("did you mean `{s}`?"),
                    None => {
                        let all: Vec<&str> = crate::builtins::Builtin::ALL.iter().map(|b| b.name()).collect();
                        format!("the functions are {}", all.join(", "))
                    }
                })],
            ),
            _ => unreachable!("expected a problem with a name, found {self:?}"),
        }
    }

    /// A name taken twice, or used where it cannot be.
    fn placement_parts(&self) -> Parts {
        match self {
            CheckError::Duplicate { what, name, first } if *what == "field" && &*name.text == "id" => (
                "`id` is not declared: every record already has an `id: text` that its app gives it".to_string(),
                vec![primary(name.span, "remove this field"), secondary(*first, "in this entity")],
                vec![help("remove the `id` field; read a record's id as `id` (or `trigger.id`)")],
            ),
            CheckError::Duplicate { what, name, first } if *what == "engine label" => (
                format!("the engine label is set twice, the second time to `{}`", name.text),
                vec![primary(name.span, "set again here"), secondary(*first, "first set here")],
                vec![help("keep one `engine` line: the engine writes under one label")],
            ),
            CheckError::Duplicate { what, name, first } if *what == "choice" => (
                format!("the choice \"{}\" is listed twice", name.text),
                vec![primary(name.span, "listed again here"), secondary(*first, "first listed here")],
                vec![help("remove the second one: a choice is in the set or not")],
            ),
            CheckError::Duplicate { what, name, first } => (
                format!("the {what} `{}` is defined twice", name.text),
                vec![primary(name.span, "defined again here"), secondary(*first, "first defined here")],
                vec![help(format!("rename one of them, or merge them into one {what}"))],
            ),
            CheckError::SyncWithItself { app } => (
                format!("this sync names `{}` on both sides", app.text),
                vec![primary(app.span, "the same app again")],
                vec![help("a sync keeps records of two different apps in step: name the other app after `and`")],
            ),
            CheckError::LetShadowsField { name, entity, field } => (
                format!("`let {}` would hide the field `{}` of the trigger record", name.text, name.text),
                vec![primary(name.span, "this name is taken"), secondary(*field, format!("`{}` is a field of `{entity}`", name.text))],
                vec![help(format!("choose another name, such as `new_{}`", name.text))],
            ),
            CheckError::UsedBeforeLet { name, defined } => (
                format!("`{}` is used before its `let`", name.text),
                vec![primary(name.span, "used here"), secondary(*defined, "defined later, here")],
                vec![help(format!("move `let {} = …` above the step that uses it", name.text))],
            ),
            CheckError::RecordMaybeNone { span, name, field, entity } => (
                format!("`{name}` may be none (no {entity} matched), so `{name}.{field}` cannot be read here"),
                vec![primary(*span, format!("a `{entity}?`: maybe no record"))],
                vec![help(format!("add `continue if {name} != none` above this step, or put it inside `if {name} != none {{ … }}`"))],
            ),
            CheckError::UpsertKeyMissing { key, entity } => (
                format!("this upsert matches `{entity}` records by `{}` but gives no value for `{}`", key.text, key.text),
                vec![primary(key.span, "nothing to match with")],
                vec![help(format!("add `{}: …` to the upsert's field block", key.text))],
            ),
            CheckError::RecordAsValue { span, name } => (
                format!("`{name}` is a record, not a value: read one of its fields"),
                vec![primary(*span, "a whole record")],
                vec![help(format!("write `{name}.FIELD` (or `{name}.id`), or compare it with `none`: `{name} != none`"))],
            ),
            CheckError::TargetOutsideUpdate { span, field, trigger_has } => (
                format!("`target.{field}` is read outside an `update`: `target` is the record an `update` writes"),
                vec![primary(*span, "no record is being updated here")],
                vec![help(if *trigger_has {
                    format!("for the trigger record's field write `{field}` or `trigger.{field}`; `target.{field}` belongs in an update's field block (`update … {{ {field}: target.{field} }}`)")
                } else {
                    format!("read it inside the field block of an `update` of that record: `update … {{ {field}: target.{field} … }}`")
                })],
            ),
            CheckError::LetInArm { name, defined } => (
                format!("`{}` is made inside an arm of an `if` and is not seen below it", name.text),
                vec![primary(name.span, "used here"), secondary(*defined, "made here, inside the arm")],
                vec![help(format!("move `let {} = …` above the `if`, or use it inside that arm", name.text))],
            ),
            CheckError::LetInOtherArm { name, defined } => (
                format!("`{}` is made in another arm of this `if`, so it does not exist here", name.text),
                vec![primary(name.span, "used here"), secondary(*defined, "made here, in another arm")],
                vec![help(format!("use a name this arm has, or make `let {} = …` above the `if` so every arm has it", name.text))],
            ),
            CheckError::PreferOther { name, left, right } => (
                format!("`prefer {}` names neither of the synced apps", name.text),
                vec![primary(name.span, format!("not `{left}` or `{right}`"))],
                vec![help(format!("write `prefer {left}`, `prefer {right}` or `prefer latest`"))],
            ),
            _ => unreachable!("expected a name in the wrong place, found {self:?}"),
        }
    }

    /// A trigger or step that cannot work as written, or does nothing.
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per error of a trigger or step: each variant's message, labels and help together"
    )]
    fn step_parts(&self) -> Parts {
        match self {
            CheckError::ChangingNotUpdated { span, kind } => (
                format!("`changing` only works on `updated` triggers, not on `{kind}`"),
                vec![primary(
                    *span,
                    format!("a `{kind}` event has no changed fields"),
                )],
                vec![help("remove `changing …`, or trigger `on updated …`")],
            ),
            CheckError::ChangingNotReported { span, app } => (
                format!(
                    "`{}` does not report which fields changed, so `changing` cannot work",
                    app.text
                ),
                vec![
                    primary(*span, "needs `reports changes`"),
                    secondary(app.span, format!("`{}` is declared here", app.text)),
                ],
                vec![help(format!(
                    "add `reports changes` to `app {}` if it does report them, or remove `changing`",
                    app.text
                ))],
            ),
            CheckError::NeverRuns {
                workflow,
                span,
                app,
                kind,
            } => (
                format!(
                    "`{workflow}` can never run: `{}` does not emit `{kind}` events",
                    app.text
                ),
                vec![
                    primary(*span, format!("`{}` never sends this", app.text)),
                    secondary(app.span, format!("`{}` is declared here", app.text)),
                ],
                vec![help(format!(
                    "add `emits {kind}` to `app {}` if it does send them, or remove the workflow",
                    app.text
                ))],
            ),
            CheckError::UnusedLet { name } => (
                format!("`let {}` is never used", name.text),
                vec![primary(name.span, "defined here and never read")],
                vec![help(format!(
                    "remove it, or use `{}` in a later step",
                    name.text
                ))],
            ),
            CheckError::SelfComparison {
                span,
                name,
                value,
                target,
            } => (
                format!("this compares `{name}` with itself, so it is always {value}"),
                vec![primary(*span, format!("always {value}"))],
                vec![help(if *target {
                    format!(
                        "in an action's `where`, `{name}` is the field of the record being chosen; write `trigger.{name}` for the trigger record's, as in `{name} == trigger.{name}`"
                    )
                } else {
                    "compare with another value, or remove the condition".to_string()
                })],
            ),
            CheckError::ConstantCondition {
                span,
                value,
                effect,
            } => {
                let effect_text = match effect {
                    ConstantEffect::StopsEverything => "so nothing after it ever runs",
                    ConstantEffect::NoEffect => "so it never stops anything",
                    ConstantEffect::ArmNeverRuns => "so the steps of this arm never run",
                    ConstantEffect::LaterArmsNeverRun => "so the arms after it never run",
                };
                (
                    format!("this condition is always {value}, {effect_text}"),
                    vec![primary(*span, format!("always {value}"))],
                    vec![help(
                        "compare a field of the record instead, or remove the condition",
                    )],
                )
            }
            _ => unreachable!("expected a problem with a step, found {self:?}"),
        }
    }
}

/// What a name from another language, or a function without its parentheses, stands for here.
fn familiar_name(name: &str) -> Option<String> {
    if let Some(function) = crate::builtins::Builtin::from_name(name) {
        return Some(if function.arity() == 0 {
            format!("`{name}` is a function: write `{name}()`")
        } else {
            format!(
                "`{name}` is a function: call it as in `{}`",
                function.signature()
            )
        });
    }
    Some(match name {
        "null" | "nil" | "NULL" | "None" | "undefined" | "empty" => "write `none` for a missing value".into(),
        "True" | "TRUE" | "yes" => "write `true`".into(),
        "False" | "FALSE" => "write `false`".into(),
        "trigger" => "`trigger` is the record that started the run: read one of its fields, as in `trigger.title`".into(),
        "this" | "self" | "record" | "it" => "name the field itself, as in `title`".into(),
        _ => return None,
    })
}

/// What a bare name could have meant where it was used.
#[derive(Clone, Debug)]
pub enum ScopeHint {
    /// In a workflow: trigger fields, lets, `id`, `origin`.
    Trigger { entity: Arc<str>, app: Arc<str> },
    /// In an action's `where`: the target's fields; the trigger's through `trigger.`.
    Target { entity: Arc<str>, app: Arc<str> },
    /// In a scenario step: the record's fields.
    Record { entity: Arc<str>, app: Arc<str> },
    /// Where no record is in view (a scenario's values).
    Constant,
    /// After `conflict.`, in a workflow run on a sync's conflict.
    Conflict,
    /// In a scheduled workflow, which has no trigger record.
    Scheduled,
    /// After `error.`, in a workflow run on a failed run.
    Failure,
    /// In a workflow `on failed run` (of any workflow), which has no trigger record.
    AnyFailure,
}

impl ScopeHint {
    fn explain(&self) -> String {
        match self {
            ScopeHint::Trigger { entity, app } => format!(
                "here a bare name is a field of the trigger record (`{entity}` in `{app}`), a `let` above this step, `id` or `origin`"
            ),
            ScopeHint::Target { entity, app } => format!(
                "in an action's `where`, a bare name is a field of the record being chosen (`{entity}` in `{app}`); the trigger record is `trigger.FIELD`"
            ),
            ScopeHint::Record { entity, app } => {
                format!(
                    "here a bare name is a field of the record being tested (`{entity}` in `{app}`), `id` or `origin`"
                )
            }
            ScopeHint::Conflict => "a conflict has `conflict.field`, `conflict.loser`, `conflict.kept`, `conflict.lost`, `conflict.left` and `conflict.right`".into(),
            ScopeHint::Failure => "a failed run has `error.message`, `error.workflow` and `error.event`".into(),
            ScopeHint::Constant => {
                "no record is in view here, so there are no fields to name".into()
            }
            ScopeHint::Scheduled => "a scheduled run has no trigger record: a bare name is a `let` above this step".into(),
            ScopeHint::AnyFailure => "a run `on failed run` has no trigger record (the runs that fail are on records of any entity): a bare name is a `let` above this step".into(),
        }
    }

    fn fix(&self, name: &str) -> String {
        match self {
            ScopeHint::Conflict => "name one of the parts of a conflict".into(),
            ScopeHint::Failure => "name one of the parts of a failed run".into(),
            ScopeHint::Trigger { .. } => format!(
                "define it with `let {name} = …` above this step; if it is another tool's label, compare it with `origin` (`origin == {name}`)"
            ),
            ScopeHint::Target { .. } => {
                format!("write `trigger.{name}` if you mean the trigger record's field")
            }
            ScopeHint::Record { .. } => "name a field of the record".into(),
            ScopeHint::Constant => {
                "write a value: a text in quotes, a number, or a call like `now()`".into()
            }
            ScopeHint::Scheduled if name == "trigger" => "read the record the run needs first, as in `let r = find … in …`, and write `r.FIELD`".into(),
            ScopeHint::Scheduled => format!(
                "read the records the run needs first, as in `let {name} = find … in …` or `let n = count … in …`"
            ),
            ScopeHint::AnyFailure => "to read the record the failed run was on, start with `on failed run of WORKFLOW`, which sees it".into(),
        }
    }
}
