//! Owners and sync blocks.

use std::sync::Arc;

use super::Checker;
use super::error::{CheckError, Mismatch, Named};
use super::expr::{Scope, View};
use super::operators::constant;
use super::sync_error::{MapCollision, SyncProblem};
use crate::ast::{self, Direction};
use crate::program::*;
use crate::types::Type;
use crate::value::Value;

impl Checker<'_> {
    pub(super) fn owns(&mut self, owns: &ast::OwnsDecl) {
        let app = self.app(&owns.app);
        if self
            .entity(app, &owns.entity, owns.app.span, false)
            .is_none()
        {
            return;
        }
        self.program.owners.push(Owner {
            entity_name: owns.entity.node.clone(),
            app,
            span: owns.span,
        });
    }

    pub(super) fn sync(&mut self, sync: &ast::SyncDecl) {
        if sync.left.node == sync.right.node {
            self.report(CheckError::SyncWithItself {
                app: Named::of(&sync.right),
            });
            return;
        }
        let left_app = self.app(&sync.left);
        let right_app = self.app(&sync.right);
        let right_entity = sync.right_entity.as_ref().unwrap_or(&sync.entity);
        if self.sync_repeated(sync, left_app, right_app) {
            return;
        }
        if sync.right_entity.is_none() && self.sync_entity_missing(sync, left_app, right_app) {
            return;
        }
        let left = self.entity(left_app, &sync.entity, sync.left.span, false);
        let right = self.entity(right_app, right_entity, sync.right.span, false);
        let (Some(left), Some(right)) = (left, right) else {
            return;
        };
        let mappings: Vec<SyncMapping> = sync
            .mappings
            .iter()
            .filter_map(|mapping| self.sync_mapping(mapping, left, right))
            .collect();
        let prefer = self.prefer(sync);
        let matching = sync
            .matching
            .as_ref()
            .and_then(|name| self.matching(name, sync, &mappings));
        let name = sync.name.as_ref().unwrap_or(&sync.entity);
        self.program.syncs.push(Sync {
            name: name.node.clone(),
            name_span: name.span,
            matching,
            entity_name: sync.entity.node.clone(),
            left: SyncSide {
                app: left_app,
                entity: left,
            },
            right: SyncSide {
                app: right_app,
                entity: right,
            },
            mappings,
            prefer,
            span: sync.span,
        });
    }

    /// E0104 when a sync between the same two (app, entity) sides, in either order, came first.
    fn sync_repeated(&mut self, sync: &ast::SyncDecl, left_app: AppId, right_app: AppId) -> bool {
        let right_entity = sync.right_entity.as_ref().unwrap_or(&sync.entity);
        // One sync per pair of (app, entity) sides, in either order.
        let ends =
            |a: (AppId, Arc<str>), b: (AppId, Arc<str>)| if a.0 < b.0 { (a, b) } else { (b, a) };
        let this = ends(
            (left_app, sync.entity.node.clone()),
            (right_app, right_entity.node.clone()),
        );
        if let Some(first) = self.program.syncs.iter().find(|s| {
            let name = |e: EntityId| self.program.entity(e).name.clone();
            ends(
                (s.left.app, name(s.left.entity)),
                (s.right.app, name(s.right.entity)),
            ) == this
        }) {
            let first = first.span;
            let text = sync.sides().to_string();
            self.report(CheckError::Duplicate {
                what: "sync",
                name: Named {
                    text: Arc::from(text),
                    span: sync.entity.span,
                },
                first,
            });
            return true;
        }
        false
    }

    /// Which side wins a conflict: `prefer latest` (the default) or one of the two apps.
    fn prefer(&mut self, sync: &ast::SyncDecl) -> Prefer {
        match &sync.prefer {
            None => Prefer::Latest,
            Some(p) => match &p.node {
                ast::Prefer::Latest => Prefer::Latest,
                ast::Prefer::App(name) if name.node == sync.left.node => Prefer::Left,
                ast::Prefer::App(name) if name.node == sync.right.node => Prefer::Right,
                ast::Prefer::App(name) => {
                    self.report(CheckError::PreferOther {
                        name: Named::of(name),
                        left: sync.left.node.clone(),
                        right: sync.right.node.clone(),
                    });
                    Prefer::Latest
                }
            },
        }
    }

    /// The sync `on conflict in sync NAME` names (E0105 for none, or two).
    pub(super) fn sync_named(&mut self, name: &ast::Name) -> Option<SyncId> {
        let mut found = (0..self.program.syncs.len())
            .filter(|&i| self.program.syncs[i].name == name.node)
            .map(SyncId);
        let (first, second) = (found.next(), found.next());
        match (first, second) {
            (Some(sync), None) => Some(sync),
            (Some(a), Some(b)) => {
                self.report(CheckError::Sync(SyncProblem::AmbiguousSync {
                    name: Named::of(name),
                    first: self.program.syncs[a.0].name_span,
                    second: self.program.syncs[b.0].name_span,
                }));
                None
            }
            _ => {
                let known: Vec<Arc<str>> =
                    self.program.syncs.iter().map(|s| s.name.clone()).collect();
                let suggestion =
                    crate::suggest::closest(&name.node, known.iter().map(|k| &**k)).map(Arc::from);
                self.report(CheckError::Sync(SyncProblem::UnknownSync {
                    name: Named::of(name),
                    known,
                    suggestion,
                }));
                None
            }
        }
    }

    /// E0102 for `sync X between A and B` where a declared app has no `X`: the help names both
    /// sides, since the other app may well call the same records something else.
    fn sync_entity_missing(&mut self, sync: &ast::SyncDecl, left: AppId, right: AppId) -> bool {
        for (app, left_side) in [(left, true), (right, false)] {
            let a = self.program.app(app);
            if !a.declared || self.program.entity_named(app, &sync.entity.node).is_some() {
                continue;
            }
            let known: Vec<Arc<str>> = self
                .program
                .entities_of(app)
                .map(|e| self.program.entity(e).name.clone())
                .collect();
            let theirs = crate::suggest::closest(&sync.entity.node, known.iter().map(|k| &**k))
                .map(Arc::from)
                .or_else(|| (known.len() == 1).then(|| known[0].clone()));
            let name = theirs.as_deref().unwrap_or("ENTITY");
            let (l, r) = (&sync.left.node, &sync.right.node);
            let e = &sync.entity.node;
            let pair = if left_side {
                format!("sync {name} in {l} with {e} in {r}")
            } else {
                format!("sync {e} in {l} with {name} in {r}")
            };
            self.report(CheckError::SyncEntityMissing {
                app: Named {
                    text: a.name.clone(),
                    span: a.span,
                },
                entity: Named::of(&sync.entity),
                pair,
                known,
            });
            return true;
        }
        false
    }

    /// The mapping `match FIELD` names: one whose left field is FIELD (E0105 otherwise).
    fn matching(
        &mut self,
        name: &ast::Name,
        sync: &ast::SyncDecl,
        mappings: &[SyncMapping],
    ) -> Option<usize> {
        let left_field = |m: &ast::Mapping| m.left.field().map(|f| f.node.clone());
        if let Some(written) = sync
            .mappings
            .iter()
            .find(|m| left_field(m).as_ref() == Some(&name.node))
        {
            // A mapping that failed to check has no entry: find the checked one by its span.
            let span = written.span();
            return mappings.iter().position(|m| m.span == span);
        }
        let mapped: Vec<Arc<str>> = sync.mappings.iter().filter_map(left_field).collect();
        let suggestion =
            crate::suggest::closest(&name.node, mapped.iter().map(|m| &**m)).map(Arc::from);
        self.report(CheckError::MatchNotMapped {
            name: Named::of(name),
            mapped,
            suggestion,
        });
        None
    }

    /// One mapping: its ends resolved (a computed end checked over its own side's fields),
    /// their types compared, and E0208 where a computed end would have to be written.
    fn sync_mapping(
        &mut self,
        mapping: &ast::Mapping,
        left: EntityId,
        right: EntityId,
    ) -> Option<SyncMapping> {
        let direction = mapping.direction.node;
        let to_right = matches!(direction, Direction::Both | Direction::LeftToRight);
        let to_left = matches!(direction, Direction::Both | Direction::RightToLeft);
        for (end, written) in [(&mapping.left, to_left), (&mapping.right, to_right)] {
            if let (ast::MapEnd::Computed(e), true) = (end, written) {
                self.report(CheckError::Sync(SyncProblem::ComputedWritten {
                    span: e.span,
                    mapping: computed_fix(mapping),
                    both: direction == Direction::Both,
                }));
                return None;
            }
        }
        // The written end's field first, so that a computed end is checked against its type.
        let l = self.sync_field(left, &mapping.left);
        let r = self.sync_field(right, &mapping.right);
        let ty = |this: &Self, entity, field: Option<FieldId>| {
            field.map(|f| this.program.field(entity, f).ty.clone())
        };
        let (lt, rt) = (ty(self, left, l), ty(self, right, r));
        let l = self.sync_end(left, &mapping.left, l, rt.as_ref(), mapping)?;
        let r = self.sync_end(right, &mapping.right, r, lt.as_ref(), mapping)?;
        let lt = self.end_type(left, &l);
        let rt = self.end_type(right, &r);
        // A value map converts; what it passes on unchanged is checked when written.
        if mapping.values.is_none()
            && matches!((&l, &r), (SyncEnd::Field(_), SyncEnd::Field(_)))
            && !(lt.fits(&rt) || rt.fits(&lt))
        {
            self.report(CheckError::TypeMismatch {
                span: mapping.span(),
                expected: lt.clone(),
                found: rt.clone(),
                context: Mismatch::SyncField {
                    left: end_text(&mapping.left),
                    right: end_text(&mapping.right),
                    computed: false,
                },
            });
        }
        let values = mapping
            .values
            .as_ref()
            .map(|map| self.value_map(map, mapping, (&lt, left, &l), (&rt, right, &r)));
        Some(SyncMapping {
            values,
            left: l,
            right: r,
            to_right,
            to_left,
            span: mapping.span(),
        })
    }

    fn sync_field(&mut self, entity: EntityId, end: &ast::MapEnd) -> Option<FieldId> {
        end.field().and_then(|name| self.field(entity, name))
    }

    /// A mapping's end on one side: its field, or its expression checked over that side's
    /// record and, without a value map, against the type of the field it is written to.
    fn sync_end(
        &mut self,
        entity: EntityId,
        end: &ast::MapEnd,
        field: Option<FieldId>,
        written_as: Option<&Type>,
        mapping: &ast::Mapping,
    ) -> Option<SyncEnd> {
        let ast::MapEnd::Computed(e) = end else {
            return field.map(SyncEnd::Field);
        };
        // Bare names are fields of the record on this side, as in a scenario's condition.
        let scope = Scope {
            view: View::Record(entity),
            trigger: None,
            target: None,
        };
        let wanted = written_as.filter(|_| mapping.values.is_none());
        let checked = self.expr(e, scope, wanted);
        if let Some(ty) = wanted {
            // Named as `written is …, but computed is …`.
            let (written, computed) = match end {
                _ if mapping.left.field().is_some() => (&mapping.left, &mapping.right),
                _ => (&mapping.right, &mapping.left),
            };
            self.require_fits(
                &checked,
                ty,
                Mismatch::SyncField {
                    left: end_text(written),
                    right: end_text(computed),
                    computed: true,
                },
            );
        }
        Some(SyncEnd::Computed(checked))
    }

    fn end_type(&self, entity: EntityId, end: &SyncEnd) -> Type {
        match end {
            SyncEnd::Field(f) => self.program.field(entity, *f).ty.clone(),
            SyncEnd::Computed(e) => e.ty.clone(),
        }
    }

    /// Checks the values of a `map { … }` against the two fields, and W0405 where values that
    /// must come back would not come back as they went.
    fn value_map(
        &mut self,
        map: &ast::ValueMap,
        mapping: &ast::Mapping,
        left: (&Type, EntityId, &SyncEnd),
        right: (&Type, EntityId, &SyncEnd),
    ) -> ValueMap {
        let mut checked = ValueMap::default();
        for (l, r) in &map.pairs {
            let l = self.map_value(l, left, &mapping.left);
            let r = self.map_value(r, right, &mapping.right);
            if let (Some(l), Some(r)) = (l, r) {
                checked.pairs.push((l, r));
            }
        }
        checked.otherwise = map
            .otherwise
            .as_ref()
            .and_then(|o| self.map_value(o, right, &mapping.right));
        let direction = mapping.direction.node;
        let left_field = end_text(&mapping.left);
        let shown = |v: &Value| v.to_string();
        let mut collisions = Vec::new();
        if matches!(direction, Direction::Both | Direction::LeftToRight) {
            for (i, (l, _)) in checked.pairs.iter().enumerate() {
                let rights: Vec<String> = checked
                    .pairs
                    .iter()
                    .filter(|(other, _)| other == l)
                    .map(|(_, r)| shown(r))
                    .collect();
                let first = checked.pairs.iter().position(|(other, _)| other == l);
                if rights.len() > 1 && first == Some(i) {
                    collisions.push(MapCollision::SameLeft {
                        left: shown(l),
                        rights,
                    });
                }
            }
        }
        if matches!(direction, Direction::Both | Direction::RightToLeft) {
            for (i, (_, r)) in checked.pairs.iter().enumerate() {
                let mut lefts: Vec<String> = Vec::new();
                for (l, other) in &checked.pairs {
                    if other == r && !lefts.contains(&shown(l)) {
                        lefts.push(shown(l));
                    }
                }
                let first = checked.pairs.iter().position(|(_, other)| other == r);
                if lefts.len() > 1 && first == Some(i) {
                    collisions.push(MapCollision::SameRight {
                        lefts,
                        right: shown(r),
                        left_field: left_field.clone(),
                    });
                }
            }
        }
        match (&checked.otherwise, direction) {
            (Some(_), Direction::RightToLeft) => collisions.push(MapCollision::ElseUnused),
            (Some(o), Direction::Both) if !checked.pairs.iter().any(|(_, r)| r == o) => {
                collisions.push(MapCollision::ElseWithoutPartner {
                    otherwise: shown(o),
                    left_field,
                });
            }
            _ => {}
        }
        for collision in collisions {
            self.report(CheckError::MapCollision {
                span: map.span,
                collision,
            });
        }
        checked
    }

    /// One value of a map, checked against the side it belongs to.
    fn map_value(
        &mut self,
        e: &ast::Expr,
        (ty, entity, end): (&Type, EntityId, &SyncEnd),
        written: &ast::MapEnd,
    ) -> Option<Value> {
        let context = match end {
            SyncEnd::Field(f) => Mismatch::Field {
                field: self.program.field(entity, *f).name.clone(),
                entity: self.program.entity(entity).name.clone(),
            },
            SyncEnd::Computed(_) => Mismatch::MapValue {
                end: end_text(written),
            },
        };
        let checked = self.expr(e, Scope::constant(), Some(ty));
        self.require_fits(&checked, ty, context);
        constant(&checked)
    }
}

/// A mapping's end as written: the field's name, or the expression.
fn end_text(end: &ast::MapEnd) -> Arc<str> {
    match end {
        ast::MapEnd::Field(name) => name.node.clone(),
        ast::MapEnd::Computed(e) => Arc::from(crate::fmt::expr(e)),
    }
}

/// What E0208 suggests for a mapping that would write a computed end: the same mapping,
/// flowing only out of the expression.
fn computed_fix(mapping: &ast::Mapping) -> String {
    let (l, r) = (end_text(&mapping.left), end_text(&mapping.right));
    match (&mapping.left, &mapping.right) {
        (ast::MapEnd::Computed(_), ast::MapEnd::Field(_)) => format!("{l} -> {r}"),
        (ast::MapEnd::Field(_), ast::MapEnd::Computed(_)) => format!("{l} <- {r}"),
        _ => format!("{l} {} {r}", mapping.direction.node.symbol()),
    }
}
