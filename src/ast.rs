//! The syntax tree of a weir script, as written.
//!
//! Every node carries a [`Span`]; equality ignores spans, so two scripts that differ only in
//! layout compare equal (this is what `weir fmt` promises). Names are not resolved here: the
//! checker turns this tree into a [`crate::program::Program`] in which they are indices.

use std::fmt;
use std::sync::Arc;

use crate::span::{FileId, Span, Spanned};

/// A name as written, with its span.
pub type Name = Spanned<Arc<str>>;

/// Equality that looks only at the listed fields: AST nodes are equal when they say the same
/// thing, wherever they stand in the source.
macro_rules! equal_ignoring_span {
    ($($name:ident { $($field:ident),* })*) => {
        $(impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                true $(&& self.$field == other.$field)*
            }
        })*
    };
}

equal_ignoring_span! {
    UseDecl { target }
    EngineDecl { label }
    AppDecl { name, location, capabilities, entities, http, calls, webhooks }
    WebhooksDecl { path, signed, members }
    HttpDecl { entity, members }
    CallDecl { name, method, path, args, returns_at, returns, writes }
    EntityDecl { name, fields }
    OwnsDecl { app, entity }
    Workflow { name, form, trigger, steps }
    Trigger { kind, entity, app, changing, condition, schedule, limit, failed }
    Schedule { every, at, zone }
    RateLimit { window, per }
    Step { kind, limit }
    SyncDecl { entity, left, right, right_entity, matching, mappings, prefer }
    ValueMap { pairs, otherwise }
    Scenario { name, at, steps }
    ScenarioStep { kind }
    Block { steps }
    Lookup { kind, entity, app, condition }
    ForEach { item, list, block }
}

impl PartialEq for Capability {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Capability::ReportsActor(_), Capability::ReportsActor(_)) => true,
            (Capability::ReportsChanges(_), Capability::ReportsChanges(_)) => true,
            (Capability::Emits(a), Capability::Emits(b)) => a == b,
            _ => false,
        }
    }
}

impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Target::Linked(_), Target::Linked(_)) => true,
            (Target::Where(a), Target::Where(b)) => a == b,
            _ => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    pub file: FileId,
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Use(UseDecl),
    Engine(EngineDecl),
    App(AppDecl),
    Owns(OwnsDecl),
    Workflow(Workflow),
    Sync(SyncDecl),
    Scenario(Scenario),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Use(used) => used.span,
            Item::Engine(engine) => engine.span,
            Item::App(app) => app.span,
            Item::Owns(owns) => owns.span,
            Item::Workflow(workflow) => workflow.span,
            Item::Sync(sync) => sync.span,
            Item::Scenario(scenario) => scenario.span,
        }
    }
}

/// `use "FILE"` or `use CONNECTOR`
#[derive(Clone, Debug)]
pub struct UseDecl {
    pub target: UseTarget,
    pub span: Span,
    /// `use github at "url" token "url"`: a connector's base URL and OAuth2 token endpoint in
    /// place of the ones its file declares.
    pub moved: Moved,
}

/// Where a `use` moves a connector: its base URL, its OAuth2 token endpoint.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Moved {
    pub at: Option<Spanned<String>>,
    pub token: Option<Spanned<String>>,
}

/// What a `use` reads into the program.
#[derive(Clone, Debug, PartialEq)]
pub enum UseTarget {
    /// `use "apps.weir"`: a file, its path relative to the file that names it.
    File(Spanned<String>),
    /// `use github`: a connector shipped with weir.
    Connector(Name),
}

