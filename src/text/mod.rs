//! Japanese text processing: normalisation, tokenising with base forms and
//! readings, synonyms, and the character n-grams used for fuzzy matching.

mod analyzer;
mod dictionary;
pub mod lexicon;
pub mod mask;
pub mod normalize;

pub use analyzer::{Analysis, Analyzer, RubySegment};
pub use lexicon::Lexicon;
pub use normalize::normalize;

/// Failures of the text pipeline itself (not of its input, which is never an
/// error).
#[derive(Debug, Clone, thiserror::Error)]
pub enum TextError {
    #[error("the morphological dictionary could not be loaded: {0}")]
    Dictionary(String),
}
