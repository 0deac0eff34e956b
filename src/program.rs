//! The checked program: every name resolved to an index, every expression typed.
//!
//! The checker builds a [`Program`] from the AST; the flow analysis and the interpreter work on
//! it and never look up a name by its text. Spans stay on everything a diagnostic may point at.

use std::sync::Arc;

use crate::ast::{BinaryOp, EventKind};
use crate::builtins::Builtin;
use crate::span::Span;
use crate::types::Type;
use crate::value::{Label, Value};

macro_rules! id {
    ($name:ident) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub usize);
    };
}

id!(AppId);
id!(EntityId);
id!(FieldId);
id!(WorkflowId);
id!(LocalId);
id!(SyncId);

#[derive(Clone, Debug)]
pub struct Program {
    /// The label the engine writes under (`engine LABEL`, default `weir`).
    pub engine: Label,
    pub engine_span: Option<Span>,
    pub apps: Vec<App>,
    pub entities: Vec<Entity>,
    pub workflows: Vec<Workflow>,
    pub owners: Vec<Owner>,
    pub syncs: Vec<Sync>,
    pub scenarios: Vec<Scenario>,
}

impl Program {
    pub fn app(&self, id: AppId) -> &App {
        &self.apps[id.0]
    }

    pub fn entity(&self, id: EntityId) -> &Entity {
        &self.entities[id.0]
    }

    pub fn workflow(&self, id: WorkflowId) -> &Workflow {
        &self.workflows[id.0]
    }

    pub fn field(&self, entity: EntityId, field: FieldId) -> &Field {
        &self.entities[entity.0].fields[field.0]
    }

    /// Finds an app by name (for input events and tools; the interpreter uses indices).
    pub fn app_named(&self, name: &str) -> Option<AppId> {
        self.apps.iter().position(|a| &*a.name == name).map(AppId)
    }

    /// Finds an entity of an app by name; a call's hidden entities are not found.
    pub fn entity_named(&self, app: AppId, name: &str) -> Option<EntityId> {
        self.entities_of(app)
            .find(|e| &*self.entities[e.0].name == name)
    }

    /// The entities of an app a user can name: its own, without its calls' arguments and
    /// replies ([`Entity::is_hidden`]).
    pub fn entities_of(&self, app: AppId) -> impl Iterator<Item = EntityId> + '_ {
        self.apps[app.0]
            .entities
            .iter()
            .copied()
            .filter(|e| !self.entities[e.0].is_hidden())
    }

    pub fn workflow_named(&self, name: &str) -> Option<WorkflowId> {
        self.workflows
            .iter()
            .position(|w| &*w.name == name)
            .map(WorkflowId)
    }

    /// The app that owns an entity name, if one says `owns`.
    pub fn owner_of(&self, entity_name: &str) -> Option<&Owner> {
        self.owners.iter().find(|o| &*o.entity_name == entity_name)
    }
}

#[derive(Clone, Debug)]
pub struct App {
    pub name: Arc<str>,
    /// The declaration's name, or the first use of an open app.
    pub span: Span,
    /// Declared with `app`; otherwise open (any entity, any field, every kind, stamps).
    pub declared: bool,
    pub location: Option<Location>,
    pub reports_actor: bool,
    pub reports_changes: bool,
    /// Which kinds of event the app emits, indexed by [`kind_index`].
    pub emits: [bool; 3],
    pub entities: Vec<EntityId>,
    /// `call NAME …`: requests that are not about records.
    pub calls: Vec<Call>,
    /// `limit …`: how fast `weir serve` may write to it, if declared.
    pub limit: Option<AppLimit>,
}

/// An app's declared `limit N per second, at most N at once`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AppLimit {
    pub per_second: Option<u32>,
    pub at_once: Option<u32>,
}