/// `engine LABEL`
#[derive(Clone, Debug)]
pub struct EngineDecl {
    pub label: Name,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct AppDecl {
    pub name: Name,
    pub location: Option<Location>,
    pub capabilities: Vec<Capability>,
    pub entities: Vec<EntityDecl>,
    /// `http ENTITY { … }`: how an entity's records travel over HTTP.
    pub http: Vec<HttpDecl>,
    /// `call NAME METHOD "/path" { … } returns { … }`: requests that are not about records.
    pub calls: Vec<CallDecl>,
    /// `webhooks at "/hooks/…" signed … { … }`: webhooks a provider posts as it makes them.
    pub webhooks: Vec<WebhooksDecl>,
    /// `poll contact every 5m since changed as "updated_since"`: entities read on an interval.
    pub polls: Vec<PollDecl>,
    pub span: Span,
}

/// `poll ENTITY every DURATION [since FIELD [as "param"]]`
#[derive(Clone, Debug, PartialEq)]
pub struct PollDecl {
    pub entity: Name,
    /// The interval, as written (`5m`).
    pub every: Spanned<String>,
    /// The time field that moves on each change, and the query parameter that asks for
    /// the records changed since a time; without `since`, weir compares lists.
    pub since: Option<(Name, Option<Spanned<String>>)>,
    pub span: Span,
}

/// `webhooks at "/hooks/stripe" signed stripe env STRIPE_WEBHOOK_SECRET { … }`
#[derive(Clone, Debug)]
pub struct WebhooksDecl {
    /// The route the provider posts to, as written (`/hooks/stripe`).
    pub path: Spanned<String>,
    pub signed: Option<SignedDecl>,
    pub members: Vec<Spanned<WebhookMember>>,
    pub span: Span,
}

/// `signed SCHEME [header "X-…"] env SECRET [within 5m]`
#[derive(Clone, Debug, PartialEq)]
pub struct SignedDecl {
    pub scheme: Name,
    pub header: Option<Spanned<String>>,
    /// `base64`: the signature in base64 rather than hex.
    pub base64: Option<Spanned<()>>,
    pub secret: Secret,
    /// The replay window of a scheme with a timestamp, as written (`5m`).
    pub within: Option<Spanned<String>>,
}

/// One line of a `webhooks` block.
#[derive(Clone, Debug, PartialEq)]
pub enum WebhookMember {
    /// `kind at header "X-GitHub-Event", "action"`
    Kind(Vec<WebhookSource>),
    /// `id at header "X-GitHub-Delivery"`
    Id(WebhookSource),
    /// `strict`
    Strict,
    /// `"invoice.paid", "invoice.finalized" means updated invoice at "data.object"`
    Means {
        kinds: Vec<Spanned<String>>,
        event: Spanned<EventKind>,
        entity: Name,
        at: Option<Spanned<String>>,
    },
}

/// Where a part of a webhook is: a header, or a dotted path into the body.
#[derive(Clone, Debug, PartialEq)]
pub enum WebhookSource {
    Header(Spanned<String>),
    Body(Spanned<String>),
}

/// `call lookup POST "/v1/people/match" { email: text } returns at "person" { … } writes contact`
#[derive(Clone, Debug)]
pub struct CallDecl {
    pub name: Name,
    pub method: Spanned<Arc<str>>,
    pub path: Spanned<String>,
    pub args: Vec<FieldDecl>,
    pub returns_at: Option<Spanned<String>>,
    pub returns: Vec<FieldDecl>,
    /// The entities of the app the call may change.
    pub writes: Vec<Name>,
    pub span: Span,
}

/// `call lookup in Apollo { email: email }`, alone or after `let r =`.
#[derive(Clone, Debug, PartialEq)]
pub struct CallUse {
    pub call: Name,
    pub app: Name,
    pub fields: Vec<FieldInit>,
}

/// `at "url" [auth …]`
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    pub url: Spanned<String>,
    pub auth: Option<AuthDecl>,
}

/// Where a secret comes from: `env NAME` or `file "path"`, never the script itself.
#[derive(Clone, Debug, PartialEq)]
pub enum Secret {
    Env(Name),
    File(Spanned<String>),
}

