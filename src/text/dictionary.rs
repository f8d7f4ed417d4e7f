//! The morphological dictionary: IPADIC, built from `dictionaries/ipadic/` by
//! `build.rs` and embedded in the binary, plus the staff's user dictionary.

use std::sync::OnceLock;

use lindera::dictionary::{Dictionary, DictionaryBuilder, UserDictionary};

use super::TextError;
use super::lexicon::UserWord;

mod embedded {
    lindera_dictionary::embedded_dictionary!("/ipadic", EmbeddedIpadicLoader);
}

/// The system dictionary, loaded once per process.
pub fn system_dictionary() -> Result<Dictionary, TextError> {
    static DICTIONARY: OnceLock<Result<Dictionary, String>> = OnceLock::new();
    DICTIONARY
        .get_or_init(|| embedded::load().map_err(|err| err.to_string()))
        .clone()
        .map_err(TextError::Dictionary)
}

/// Builds a user dictionary for `dictionary` from the staff's word list.
pub fn user_dictionary(
    dictionary: &Dictionary,
    words: &[UserWord],
) -> Result<Option<UserDictionary>, TextError> {
    if words.is_empty() {
        return Ok(None);
    }
    let mut csv = String::new();
    for word in words {
        csv.push_str(&format!(
            "{},{},{}\n",
            word.surface, word.part_of_speech, word.reading
        ));
    }
    DictionaryBuilder::new(dictionary.metadata.as_ref().clone())
        .build_user_dict_from_reader(csv.as_bytes())
        .map(Some)
        .map_err(|err| TextError::Dictionary(format!("building the user dictionary: {err}")))
}