/// `call lookup POST "/v1/people/match" { email: text } returns { title: text? }`. Its
/// arguments and its reply are laid out as records of two entities of the app that no script
/// can name (`call lookup`, `reply of lookup`), so that they are checked, encoded and decoded
/// as records are.
#[derive(Clone, Debug)]
pub struct Call {
    pub name: Arc<str>,
    pub span: Span,
    pub args: EntityId,
    pub reply: EntityId,
    /// The entities the call may change (`writes contact`): the flow checker counts a call as
    /// a create, update and delete of each.
    pub writes: Vec<EntityId>,
}

/// A `call` step: the call, its arguments, and the `let`s that keep the reply's fields.
#[derive(Clone, Debug)]
pub struct CallStep {
    pub app: AppId,
    pub call: usize,
    pub args: Vec<Assign>,
    /// Per field of the reply that is kept: `r.title` is a `let` of its own.
    pub results: Vec<(FieldId, LocalId)>,
    /// Whether the call says it `writes` an entity.
    pub writes: bool,
}

impl App {
    /// The clock's app, which scheduled workflows are triggered on: no script names it, and
    /// listings leave it out.
    pub fn is_clock(&self) -> bool {
        &*self.name == CLOCK_APP
    }

    pub fn emits(&self, kind: EventKind) -> bool {
        self.emits[kind_index(kind)]
    }
}

pub fn kind_index(kind: EventKind) -> usize {
    match kind {
        EventKind::New => 0,
        EventKind::Updated => 1,
        EventKind::Deleted => 2,
    }
}

/// Where a real app lives (`at "url" [auth …]`), and how its entities travel over HTTP.
#[derive(Clone, Debug)]
pub struct Location {
    pub url: String,
    pub url_span: Span,
    pub auth: Option<crate::remote::auth::Auth>,
    /// Every entity's HTTP mapping (weir's own REST mapping where no `http` block says more).
    pub mappings: Vec<(EntityId, Arc<crate::remote::mapping::Mapping>)>,
    /// `webhooks at "/hooks/…" { … }`: the routes its provider posts webhooks to.
    pub webhooks: Vec<Arc<crate::serve::hooks::Webhooks>>,
    /// `poll contact every 5m …`: the entities weir reads on an interval.
    pub polls: Vec<Arc<crate::serve::polls::Poll>>,
}

#[derive(Clone, Debug)]
pub struct Entity {
    pub app: AppId,
    pub name: Arc<str>,
    pub span: Span,
    /// Declared in its app; an entity of an open app (or one the app never declared) is open.
    pub declared: bool,
    pub fields: Vec<Field>,
    /// The declared field of type `stamp`, if any.
    pub stamp: Option<FieldId>,
}

impl Entity {
    /// Whether a record remembers who last wrote it by stamping (open entities are assumed to).
    pub fn stores_stamps(&self) -> bool {
        self.stamp.is_some() || !self.declared
    }

    /// A call's arguments or reply (`call lookup`, `reply of lookup`, named with a space no
    /// script can write): an entity to the checker and the connector layer, never one a user
    /// names or sees in a message, a listing, a graph, a route or an input event.
    pub fn is_hidden(&self) -> bool {
        self.name.contains(' ')
    }

    /// This entity as messages name it: `` `contact` ``, or for a call's hidden entities the
    /// call they stand for (the call `lookup`, the reply of the call `lookup`).
    pub fn shown(name: &str) -> String {
        if let Some(call) = name.strip_prefix("call ") {
            format!("the call `{call}`")
        } else if let Some(call) = name.strip_prefix("reply of ") {
            format!("the reply of the call `{call}`")
        } else {
            format!("`{name}`")
        }
    }

    pub fn field_named(&self, name: &str) -> Option<FieldId> {
        self.fields
            .iter()
            .position(|f| &*f.name == name)
            .map(FieldId)
    }
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: Arc<str>,
    /// `stamp` fields read as [`Type::Origin`].
    pub ty: Type,
    pub span: Span,
    pub is_stamp: bool,
    /// A `create` must give it: declared, not optional, not a stamp.
    pub required: bool,
}

