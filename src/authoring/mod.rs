//! What staff need to change content safely: edits of the topic files that
//! rewrite only what changed, the replay of the questions residents asked
//! against a draft, to see what an edit will change before it is published,
//! and published revisions followed by every replica.

pub mod follow;
pub mod replay;
pub mod topic_edit;
pub mod workspace;