/// `auth …` after an app's URL.
#[derive(Clone, Debug, PartialEq)]
pub enum AuthDecl {
    /// `auth bearer env TOKEN`: `Authorization: Bearer …`.
    Bearer(Secret),
    /// `auth header "X-Api-Key" env KEY`: the secret as the value of a header.
    Header {
        name: Spanned<String>,
        secret: Secret,
    },
    /// `auth basic env USER and env PASSWORD`.
    Basic {
        user: Secret,
        password: Option<Secret>,
    },
    /// `auth oauth2 token "URL" client env ID secret env SECRET [refresh env R] [scope "…"]`.
    OAuth2 {
        token_url: Spanned<String>,
        client_id: Secret,
        client_secret: Secret,
        refresh: Option<Secret>,
        scope: Option<Spanned<String>>,
    },
}

/// `http contact { … }`
#[derive(Clone, Debug)]
pub struct HttpDecl {
    pub entity: Name,
    pub members: Vec<Spanned<HttpMember>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum HttpMember {
    /// `update PATCH "/crm/v3/objects/contacts/{id}"`
    Route {
        op: Spanned<HttpOp>,
        method: Spanned<Arc<str>>,
        path: Spanned<String>,
    },
    /// `body json [at "properties"]`, `body form`
    Body {
        form: bool,
        at: Option<Spanned<String>>,
    },
    /// `id at "number"`
    Id(Spanned<String>),
    /// `records at "results"`
    Records(Spanned<String>),
    /// `page …`
    Page(PageDecl),
    /// `filter email, state`
    Filter(Vec<Name>),
    /// `param repo env GITHUB_REPO [else "acme/clinic"]`
    Param {
        name: Name,
        env: Name,
        default: Option<Spanned<String>>,
    },
}

/// What a route of an HTTP mapping does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HttpOp {
    Create,
    Read,
    Update,
    Delete,
    List,
}

impl HttpOp {
    pub const ALL: [HttpOp; 5] = [
        HttpOp::Create,
        HttpOp::Read,
        HttpOp::Update,
        HttpOp::Delete,
        HttpOp::List,
    ];

    pub fn word(self) -> &'static str {
        match self {
            HttpOp::Create => "create",
            HttpOp::Read => "read",
            HttpOp::Update => "update",
            HttpOp::Delete => "delete",
            HttpOp::List => "list",
        }
    }
}

/// How a list reply leads to the next page.
#[derive(Clone, Debug, PartialEq)]
pub enum PageDecl {
    /// `page cursor at "paging.next.after" as "after"`: a token in the reply, sent back as a
    /// query parameter.
    Cursor {
        at: Spanned<String>,
        param: Spanned<String>,
    },
    /// `page after last as "starting_after"`: the last record's id, as a query parameter.
    AfterLast { param: Spanned<String> },
    /// `page link`: the `Link` header's `rel="next"`.
    Link,
    /// `page next at "@odata.nextLink"`: the next page's whole URL, in the reply.
    Next { at: Spanned<String> },
    /// `page number as "page"`: 1, 2, 3, … until a page is empty.
    Number { param: Spanned<String> },
    /// `page offset as "offset"`: the number of records read so far.
    Offset { param: Spanned<String> },
}

#[derive(Clone, Debug)]
pub enum Capability {
    ReportsActor(Span),
    ReportsChanges(Span),
    Emits(Vec<Spanned<EventKind>>),
    /// `limit N per second`
    PerSecond(Spanned<u32>),
    /// `limit at most N at once`
    AtOnce(Spanned<u32>),
}

#[derive(Clone, Debug)]
pub struct EntityDecl {
    pub name: Name,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldDecl {
    pub name: Name,
    pub ty: Spanned<TypeExpr>,
    /// `as "firstname"`: the field's name on the wire, when it differs.
    pub wire: Option<Spanned<String>>,
}

/// A type as written in a field declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeExpr {
    Text,
    Number,
    Bool,
    Time,
    Duration,
    Stamp,
    /// `one of "booked", "cancelled"`: a text from a fixed set, in the order written.
    Choice(Vec<Spanned<String>>),
    List(Box<TypeExpr>),
    Optional(Box<TypeExpr>),
    /// `{ street: text, city: text }`: a record nested in a field, its fields in order.
    Record(Vec<(Spanned<String>, TypeExpr)>),
}