/// `App owns entity`.
/// The app of the clock's tick (a space keeps it out of scripts).
pub const CLOCK_APP: &str = "the clock";
/// The entity scheduled workflows are triggered on, of [`CLOCK_APP`].
pub const CLOCK_TICK: &str = "clock tick";

#[derive(Clone, Debug)]
pub struct Owner {
    pub entity_name: Arc<str>,
    pub app: AppId,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Workflow {
    /// The workflow's name, or `line N` for a one-liner.
    pub name: Arc<str>,
    /// The name as written, or the trigger of a one-liner.
    pub name_span: Span,
    pub span: Span,
    pub one_liner: bool,
    pub trigger: Trigger,
    pub steps: Vec<Step>,
    pub locals: Vec<Local>,
}

impl Workflow {
    /// The conditions checked before the first write: the trigger's `where`, then every guard
    /// up to the first `create`, `update` or `delete` (a `notify` writes nothing), each with the
    /// value that lets the run continue.
    pub fn leading_conditions(&self) -> impl Iterator<Item = (&Expr, bool)> {
        let guards = self
            .steps
            .iter()
            .take_while(|s| !s.is_write())
            .filter_map(|s| match &s.kind {
                StepKind::Guard {
                    condition,
                    continue_when,
                } => Some((condition, *continue_when)),
                _ => None,
            });
        self.trigger
            .condition
            .iter()
            .map(|c| (c, true))
            .chain(guards)
    }

    /// Every action of the workflow, those in every arm of its branches included, in the
    /// order written.
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        actions_in(&self.steps).into_iter()
    }

    /// Whether any step is a branch or a `for` (the flow analysis then follows each path on
    /// its own).
    pub fn has_branches(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.kind, StepKind::Branch { .. } | StepKind::For { .. }))
    }
}

/// The actions of some steps, those in every arm of their branches included, in order.
pub fn actions_in(steps: &[Step]) -> Vec<&Action> {
    let mut all = Vec::new();
    collect_actions(steps, &mut all);
    all
}

fn collect_actions<'a>(steps: &'a [Step], out: &mut Vec<&'a Action>) {
    for step in steps {
        match &step.kind {
            StepKind::Action(a) => out.push(a),
            StepKind::Branch { arms, otherwise } => {
                for arm in arms {
                    collect_actions(&arm.steps, out);
                }
                collect_actions(otherwise, out);
            }
            StepKind::For { steps, .. } => collect_actions(steps, out),
            StepKind::Guard { .. }
            | StepKind::Let(..)
            | StepKind::Lookup(..)
            | StepKind::Call(_)
            | StepKind::Wait(_) => {}
        }
    }
}

/// Every step of `steps`, and of the arms of every branch and the body of every `for` among
/// them, in order.
pub fn steps_within(steps: &[Step]) -> Vec<&Step> {
    let mut out = Vec::new();
    for step in steps {
        out.push(step);
        match &step.kind {
            StepKind::Branch { arms, otherwise } => {
                for arm in arms {
                    out.extend(steps_within(&arm.steps));
                }
                out.extend(steps_within(otherwise));
            }
            StepKind::For { steps, .. } => out.extend(steps_within(steps)),
            _ => {}
        }
    }
    out
}

#[derive(Clone, Debug)]
pub struct Trigger {
    pub kind: EventKind,
    pub kind_span: Span,
    pub app: AppId,
    pub entity: EntityId,
    pub changing: Vec<FieldId>,
    pub changing_span: Option<Span>,
    pub condition: Option<Expr>,
    pub span: Span,
    /// `on conflict in sync NAME`: run when that sync settles a conflict, on its first side's
    /// record (`app`, `entity` and `kind` are that side's, and `updated`).
    pub conflict: Option<SyncId>,
    /// `on every …`: run at these times, on no record (`app` and `entity` are the clock's,
    /// which no script can name and nothing writes, so no chain leads into the workflow).
    pub schedule: Option<Box<crate::ast::Schedule>>,
    /// `at most once per 60s per device`.
    pub limit: Option<Limit>,
    /// `on failed run of NAME`: run when a run of that workflow fails, on the record it ran on
    /// (`app`, `entity` and `kind` are that workflow's trigger's). `on failed run`: when a run
    /// of any workflow not itself on failed runs fails, on no record (`app` and `entity` are
    /// the clock's, as for a schedule, since the records differ from workflow to workflow).
    pub failed: Option<FailedOf>,
    /// `on 24h before start of appointment in EHR`: run when the clock reaches the record's
    /// time field moved by the offset, once for each record and time (`kind` is `updated`,
    /// `changing` the field: to the flow proofs a write of the field, or a new record, plans it).
    pub timer: Option<Timer>,
}

