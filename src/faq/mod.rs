//! FAQ content: the model staff write in YAML, and loading and checking it.

pub mod flow;
pub mod import;
mod load;
pub mod model;
pub mod rich_menu;
pub mod shelter;
mod source;

pub use flow::{Flow, FlowChoice, Step, Target};
pub use load::{Content, DEPARTMENTS_FILE, PROCEDURES_FILE, RULES_FILE, id_problem};
pub use model::{Date, Department, Entry, Procedure, ProcedureKind, Rule, RuleAction};