impl fmt::Display for TypeExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeExpr::Text => f.write_str("text"),
            TypeExpr::Number => f.write_str("number"),
            TypeExpr::Bool => f.write_str("bool"),
            TypeExpr::Time => f.write_str("time"),
            TypeExpr::Duration => f.write_str("duration"),
            TypeExpr::Stamp => f.write_str("stamp"),
            TypeExpr::Choice(choices) => {
                f.write_str("one of ")?;
                for (i, choice) in choices.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "\"{}\"", choice.node)?;
                }
                Ok(())
            }
            // `list of text?` is an optional list: an optional element is written in `<…>`.
            TypeExpr::List(inner) if matches!(**inner, TypeExpr::Optional(_)) => {
                write!(f, "list<{inner}>")
            }
            TypeExpr::List(inner) => write!(f, "list of {inner}"),
            TypeExpr::Optional(inner) => write!(f, "{inner}?"),
            TypeExpr::Record(fields) => {
                f.write_str("{ ")?;
                for (i, (name, ty)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {ty}", name.node)?;
                }
                f.write_str(" }")
            }
        }
    }
}

/// `App owns entity`
#[derive(Clone, Debug)]
pub struct OwnsDecl {
    pub app: Name,
    pub entity: Name,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    New,
    Updated,
    Deleted,
}

impl EventKind {
    pub const ALL: [EventKind; 3] = [EventKind::New, EventKind::Updated, EventKind::Deleted];

    pub fn keyword(self) -> &'static str {
        match self {
            EventKind::New => "new",
            EventKind::Updated => "updated",
            EventKind::Deleted => "deleted",
        }
    }

    /// The action that makes this kind of event: `create`, `update`, `delete`.
    pub fn action(self) -> &'static str {
        match self {
            EventKind::New => "create",
            EventKind::Updated => "update",
            EventKind::Deleted => "delete",
        }
    }

    /// What someone does to make it, for stories: `creates`, `updates`, `deletes`.
    pub fn does(self) -> &'static str {
        match self {
            EventKind::New => "creates",
            EventKind::Updated => "updates",
            EventKind::Deleted => "deletes",
        }
    }

    /// `created`, `updated`, `deleted`.
    pub fn done(self) -> &'static str {
        match self {
            EventKind::New => "created",
            EventKind::Updated => "updated",
            EventKind::Deleted => "deleted",
        }
    }
}

/// An event kind from its keyword (`new`, `updated`, `deleted`): in the grammar, a webhook's
/// route and a scenario's input. The error is the word that is not one.
impl std::str::FromStr for EventKind {
    type Err = String;

    fn from_str(word: &str) -> Result<EventKind, String> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.keyword() == word)
            .ok_or_else(|| word.to_string())
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// Whether a workflow was written as a block or as a one-liner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkflowForm {
    Block,
    /// `trigger do action, … [unless cond]`: its guard, if any, is the first step.
    OneLine,
}