/// Whose failed runs a workflow runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailedOf {
    Workflow(WorkflowId),
    Any,
}

impl FailedOf {
    /// Whether a failed run of `workflow` sets this off.
    pub fn covers(self, workflow: WorkflowId) -> bool {
        match self {
            FailedOf::Workflow(of) => of == workflow,
            FailedOf::Any => true,
        }
    }

    /// `failed run of NAME`, or `failed run`, as the trigger says it after `on`.
    pub fn words(self, p: &Program) -> String {
        match self {
            FailedOf::Workflow(of) => format!("failed run of {}", p.workflow(of).name),
            FailedOf::Any => "failed run".to_string(),
        }
    }
}

/// A record-relative timer: the clock reaches `field + offset` of a record.
#[derive(Clone, Debug)]
pub struct Timer {
    pub field: FieldId,
    /// Seconds after the field's time; negative for `before`.
    pub offset: i64,
    /// `24h before start`, as written.
    pub written: Arc<str>,
    pub span: Span,
}

/// A trigger's rate limit: at most one run per `window` seconds for each value of `per` (for
/// the whole workflow without it).
#[derive(Clone, Debug)]
pub struct Limit {
    pub window: i64,
    pub per: Option<FieldId>,
    pub span: Span,
}

impl Limit {
    /// `at most once per 1m per device`, the window in the largest unit that divides it.
    pub fn describe(&self, program: &Program, entity: EntityId) -> String {
        let (amount, unit) = [(86_400, "d"), (3600, "h"), (60, "m")]
            .into_iter()
            .find(|(per, _)| self.window > 0 && self.window % per == 0)
            .map_or((self.window, "s"), |(per, unit)| (self.window / per, unit));
        let mut text = format!("at most once per {amount}{unit}");
        if let Some(field) = self.per {
            text.push_str(" per ");
            text.push_str(&program.entity(entity).fields[field.0].name);
        }
        text
    }
}

