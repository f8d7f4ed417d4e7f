//! The ways residents reach the engine. Each channel turns its requests into
//! questions for the engine and renders the engine's decisions for its users;
//! none knows how the engine searches.

pub mod web;
