//! weir: a declarative language for trigger/action workflows.
//!
//! The pipeline: [`syntax`] parses text into the [`ast`]; [`check`] resolves names and types
//! into a [`program::Program`] and proves that workflows cannot trigger each other forever;
//! [`run`] interprets the program: the simulator, the run-time guard, traces and scenarios. Diagnostics are data until [`diagnostic`] renders them.

#![forbid(unsafe_code)]

pub mod allow;
pub mod ast;
pub mod builtins;
pub mod check;
pub mod cli;
pub mod codes;
pub mod connectors;
pub mod diagnostic;
pub mod flow;
pub mod fmt;
#[doc(hidden)]
pub mod fuzzing;
pub mod load;
pub mod lsp;
pub mod operators;
pub mod program;
pub mod remote;
pub mod repl;
pub mod run;
pub mod serve;
pub mod source;
pub mod span;
pub mod suggest;
pub mod syntax;
pub mod types;
pub mod uses;
pub mod value;
pub mod words;