#[derive(Clone, Debug)]
pub struct Local {
    pub name: Arc<str>,
    pub ty: Type,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Step {
    pub kind: StepKind,
    pub span: Span,
    /// `… at most once per 1m per device` after an action.
    pub limit: Option<StepLimit>,
}

/// A step's rate limit, and what tells its windows from the trigger's and the other steps'.
#[derive(Clone, Debug)]
pub struct StepLimit {
    pub limit: Limit,
    /// The step's identity: a digest of what it does as written (whitespace and comments
    /// aside), numbered when the workflow has the same step twice. Reformatting the script or
    /// editing other steps leaves it, so a journal's windows stay open across such changes.
    pub slot: Arc<str>,
    /// The line the limit stood on, which earlier journals keyed the step's windows by.
    pub line: u32,
}

impl Step {
    /// Whether the step writes to an app (a `notify` does not), or may, in an arm of a branch.
    pub fn is_write(&self) -> bool {
        match &self.kind {
            StepKind::Action(a) => a.kind.writes().is_some(),
            StepKind::Call(call) => call.writes,
            StepKind::Branch { arms, otherwise } => arms
                .iter()
                .flat_map(|a| &a.steps)
                .chain(otherwise)
                .any(Step::is_write),
            StepKind::For { steps, .. } => steps.iter().any(Step::is_write),
            StepKind::Guard { .. }
            | StepKind::Let(..)
            | StepKind::Lookup(..)
            | StepKind::Wait(_) => false,
        }
    }
}

#[derive(Clone, Debug)]
pub enum StepKind {
    /// `continue if c` (continue when `c` is true) and `unless c` (continue when it is false).
    Guard {
        condition: Expr,
        continue_when: bool,
    },
    Let(LocalId, Expr),
    Action(Action),
    Call(CallStep),
    /// `let NAME = find|exists|count …`: records read from an app into a `let`. It writes
    /// nothing and sets nothing off.
    Lookup(LocalId, Query),
    /// `if C { … } else if C { … } else { … }`: the steps of the first arm whose condition
    /// holds, else `otherwise` (empty without an `else`).
    Branch {
        arms: Vec<Arm>,
        otherwise: Vec<Step>,
    },
    /// `for NAME in LIST { … }`: `steps` once for each item of `list`, the item in `item`.
    /// The flow analysis's paths keep a `for` with no steps where its body starts, so that a
    /// path still says that what follows repeats for each item.
    For {
        item: LocalId,
        list: Expr,
        /// `for NAME in LIST` as written, for the flow graph's labels.
        label: Arc<str>,
        steps: Vec<Step>,
    },
    /// `wait 12h`: the run stops here and goes on, in the same chain, when the clock has
    /// moved this many seconds. Only at the top of a workflow's steps.
    Wait(i64),
}

/// What a lookup reads: the records of an entity for which the condition holds.
#[derive(Clone, Debug)]
pub struct Query {
    pub kind: QueryKind,
    pub app: AppId,
    pub entity: EntityId,
    /// Bare names are the looked-up record's fields ([`ExprKind::TargetField`]).
    pub condition: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryKind {
    /// The first match (by id, or by `order`: the field, and whether descending), or none. The
    /// `let` holds the record's values and then its id, in one list.
    Find(Option<(FieldId, bool)>),
    /// Every match, in the same order as `Find` picks its first: a list of records, each held
    /// as `Find`'s is.
    Every(Option<(FieldId, bool)>),
    Exists,
    Count,
}

/// `if C { steps }` or `else if C { steps }`.
#[derive(Clone, Debug)]
pub struct Arm {
    pub condition: Expr,
    /// The condition as written, for the flow graph's labels.
    pub label: Arc<str>,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug)]
pub struct Action {
    pub kind: ActionKind,
    pub span: Span,
    /// The arms of branches the action stands in, in words (`if kind == "paid"`, `else`,
    /// nested ones joined by `, `); `None` outside every branch.
    pub arm: Option<Arc<str>>,
    /// `let NAME = create …`: the `let` that holds the created record (its values, then its id,
    /// as a `find`'s).
    pub bind: Option<LocalId>,
}

#[derive(Clone, Debug)]
pub enum ActionKind {
    Create {
        app: AppId,
        entity: EntityId,
        fields: Vec<Assign>,
        /// Without a field block, the trigger's fields copied by name.
        copy: Option<CopyFields>,
    },
    Update {
        app: AppId,
        entity: EntityId,
        target: Target,
        fields: Vec<Assign>,
        /// A value reads `target.FIELD`, so the fields are worked out for each record updated.
        per_target: bool,
    },
    Delete {
        app: AppId,
        entity: EntityId,
        target: Target,
    },
    Notify {
        channel: Option<Expr>,
        message: Expr,
    },
    /// `upsert ENTITY in APP match KEY { … }`: updates the first record whose `key` is the
    /// block's value for it, or creates one when there is none.
    Upsert {
        app: AppId,
        entity: EntityId,
        key: FieldId,
        fields: Vec<Assign>,
    },
}

impl ActionKind {
    /// The app and entity a write goes to, and the kind of event it causes (`None` for notify;
    /// an upsert's first, `new`: see [`ActionKind::all_writes`]).
    pub fn writes(&self) -> Option<(AppId, EntityId, EventKind)> {
        match self {
            ActionKind::Create { app, entity, .. } | ActionKind::Upsert { app, entity, .. } => {
                Some((*app, *entity, EventKind::New))
            }
            ActionKind::Update { app, entity, .. } => Some((*app, *entity, EventKind::Updated)),
            ActionKind::Delete { app, entity, .. } => Some((*app, *entity, EventKind::Deleted)),
            ActionKind::Notify { .. } => None,
        }
    }

