//! Owners and sync blocks.

use std::sync::Arc;

use super::Checker;
use super::error::{CheckError, Mismatch, Named};
use crate::ast::{self, Direction};
use crate::program::*;

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
        // One sync per pair of (app, entity) sides, in either order.
        let ends = |a: (AppId, Arc<str>), b: (AppId, Arc<str>)| if a.0 < b.0 { (a, b) } else { (b, a) };
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
            let text = match &sync.right_entity {
                Some(r) => format!(
                    "{} in {} with {} in {}",
                    sync.entity.node, sync.left.node, r.node, sync.right.node
                ),
                None => format!(
                    "{} between {} and {}",
                    sync.entity.node, sync.left.node, sync.right.node
                ),
            };
            self.report(CheckError::Duplicate {
                what: "sync",
                name: Named {
                    text: Arc::from(text),
                    span: sync.entity.span,
                },
                first,
            });
            return;
        }
        let left = self.entity(left_app, &sync.entity, sync.left.span, false);
        let right = self.entity(right_app, right_entity, sync.right.span, false);
        let (Some(left), Some(right)) = (left, right) else {
            return;
        };
        let mut mappings = Vec::new();
        for mapping in &sync.mappings {
            let l = self.field(left, &mapping.left);
            let r = self.field(right, &mapping.right);
            let (Some(l), Some(r)) = (l, r) else { continue };
            let (lt, rt) = (
                self.program.field(left, l).ty.clone(),
                self.program.field(right, r).ty.clone(),
            );
            if !(lt.fits(&rt) || rt.fits(&lt)) {
                self.report(CheckError::TypeMismatch {
                    span: mapping.left.span.to(mapping.right.span),
                    expected: lt,
                    found: rt,
                    context: Mismatch::SyncField {
                        left: mapping.left.node.clone(),
                        right: mapping.right.node.clone(),
                    },
                });
            }
            mappings.push(SyncMapping {
                left: l,
                right: r,
                to_right: matches!(
                    mapping.direction.node,
                    Direction::Both | Direction::LeftToRight
                ),
                to_left: matches!(
                    mapping.direction.node,
                    Direction::Both | Direction::RightToLeft
                ),
                span: mapping.left.span.to(mapping.right.span),
            });
        }
        let prefer = match &sync.prefer {
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
        };
        self.program.syncs.push(Sync {
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
}
