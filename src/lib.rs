//! madoguchi (窓口): answers residents' questions from FAQ sets written by
//! city staff.

pub mod admin;
pub mod authoring;
pub mod channels;
pub mod client;
pub mod config;
pub mod diagnostic;
pub mod disaster;
pub mod engine;
pub mod eval;
pub mod faq;
pub mod handoff;
pub mod hours;
pub mod i18n;
pub mod index;
pub mod metrics;
pub mod reload;
pub mod server;
pub mod store;
pub mod text;