    /// Every change the action may make: one, or for an upsert both `new` and `updated`.
    pub fn all_writes(&self) -> Vec<(AppId, EntityId, EventKind)> {
        match self {
            ActionKind::Upsert { app, entity, .. } => vec![
                (*app, *entity, EventKind::New),
                (*app, *entity, EventKind::Updated),
            ],
            other => other.writes().into_iter().collect(),
        }
    }

    /// The explicit field assignments of a create, update or upsert.
    pub fn assignments(&self) -> &[Assign] {
        match self {
            ActionKind::Create { fields, .. }
            | ActionKind::Update { fields, .. }
            | ActionKind::Upsert { fields, .. } => fields,
            _ => &[],
        }
    }
}

/// `field: value` in an action or a user step.
#[derive(Clone, Debug)]
pub struct Assign {
    pub field: FieldId,
    pub value: Expr,
    /// The field's name as written.
    pub span: Span,
}

/// How `create in B` without a field block fills the new record from the trigger's.
#[derive(Clone, Debug)]
pub struct CopyFields {
    /// `(trigger field, target field)` pairs with the same name.
    pub pairs: Vec<(FieldId, FieldId)>,
    /// The target is open: fields the trigger record has beyond those are copied too.
    pub extras: bool,
}

/// Which records an `update` or `delete` writes.
#[derive(Clone, Debug)]
pub enum Target {
    /// The records linked with the trigger record.
    Linked(Span),
    /// The records for which the condition holds (bare names are the target's fields).
    Where(Expr),
}

#[derive(Clone, Debug)]
pub struct Sync {
    /// What `on conflict in sync NAME` calls it: `as NAME`, else its first entity's name.
    pub name: Arc<str>,
    pub name_span: Span,
    pub entity_name: Arc<str>,
    pub left: SyncSide,
    pub right: SyncSide,
    pub mappings: Vec<SyncMapping>,
    /// `match FIELD`: the index of the mapping whose values link a new record to an existing one.
    pub matching: Option<usize>,
    pub prefer: Prefer,
    pub span: Span,
}

#[derive(Clone, Copy, Debug)]
pub struct SyncSide {
    pub app: AppId,
    pub entity: EntityId,
}

#[derive(Clone, Debug)]
pub struct SyncMapping {
    pub left: SyncEnd,
    pub right: SyncEnd,
    pub to_right: bool,
    pub to_left: bool,
    pub span: Span,
    /// `map { … }`: values that change on the way across; without it a value goes as it is.
    pub values: Option<ValueMap>,
}

/// One side of a sync mapping: a field, or an expression over that side's fields (its names
/// are [`ExprKind::TargetField`]s), which the sync reads and never writes.
#[derive(Clone, Debug)]
pub enum SyncEnd {
    Field(FieldId),
    Computed(Expr),
}

impl SyncEnd {
    pub fn field(&self) -> Option<FieldId> {
        match self {
            SyncEnd::Field(f) => Some(*f),
            SyncEnd::Computed(_) => None,
        }
    }

    /// The fields of its side this end reads.
    pub fn reads(&self) -> Vec<FieldId> {
        match self {
            SyncEnd::Field(f) => vec![*f],
            SyncEnd::Computed(e) => {
                let mut fields = Vec::new();
                e.visit(&mut |e| {
                    if let ExprKind::TargetField(f) = e.kind
                        && !fields.contains(&f)
                    {
                        fields.push(f);
                    }
                });
                fields
            }
        }
    }
}

impl SyncMapping {
    /// The end on one side (`left`: the first app's).
    pub fn end(&self, left: bool) -> &SyncEnd {
        if left { &self.left } else { &self.right }
    }

