//! Pictures of the flow graph: apps and their entities as nodes, each workflow's write as an
//! edge from the entity that triggers it to the entity it writes. Edges on a loop are marked;
//! edges a breaker cuts are dashed and say which breaker.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use super::graph::{Cut, FlowGraph, Telling, UnitSource};
use super::scc;
use crate::ast::EventKind;
use crate::program::{App, CLOCK_APP, EntityId, FailedOf, Program};
use crate::source::SourceMap;
use crate::span::Span;

/// What happens to the chains one write starts.
#[derive(Clone, Debug, PartialEq)]
pub enum WriteStatus {
    /// It sets nothing off.
    Quiet,
    /// It sets off at least one workflow.
    Chains,
    /// Every chain it starts is cut; the breakers, in words.
    Cut(Vec<String>),
    /// It closes a loop no breaker cuts.
    Cycle,
}

pub struct View<'a> {
    /// The program with its branches followed one path at a time (see `paths`).
    pub program: Cow<'a, Program>,
    pub graph: FlowGraph,
    pub status: Vec<WriteStatus>,
    /// The writes drawn: one for each action, though it stands on several paths.
    shown: Vec<usize>,
}

impl WriteStatus {
    /// How much a status says, to keep the most telling of an action's paths.
    fn weight(&self) -> u8 {
        match self {
            WriteStatus::Quiet => 0,
            WriteStatus::Cut(_) => 1,
            WriteStatus::Chains => 2,
            WriteStatus::Cycle => 3,
        }
    }
}

pub fn breaker_name(cut: Cut, kind: EventKind) -> String {
    match cut {
        Cut::SyncEcho => "sync echo".into(),
        Cut::Disjoint => "changing".into(),
        Cut::Contradiction { .. } => "contradiction".into(),
        Cut::OriginGuard {
            by: Telling::Actor, ..
        } => "origin guard (actor)".into(),
        Cut::OriginGuard { .. } if kind == EventKind::Updated => {
            "origin guard (stale stamp)".into()
        }
        Cut::OriginGuard { .. } => "origin guard (stamp)".into(),
    }
}

