//! What staff need to change content safely: replaying the questions
//! residents asked against a draft of the content, to see what an edit will
//! change before it is published.

pub mod replay;