    /// Whether values flow from the side `from_left` names to the other.
    pub fn flows_from(&self, from_left: bool) -> bool {
        if from_left {
            self.to_right
        } else {
            self.to_left
        }
    }

    /// The field a flow out of `from_left` writes on the other side, if it flows that way.
    pub fn written(&self, from_left: bool) -> Option<FieldId> {
        self.flows_from(from_left)
            .then(|| self.end(!from_left).field())
            .flatten()
    }

    /// The fields whose changes a flow out of `from_left` carries, if it flows that way.
    pub fn read(&self, from_left: bool) -> Vec<FieldId> {
        if self.flows_from(from_left) {
            self.end(from_left).reads()
        } else {
            Vec::new()
        }
    }

    /// The value `value` becomes on the other side: on the right when `to_right`.
    pub fn carry(&self, value: &Value, to_right: bool) -> Value {
        match &self.values {
            None => value.clone(),
            Some(map) if to_right => map.to_right(value),
            Some(map) => map.to_left(value),
        }
    }
}

/// A checked `map { left = right, …, else right }` of a sync mapping.
#[derive(Clone, Debug, Default)]
pub struct ValueMap {
    pub pairs: Vec<(Value, Value)>,
    pub otherwise: Option<Value>,
}

impl ValueMap {
    /// A left value on the right: its listed partner, else the `else` value, else itself.
    pub fn to_right(&self, value: &Value) -> Value {
        self.pairs
            .iter()
            .find(|(left, _)| left == value)
            .map(|(_, right)| right)
            .or(self.otherwise.as_ref())
            .unwrap_or(value)
            .clone()
    }