#[derive(Clone, Debug)]
pub struct Workflow {
    /// `None` for a one-liner, which messages call `line N`.
    pub name: Option<Name>,
    pub form: WorkflowForm,
    pub trigger: Trigger,
    pub steps: Vec<Step>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Trigger {
    pub kind: Spanned<EventKind>,
    pub entity: Name,
    pub app: Name,
    pub changing: Vec<Name>,
    pub condition: Option<Expr>,
    pub span: Span,
    /// `on conflict in sync NAME`: the sync's name. Such a trigger has no entity or app of its
    /// own (the checker takes the sync's first side): `kind` is `updated` and `entity` and `app`
    /// repeat the sync's name, so look here first.
    pub conflict: Option<Name>,
    /// `on every day at 08:00 in "Europe/Berlin"`: the run's times. Such a trigger has no
    /// record: `kind` is `new` and `entity` and `app` are the word `every`, so look here first.
    pub schedule: Option<Box<Schedule>>,
    /// `at most once per 60s per device`.
    pub limit: Option<Box<RateLimit>>,
    /// `on failed run of NAME` or `on failed run`. Like `conflict`, `entity` and `app` repeat
    /// the workflow's name (or are the words `failed run`), so look here first.
    pub failed: Option<FailedRuns>,
    /// `on 24h before start of appointment in EHR`: `entity` and `app` are the record's, `kind`
    /// is `updated` (spanning the length and its side).
    pub timer: Option<Box<Timer>>,
}

/// Whose failed runs a trigger is on.
#[derive(Clone, Debug, PartialEq)]
pub enum FailedRuns {
    /// `on failed run of NAME`.
    Of(Name),
    /// `on failed run`: of every workflow that is not itself on failed runs.
    Any,
}

/// When a record-relative timer fires: `24h before start`, `2h after start`.
#[derive(Clone, Debug)]
pub struct Timer {
    pub length: Spanned<DurationLit>,
    /// `before` the field's time (`false`: after it).
    pub before: bool,
    pub field: Name,
    pub span: Span,
}

/// `24h before start`, as written.
impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = if self.before { "before" } else { "after" };
        write!(f, "{} {side} {}", self.length.node, self.field.node)
    }
}

/// `at most once per WINDOW [per FIELD]`: a run that would start within `window` of the last
/// one (for the same value of `per`) is skipped.
#[derive(Clone, Debug)]
pub struct RateLimit {
    pub window: Spanned<DurationLit>,
    pub per: Option<Name>,
    pub span: Span,
}

/// When a scheduled workflow runs: `every 15m`, `every day at 08:00`, `every monday at 09:00
/// in "Europe/Berlin"` (UTC without a zone).
#[derive(Clone, Debug)]
pub struct Schedule {
    pub every: Spanned<Every>,
    /// `at HH:MM`, as written (the checker refuses an hour or minute past the clock's).
    pub at: Option<Spanned<(u32, u32)>>,
    pub zone: Option<Spanned<Arc<str>>>,
    pub span: Span,
}

