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

    /// Finds an entity of an app by name.
    pub fn entity_named(&self, app: AppId, name: &str) -> Option<EntityId> {
        self.apps[app.0]
            .entities
            .iter()
            .copied()
            .find(|e| &*self.entities[e.0].name == name)
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
    /// `limit …`: how fast `weir serve` may write to it, if declared.
    pub limit: Option<AppLimit>,
}

/// An app's declared `limit N per second, at most N at once`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AppLimit {
    pub per_second: Option<u32>,
    pub at_once: Option<u32>,
}

impl App {
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

/// Where a real app lives (`at "url" [auth bearer env VAR]`).
#[derive(Clone, Debug)]
pub struct Location {
    pub url: String,
    pub url_span: Span,
    pub bearer_env: Option<Arc<str>>,
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

    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.steps.iter().filter_map(|s| match &s.kind {
            StepKind::Action(a) => Some(a),
            _ => None,
        })
    }
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
}

impl Step {
    /// Whether the step writes to an app (a `notify` does not).
    pub fn is_write(&self) -> bool {
        matches!(&self.kind, StepKind::Action(a) if a.kind.writes().is_some())
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
}

#[derive(Clone, Debug)]
pub struct Action {
    pub kind: ActionKind,
    pub span: Span,
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
}

impl ActionKind {
    /// The app and entity a write goes to, and the kind of event it causes (`None` for notify).
    pub fn writes(&self) -> Option<(AppId, EntityId, EventKind)> {
        match self {
            ActionKind::Create { app, entity, .. } => Some((*app, *entity, EventKind::New)),
            ActionKind::Update { app, entity, .. } => Some((*app, *entity, EventKind::Updated)),
            ActionKind::Delete { app, entity, .. } => Some((*app, *entity, EventKind::Deleted)),
            ActionKind::Notify { .. } => None,
        }
    }

    /// The explicit field assignments of a create or update.
    pub fn assignments(&self) -> &[Assign] {
        match self {
            ActionKind::Create { fields, .. } | ActionKind::Update { fields, .. } => fields,
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
    pub left: FieldId,
    pub right: FieldId,
    pub to_right: bool,
    pub to_left: bool,
    pub span: Span,
    /// `map { … }`: values that change on the way across; without it a value goes as it is.
    pub values: Option<ValueMap>,
}

impl SyncMapping {
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
    Interpolation(Vec<Piece>),
    Call(Builtin, Vec<Expr>),
    List(Vec<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}

/// A part of a text with interpolation.
#[derive(Clone, Debug)]
pub enum Piece {
    Text(Arc<str>),
    Expr(Expr),
}

impl Expr {
    /// The constant this expression is, if it is a literal.
    pub fn as_const(&self) -> Option<&Value> {
        match &self.kind {
            ExprKind::Const(v) => Some(v),
            _ => None,
        }
    }
}