    /// A right value on the left: the first left value listed with it, else itself.
    pub fn to_left(&self, value: &Value) -> Value {
        self.pairs
            .iter()
            .find(|(_, right)| right == value)
            .map_or(value, |(left, _)| left)
            .clone()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefer {
    Left,
    Right,
    Latest,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: Arc<str>,
    pub name_span: Span,
    pub span: Span,
    /// The clock's start; `now()` is 2030-01-01T00:00:00Z when absent.
    pub at: Option<Expr>,
    pub steps: Vec<ScenarioStep>,
}

#[derive(Clone, Debug)]
pub struct ScenarioStep {
    pub kind: ScenarioStepKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ScenarioStepKind {
    /// `app NAME refuses writes` (true) or `app NAME takes writes` (false): the simulated app
    /// fails the writes runs make to it.
    AppWrites {
        app: AppId,
        refuses: bool,
    },
    UserCreates {
        app: AppId,
        entity: EntityId,
        fields: Vec<Assign>,
    },
    UserUpdates {
        app: AppId,
        entity: EntityId,
        condition: Expr,
        fields: Vec<Assign>,
    },
    UserDeletes {
        app: AppId,
        entity: EntityId,
        condition: Expr,
    },
    ExpectCount {
        count: u64,
        app: AppId,
        entity: EntityId,
        condition: Option<Expr>,
    },
    ExpectRuns {
        workflow: WorkflowId,
        count: u64,
    },
    ExpectNotified(u64),
    ExpectLoop(bool),
    /// User steps whose changes are all made before the engine sees any of them.
    Together(Vec<ScenarioStep>),
    /// The clock moves to a time (`at …`).
    At(Expr),
    /// The clock moves forward by a duration (`advance …`).
    Advance(Expr),
}

// ---------------------------------------------------------------- expressions

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Const(Value),
    /// A field of the record that triggered the run.
    TriggerField(FieldId),
    TriggerId,
    /// A field of the record an action's `where` (or a scenario's) is testing.
    TargetField(FieldId),
    TargetId,
    /// Who made the change that triggered the run.
    Origin,
    Local(LocalId),
    /// `conflict.field` and the like, in a workflow run on a sync's conflict.
    Conflict(ConflictPart),
    /// `error.message` and the like, in a workflow run on a failed run.
    Failure(FailurePart),
    /// A field of the record a `find` gave a `let` (present: the checker asks for narrowing).
    RecordField(LocalId, FieldId),
    /// The id of the record a `find` gave a `let`.
    RecordId(LocalId),
    Interpolation(Vec<Piece>),
    Call(Builtin, Vec<Expr>),
    List(Vec<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `xs[i]`: the item at `i`, counted from 0, or none.
    Index(Box<Expr>, Box<Expr>),
    /// `address.city`: a field of a nested record, by its place in the record's type.
    Member(Box<Expr>, usize),
    /// `{ street: …, city: … }`: a nested record, its fields in the order its type declares.
    Record(Vec<(Arc<str>, Expr)>),
    /// `sum(…)`, `any(…)`, `all(…)` or `[… for … in …]` over a list's items.
    Each(Box<Each>),
}

/// `VALUE for ITEM in LIST if KEEP`: the item is a local seen only by `value` and `keep`.
#[derive(Clone, Debug)]
pub struct Each {
    pub kind: crate::ast::EachKind,
    pub value: Expr,
    pub item: LocalId,
    pub list: Expr,
    pub keep: Option<Expr>,
}

/// What a conflict workflow can read of the conflict, each a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictPart {
    /// The field whose change lost, as its app names it.
    Field,
    /// The app whose change lost.
    App,
    /// The value kept, as that field now holds it.
    Kept,
    /// The value that lost.
    Lost,
    /// The ids of the two linked records: the first side's and the second's.
    Left,
    Right,
}

impl ConflictPart {
    pub const ALL: [(&'static str, ConflictPart); 6] = [
        ("field", ConflictPart::Field),
        ("loser", ConflictPart::App),
        ("kept", ConflictPart::Kept),
        ("lost", ConflictPart::Lost),
        ("left", ConflictPart::Left),
        ("right", ConflictPart::Right),
    ];
}

/// What a workflow on a failed run can read of the failure, each a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailurePart {
    /// What went wrong, in one sentence.
    Message,
    /// The name of the workflow whose run failed.
    Workflow,
    /// The event that run was on, as in `the new order Shop/order/3`.
    Event,
}

impl FailurePart {
    pub const ALL: [(&'static str, FailurePart); 3] = [
        ("message", FailurePart::Message),
        ("workflow", FailurePart::Workflow),
        ("event", FailurePart::Event),
    ];
}

/// A part of a text with interpolation.
#[derive(Clone, Debug)]
pub enum Piece {
    Text(Arc<str>),
    Expr(Expr),
}

impl Expr {
    /// Calls `f` on this expression and every expression inside it.
    pub fn visit(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Interpolation(pieces) => {
                for piece in pieces {
                    if let Piece::Expr(e) = piece {
                        e.visit(f);
                    }
                }
            }
            ExprKind::Call(_, args) | ExprKind::List(args) => {
                for arg in args {
                    arg.visit(f);
                }
            }
            ExprKind::Not(e) | ExprKind::Neg(e) => e.visit(f),
            ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
                a.visit(f);
                b.visit(f);
            }
            ExprKind::If(c, t, o) => {
                c.visit(f);
                t.visit(f);
                o.visit(f);
            }
            ExprKind::Member(base, _) => base.visit(f),
            ExprKind::Record(fields) => {
                for (_, value) in fields {
                    value.visit(f);
                }
            }
            ExprKind::Each(each) => {
                each.list.visit(f);
                each.value.visit(f);
                if let Some(keep) = &each.keep {
                    keep.visit(f);
                }
            }
            _ => {}
        }
    }

    /// Whether the expression reads the record an action is choosing or updating.
    pub fn reads_target(&self) -> bool {
        let mut reads = false;
        self.visit(&mut |e| {
            reads |= matches!(e.kind, ExprKind::TargetField(_) | ExprKind::TargetId);
        });
        reads
    }

    /// The constant this expression is, if it is a literal.
    pub fn as_const(&self) -> Option<&Value> {
        match &self.kind {
            ExprKind::Const(v) => Some(v),
            _ => None,
        }
    }
}