/// The days of `every monday` … `every sunday`, in the order of [`Every::Weekday`].
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The schedule as written: `every day at 08:00 in "Europe/Berlin"`.
impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.every.node {
            Every::Interval(d) => write!(f, "every {}{}", d.amount, d.unit.suffix())?,
            Every::Day => write!(f, "every day")?,
            Every::Weekday(day) => write!(f, "every {}", WEEKDAYS[usize::from(day) % 7])?,
        }
        if let Some(at) = &self.at {
            write!(f, " at {:02}:{:02}", at.node.0, at.node.1)?;
        }
        if let Some(zone) = &self.zone {
            write!(f, " in \"{}\"", zone.node)?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Every {
    /// `every 15m`: at every multiple of its length since 1970-01-01T00:00Z.
    Interval(DurationLit),
    Day,
    /// `every monday`: 0 is Monday, 6 Sunday.
    Weekday(u8),
}

#[derive(Clone, Debug)]
pub struct Step {
    pub kind: StepKind,
    pub span: Span,
    /// `… at most once per 1m per device` after an action.
    pub limit: Option<Box<RateLimit>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StepKind {
    Unless(Expr),
    ContinueIf(Expr),
    Let(Name, Expr),
    Action(Action),
    /// `call …`, or `let r = call …`: the reply's fields are `r.field` in later steps.
    Call(Option<Name>, CallUse),
    /// `if C { … } else if C { … } else { … }` around steps.
    Branch(Branch),
    /// `let NAME = find|every|exists|count …`: a value read from an app.
    Lookup(Name, Lookup),
    /// `let NAME = create …`: the record created, named for the steps after it.
    Bind(Name, Action),
    /// `for NAME in LIST { … }`: the steps once for each item.
    For(ForEach),
    /// `wait 12h`: the steps after it run that much later on the clock.
    Wait(Spanned<DurationLit>),
}

/// `for line in lines { steps }`
#[derive(Clone, Debug)]
pub struct ForEach {
    pub item: Name,
    pub list: Expr,
    pub block: Block,
}

/// `find contact in CRM where … ordered by FIELD [desc]`, `every …`, `exists …`, `count …`: records of an
/// app read, never written.
#[derive(Clone, Debug)]
pub struct Lookup {
    pub kind: LookupKind,
    pub entity: Name,
    pub app: Name,
    /// Bare names are the looked-up record's fields; `trigger.x` reaches the trigger record.
    pub condition: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LookupKind {
    /// One record, or none: the first by id, or by `ordered by`.
    Find(Option<Order>),
    /// Every matching record, a list: by id, or by `ordered by`.
    Every(Option<Order>),
    /// Whether any record matches.
    Exists,
    /// How many records match.
    Count,
}

impl LookupKind {
    /// `ordered by FIELD [desc]` of a `find` or an `every`.
    pub fn order(&self) -> Option<&Order> {
        match self {
            LookupKind::Find(order) | LookupKind::Every(order) => order.as_ref(),
            LookupKind::Exists | LookupKind::Count => None,
        }
    }

    pub fn keyword(&self) -> &'static str {
        match self {
            LookupKind::Find(_) => "find",
            LookupKind::Every(_) => "every",
            LookupKind::Exists => "exists",
            LookupKind::Count => "count",
        }
    }
}

/// `ordered by FIELD [desc]`
#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    pub field: Name,
    pub descending: bool,
}

/// Steps that run only when a condition holds: the first arm whose condition is true runs,
/// else the `else` block, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Branch {
    pub arms: Vec<Arm>,
    pub otherwise: Option<Block>,
}

/// `if C { steps }` (the first) or `else if C { steps }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Arm {
    pub condition: Expr,
    pub block: Block,
}

/// Every step of `steps`, and of the arms of every branch and the body of every `for` among
/// them, in order.
pub fn steps_within(steps: &[Step]) -> Vec<&Step> {
    let mut out = Vec::new();
    for step in steps {
        out.push(step);
        match &step.kind {
            StepKind::Branch(branch) => {
                let blocks = branch.arms.iter().map(|arm| &arm.block);
                for block in blocks.chain(&branch.otherwise) {
                    out.extend(steps_within(&block.steps));
                }
            }
            StepKind::For(each) => out.extend(steps_within(&each.block.steps)),
            _ => {}
        }
    }
    out
}

/// `{ steps }`; its span runs from `{` to `}`.
#[derive(Clone, Debug)]
pub struct Block {
    pub steps: Vec<Step>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Create {
        entity: Option<Name>,
        app: Name,
        fields: Option<Vec<FieldInit>>,
    },
    Update {
        entity: Option<Name>,
        app: Name,
        target: Target,
        fields: Vec<FieldInit>,
    },
    Delete {
        entity: Option<Name>,
        app: Name,
        target: Target,
    },
    Notify {
        channel: Option<Expr>,
        message: Expr,
    },
    /// `upsert ENTITY in APP match KEY { … }`: update the record whose `KEY` is the block's
    /// value for it, or create one.
    Upsert {
        entity: Name,
        app: Name,
        key: Name,
        fields: Vec<FieldInit>,
    },
}