impl<'a> View<'a> {
    pub fn new(program: &'a Program) -> View<'a> {
        let (program, _) = super::paths::flatten(program);
        let graph = FlowGraph::build(&program);
        let mut succ = vec![Vec::new(); graph.units.len()];
        for edge in graph.edges.iter().filter(|e| e.cut.is_none()) {
            succ[edge.from].push(edge.to);
        }
        // A failure sets off the workflows on its failed runs: a way back is a loop (E0220).
        for (failing, handler) in super::failures::hops(&program, &graph) {
            succ[failing].push(handler);
        }
        let mut component = vec![0; graph.units.len()];
        for (i, members) in scc::components(&succ).iter().enumerate() {
            for &u in members {
                component[u] = i;
            }
        }
        let mut status = vec![WriteStatus::Quiet; graph.writes.len()];
        for edge in &graph.edges {
            let kind = graph.writes[edge.write].kind;
            let entry = &mut status[edge.write];
            // A chain of deletes ends by itself (each step destroys a live record).
            let ends = kind == EventKind::Deleted;
            match edge.cut {
                None if component[edge.from] == component[edge.to] && !ends => {
                    *entry = WriteStatus::Cycle
                }
                None => {
                    if *entry != WriteStatus::Cycle {
                        *entry = WriteStatus::Chains;
                    }
                }
                Some(cut) => match entry {
                    WriteStatus::Quiet => *entry = WriteStatus::Cut(vec![breaker_name(cut, kind)]),
                    WriteStatus::Cut(names) => {
                        let name = breaker_name(cut, kind);
                        if !names.contains(&name) {
                            names.push(name);
                        }
                    }
                    _ => {}
                },
            }
        }
        let mut shown: Vec<usize> = Vec::new();
        let mut first: HashMap<(Span, EntityId, EventKind, EventKind), usize> = HashMap::new();
        for (i, w) in graph.writes.iter().enumerate() {
            let key = (w.span, w.entity, w.kind, graph.units[w.unit].trigger_kind);
            match first.get(&key) {
                Some(&kept) if status[i].weight() > status[kept].weight() => {
                    status[kept] = status[i].clone()
                }
                Some(_) => {}
                None => {
                    first.insert(key, i);
                    shown.push(i);
                }
            }
        }
        View {
            program,
            graph,
            status,
            shown,
        }
    }

    fn unit_name(&self, unit: usize) -> Arc<str> {
        match self.graph.units[unit].source {
            UnitSource::Workflow(w) => self.program.workflow(w).name.clone(),
            UnitSource::Sync { sync, .. } => {
                Arc::from(format!("sync {}", self.program.syncs[sync.0].entity_name))
            }
        }
    }

    /// What sets a unit off: `updated Helpdesk.ticket`, or `conflict in sync tickets`.
    fn trigger_text(&self, unit: usize) -> String {
        let u = &self.graph.units[unit];
        match u.source {
            UnitSource::Workflow(w) => {
                let trigger = &self.program.workflow(w).trigger;
                let text = match (trigger.conflict, &trigger.schedule, trigger.failed) {
                    (Some(sync), _, _) => {
                        format!("conflict in sync {}", self.program.syncs[sync.0].name)
                    }
                    (None, Some(schedule), _) => schedule.to_string(),
                    (None, None, Some(of @ FailedOf::Workflow(_))) => format!(
                        "{} on {}",
                        of.words(&self.program),
                        self.node(u.trigger_entity)
                    ),
                    (None, None, Some(FailedOf::Any)) => "failed run of any workflow".to_string(),
                    (None, None, None) => match &trigger.timer {
                        Some(timer) => {
                            format!("{} of {}", timer.written, self.node(u.trigger_entity))
                        }
                        None => format!("{} {}", u.trigger_kind, self.node(u.trigger_entity)),
                    },
                };
                match &trigger.limit {
                    Some(limit) => {
                        let limit = limit.describe(&self.program, trigger.entity);
                        format!("{text} ({limit})")
                    }
                    None => text,
                }
            }
            UnitSource::Sync { .. } => {
                format!("{} {}", u.trigger_kind, self.node(u.trigger_entity))
            }
        }
    }

    /// An app's entities as the pictures show them: all but the hidden ones.
    fn shown_entities<'b>(&'b self, app: &'b App) -> impl Iterator<Item = &'b EntityId> {
        app.entities
            .iter()
            .filter(|e| !self.program.entity(**e).is_hidden())
    }

    fn node(&self, entity: EntityId) -> String {
        let e = self.program.entity(entity);
        if self.program.app(e.app).is_clock() {
            return CLOCK_APP.to_string();
        }
        format!("{}.{}", self.program.app(e.app).name, e.name)
    }

    /// Where a unit's runs start in the pictures: its trigger's entity, the clock, or for a
    /// workflow on failed runs the failure (`failed run of to_desk`), a node of its own.
    fn start_node(&self, unit: usize) -> String {
        let u = &self.graph.units[unit];
        if let UnitSource::Workflow(w) = u.source
            && let Some(of) = self.program.workflow(w).trigger.failed
        {
            return match of {
                FailedOf::Any => "failed run of any workflow".to_string(),
                of => of.words(&self.program),
            };
        }
        self.node(u.trigger_entity)
    }

    /// The nodes that are not entities, each once, in the order the edges first name them:
    /// the clock, where schedules start, and the failures workflows on failed runs start at.
    fn round_nodes(&self, edges: &[(String, EntityId, String, &WriteStatus)]) -> Vec<String> {
        let mut nodes: Vec<String> = Vec::new();
        for (from, ..) in edges {
            let shown = self
                .program
                .apps
                .iter()
                .flat_map(|a| self.shown_entities(a))
                .any(|e| self.node(*e) == *from);
            if !shown && !nodes.contains(from) {
                nodes.push(from.clone());
            }
        }
        nodes
    }

    /// The edges of the picture: (from node, to entity, label, status), one per write.
    fn edges(&self) -> Vec<(String, EntityId, String, &WriteStatus)> {
        self.shown
            .iter()
            .map(|&i| {
                let w = &self.graph.writes[i];
                let unit = &self.graph.units[w.unit];
                let kind = match unit.source {
                    UnitSource::Workflow(id)
                        if self.program.workflow(id).trigger.conflict.is_some() =>
                    {
                        "conflict".to_string()
                    }
                    UnitSource::Workflow(id)
                        if self.program.workflow(id).trigger.schedule.is_some() =>
                    {
                        "schedule".to_string()
                    }
                    UnitSource::Workflow(id)
                        if self.program.workflow(id).trigger.failed.is_some() =>
                    {
                        "failed run".to_string()
                    }
                    UnitSource::Workflow(id)
                        if self.program.workflow(id).trigger.timer.is_some() =>
                    {
                        "timer".to_string()
                    }
                    _ => unit.trigger_kind.to_string(),
                };
                let label = format!(
                    "{}{} ({kind} → {})",
                    self.unit_name(w.unit),
                    arm_words(w),
                    w.kind.action()
                );
                (self.start_node(w.unit), w.entity, label, &self.status[i])
            })
            .collect()
    }

    /// A plain-text picture for a terminal.
    pub fn text(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "apps and entities");
        for app in self.program.apps.iter().filter(|a| !a.is_clock()) {
            let entities: Vec<&str> = app
                .entities
                .iter()
                .map(|e| self.program.entity(*e))
                .filter(|e| !e.is_hidden())
                .map(|e| &*e.name)
                .collect();
            let open = if app.declared { "" } else { " (open)" };
            let _ = writeln!(out, "  {}{open}: {}", app.name, entities.join(", "));
        }
        let _ = writeln!(out, "\nwrites (trigger → write: what it sets off)");
        for &i in &self.shown {
            let w = &self.graph.writes[i];
            let status = match &self.status[i] {
                WriteStatus::Quiet => "sets nothing off".to_string(),
                WriteStatus::Chains => {
                    let mut next: Vec<String> = Vec::new();
                    for e in self.graph.edges.iter() {
                        let same_action = self.graph.writes[e.write].span == w.span;
                        let name = self.unit_name(e.to).to_string();
                        if same_action && e.cut.is_none() && !next.contains(&name) {
                            next.push(name);
                        }
                    }
                    format!("sets off {}", next.join(", "))
                }
                WriteStatus::Cut(names) => format!("cut: {}", names.join(", ")),
                WriteStatus::Cycle => "LOOP".to_string(),
            };
            let _ = writeln!(
                out,
                "  {:<24} {} → {} {}  [line {}]  {status}",
                format!("{}{}", self.unit_name(w.unit), arm_words(w)),
                self.trigger_text(w.unit),
                w.kind.action(),
                self.node(w.entity),
                sources.line_of(w.span),
            );
        }
        let stats = super::stats::compute(&self.program, &self.graph);
        if !stats.is_empty() {
            let _ = writeln!(out, "\nhow much one change can set off");
            for line in super::stats::table(&stats).lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
        let loops = self
            .status
            .iter()
            .filter(|s| **s == WriteStatus::Cycle)
            .count();
        let _ = writeln!(
            out,
            "\n{}",
            if loops == 0 {
                "no loops: every chain ends".to_string()
            } else {
                format!("{loops} write(s) on a loop: see `weir check`")
            }
        );
        out
    }

    /// Graphviz DOT.
    pub fn dot(&self) -> String {
        let mut out = String::from(
            "digraph weir {\n  rankdir=LR;\n  graph [fontname=\"Helvetica\"];\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
        );
        for (i, app) in self.program.apps.iter().enumerate() {
            // Schedules start at the clock, drawn with the other round nodes.
            if app.is_clock() {
                continue;
            }
            let _ = writeln!(
                out,
                "  subgraph cluster_{i} {{\n    label={};\n    style=rounded;",
                quote(&app.name)
            );
            for e in self.shown_entities(app) {
                let _ = writeln!(
                    out,
                    "    {} [label={}];",
                    quote(&self.node(*e)),
                    quote(&self.program.entity(*e).name)
                );
            }
            out.push_str("  }\n");
        }
        let edges = self.edges();
        for node in self.round_nodes(&edges) {
            let _ = writeln!(out, "  {} [shape=ellipse];", quote(&node));
        }
        for (from, to, label, status) in edges {
            let attributes = match status {
                WriteStatus::Cycle => format!(
                    "label={}, color=red, fontcolor=red, penwidth=2",
                    quote(&format!("{label}\nloop"))
                ),
                WriteStatus::Cut(names) => {
                    format!(
                        "label={}, style=dashed, color=gray40",
                        quote(&format!("{label}\ncut: {}", names.join(", ")))
                    )
                }
                _ => format!("label={}", quote(&label)),
            };
            let _ = writeln!(
                out,
                "  {} -> {} [{attributes}];",
                quote(&from),
                quote(&self.node(to))
            );
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid flowchart.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for app in &self.program.apps {
            if app.is_clock() {
                continue;
            }
            let _ = writeln!(
                out,
                "  subgraph {}[\"{}\"]",
                mermaid_id(&app.name),
                app.name
            );
            for e in self.shown_entities(app) {
                let _ = writeln!(
                    out,
                    "    {}[\"{}\"]",
                    mermaid_id(&self.node(*e)),
                    self.program.entity(*e).name
                );
            }
            out.push_str("  end\n");
        }
        let edges = self.edges();
        for node in self.round_nodes(&edges) {
            let _ = writeln!(out, "  {}([\"{node}\"])", mermaid_id(&node));
        }
        let mut loops = Vec::new();
        for (i, (from, to, label, status)) in edges.into_iter().enumerate() {
            let (arrow, text) = match status {
                WriteStatus::Cycle => {
                    loops.push(i);
                    ("==>", format!("{label} loop"))
                }
                WriteStatus::Cut(names) => ("-.->", format!("{label} cut: {}", names.join(", "))),
                _ => ("-->", label),
            };
            let _ = writeln!(
                out,
                "  {} {arrow}|\"{}\"| {}",
                mermaid_id(&from),
                text.replace('"', "'"),
                mermaid_id(&self.node(to))
            );
        }
        for i in loops {
            let _ = writeln!(out, "  linkStyle {i} stroke:red,stroke-width:3px");
        }
        out
    }
}

fn quote(text: &str) -> String {
    format!(
        "\"{}\"",
        text.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    )
}

fn mermaid_id(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// ` [if kind == "paid"]` after the name of a workflow whose write stands in an arm.
fn arm_words(write: &super::graph::Write) -> String {
    write
        .arm
        .as_ref()
        .map(|arm| format!(" [{arm}]"))
        .unwrap_or_default()
}