/// Which records an `update` or `delete` writes.
#[derive(Clone, Debug)]
pub enum Target {
    Linked(Span),
    Where(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldInit {
    pub name: Name,
    pub value: Expr,
}

#[derive(Clone, Debug)]
pub struct SyncDecl {
    /// The entity in the left app (in both apps, unless `right_entity` is given).
    pub entity: Name,
    pub left: Name,
    pub right: Name,
    /// `sync person in A with contact in B`: the right app's entity, when its name differs.
    pub right_entity: Option<Name>,
    /// `match FIELD`: the mapped left field whose values identify the same record on both sides.
    pub matching: Option<Name>,
    pub mappings: Vec<Mapping>,
    pub prefer: Option<Spanned<Prefer>>,
    pub span: Span,
    /// `as NAME`: what `on conflict in sync NAME` calls it (by default, `entity`).
    pub name: Option<Name>,
}

impl SyncDecl {
    /// What the sync joins, as written after `sync`: `ticket between A and B`, or
    /// `person in A with contact in B`.
    pub fn sides(&self) -> impl fmt::Display + '_ {
        SyncSides(self)
    }
}

struct SyncSides<'a>(&'a SyncDecl);

impl fmt::Display for SyncSides<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        match &s.right_entity {
            Some(right) => write!(
                f,
                "{} in {} with {} in {}",
                s.entity, s.left, right, s.right
            ),
            None => write!(f, "{} between {} and {}", s.entity, s.left, s.right),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mapping {
    pub left: MapEnd,
    pub direction: Spanned<Direction>,
    pub right: MapEnd,
    pub values: Option<ValueMap>,
}

impl Mapping {
    pub fn span(&self) -> Span {
        self.left.span().to(self.right.span())
    }
}

/// One side of a mapping: a field of that side's entity, or an expression over its fields
/// (`first + " " + last`), which the sync computes and never writes.
#[derive(Clone, Debug, PartialEq)]
pub enum MapEnd {
    Field(Name),
    Computed(Expr),
}

impl MapEnd {
    pub fn span(&self) -> Span {
        match self {
            MapEnd::Field(name) => name.span,
            MapEnd::Computed(e) => e.span,
        }
    }

    /// The field this end names, unless it is computed.
    pub fn field(&self) -> Option<&Name> {
        match self {
            MapEnd::Field(name) => Some(name),
            MapEnd::Computed(_) => None,
        }
    }
}

/// `map { "Done" = "closed", else "open" }`: which left value goes with which right one, and
/// what an unlisted left value becomes on the right.
#[derive(Clone, Debug)]
pub struct ValueMap {
    pub pairs: Vec<(Expr, Expr)>,
    pub otherwise: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `<->`
    Both,
    /// `->`: from the left app to the right one.
    LeftToRight,
    /// `<-`: from the right app to the left one.
    RightToLeft,
}

impl Direction {
    pub fn symbol(self) -> &'static str {
        match self {
            Direction::Both => "<->",
            Direction::LeftToRight => "->",
            Direction::RightToLeft => "<-",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Prefer {
    App(Name),
    Latest,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: Spanned<String>,
    pub at: Option<Expr>,
    pub steps: Vec<ScenarioStep>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ScenarioStep {
    pub kind: ScenarioStepKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ScenarioStepKind {
    /// `app NAME refuses writes` (true) or `app NAME takes writes` (false).
    AppWrites {
        app: Name,
        refuses: bool,
    },
    UserCreates {
        entity: Name,
        app: Name,
        fields: Vec<FieldInit>,
    },
    UserUpdates {
        entity: Name,
        app: Name,
        condition: Expr,
        fields: Vec<FieldInit>,
    },
    UserDeletes {
        entity: Name,
        app: Name,
        condition: Expr,
    },
    ExpectCount {
        count: Spanned<u64>,
        entity: Name,
        app: Name,
        condition: Option<Expr>,
    },
    ExpectRuns {
        workflow: Spanned<WorkflowRef>,
        count: Spanned<u64>,
    },
    ExpectNotified(Spanned<u64>),
    ExpectLoop(bool),
    /// `together { … }`: user changes all made before the engine sees any of them.
    Together(Vec<ScenarioStep>),
    /// `at 2030-05-01T08:00`: the clock moves to a time.
    At(Expr),
    /// `advance 24h`: the clock moves forward.
    Advance(Expr),
}

/// How `expect runs of …` names a workflow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkflowRef {
    Named(Arc<str>),
    /// `line N`: the one-liner that starts on line N.
    Line(u32),
}

impl fmt::Display for WorkflowRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkflowRef::Named(name) => f.write_str(name),
            WorkflowRef::Line(line) => write!(f, "line {line}"),
        }
    }
}

// ---------------------------------------------------------------- expressions

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Duration(DurationLit),
    Text(Vec<TextPart>),
    Bool(bool),
    None,
    /// The keyword `user`, the label of changes made by people.
    User,
    Name(Arc<str>),
    Field(Box<Expr>, Name),
    Call(Name, Vec<Expr>),
    List(Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A time written bare after `at` (`2030-05-01T08:00`), as written.
    Time(Arc<str>),
    /// `xs[i]`: the item at `i` (from 0), or none past the end.
    Index(Box<Expr>, Box<Expr>),
    /// `{ street: "1 Main St", city: "Oslo" }`: a record value, for a field declared `{ … }`.
    Record(Vec<FieldInit>),
    /// `sum(l.qty for l in lines)`, `[l.sku for l in lines if …]`: a value from a list's items.
    Each(Box<Each>),
}

/// `VALUE for ITEM in LIST if KEEP`, inside `sum(…)`, `any(…)`, `all(…)` or `[…]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Each {
    pub kind: EachKind,
    pub value: Expr,
    pub item: Name,
    pub list: Expr,
    pub keep: Option<Expr>,
}

/// What an [`Each`] makes of its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EachKind {
    /// `sum(…)`: the numbers added up, 0 for no items.
    Sum,
    /// `any(…)`: whether some value is true (false for no items).
    Any,
    /// `all(…)`: whether every value is true (true for no items).
    All,
    /// `[…]`: the values as a list.
    List,
}

impl EachKind {
    /// The kinds written as a function around the walk.
    pub const FUNCTIONS: [EachKind; 3] = [EachKind::Sum, EachKind::Any, EachKind::All];

    /// `sum`, `any` or `all` by its name.
    pub fn named(name: &str) -> Option<EachKind> {
        EachKind::FUNCTIONS
            .into_iter()
            .find(|kind| kind.word() == Some(name))
    }

    /// `sum`, `any`, `all`, or none for a list.
    pub fn word(self) -> Option<&'static str> {
        match self {
            EachKind::Sum => Some("sum"),
            EachKind::Any => Some("any"),
            EachKind::All => Some("all"),
            EachKind::List => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationLit {
    pub amount: u64,
    pub unit: DurationUnit,
}

impl DurationLit {
    /// The length in seconds; the parser refuses a literal whose length does not fit.
    pub fn seconds(self) -> i64 {
        self.checked_seconds().unwrap_or(i64::MAX)
    }

    pub fn checked_seconds(self) -> Option<i64> {
        let per = match self.unit {
            DurationUnit::Seconds => 1,
            DurationUnit::Minutes => 60,
            DurationUnit::Hours => 3600,
            DurationUnit::Days => 86_400,
        };
        i64::try_from(self.amount).ok()?.checked_mul(per)
    }
}

/// `90m`, as written.
impl fmt::Display for DurationLit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit.suffix())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl DurationUnit {
    pub fn suffix(self) -> &'static str {
        match self {
            DurationUnit::Seconds => "s",
            DurationUnit::Minutes => "m",
            DurationUnit::Hours => "h",
            DurationUnit::Days => "d",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum TextPart {
    Literal(String),
    Interpolation(Expr),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
    Default,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Default => "??",
        }
    }

    /// Binding strength, higher binds tighter; `not` sits at 3 and `if` below everything.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::In => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div => 6,
            // Prefix `-` sits at 7, between `*` and `??`.
            BinaryOp::Default => 8,
        }
    }
}

/// One entry typed at the REPL.
#[derive(Clone, Debug, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one entry per line typed: boxing the item would save nothing that matters"
)]
pub enum ReplEntry {
    Item(Item),
    Step(ScenarioStep),
    Expr(Expr),
}
