//! Where residents' conversations are kept between their messages: in this
//! process when one server answers, or in the shared database when replicas
//! share one, so that a resident's 「2」 picks the choice offered whichever
//! replica gets it. A store that fails only costs the context: the resident
//! is still answered.

use std::sync::Arc;
use std::time::Duration;

use crate::engine::{Conversation, Conversations};
use crate::store::{ConversationWrite, Store, StoreError};

/// The conversations of every channel.
pub enum ConversationKeeper {
    /// In this process's memory.
    Local(Conversations),
    /// In the shared store, as JSON, forgotten after `idle`.
    Shared { store: Arc<Store>, idle: Duration },
}

impl ConversationKeeper {
    /// In the store when it is shared, else in memory (at most about
    /// `capacity`); forgotten after `idle` either way.
    pub fn for_store(store: &Arc<Store>, idle: Duration, capacity: usize) -> ConversationKeeper {
        if store.shared() {
            ConversationKeeper::Shared {
                store: store.clone(),
                idle,
            }
        } else {
            ConversationKeeper::Local(Conversations::new(idle, capacity))
        }
    }

    /// The conversation of `user` (a new one if none is kept).
    pub async fn get(&self, user: &str) -> Conversation {
        match self {
            ConversationKeeper::Local(conversations) => conversations.get(user).unwrap_or_default(),
            ConversationKeeper::Shared { store, .. } => {
                let key = user.to_string();
                let state = in_store(store, move |store| store.conversation(&key)).await;
                state
                    .flatten()
                    .and_then(|json| serde_json::from_str(&json).ok())
                    .unwrap_or_default()
            }
        }
    }

    /// Keeps `conversation` as `user`'s: in memory at once, or as a write
    /// for the store to commit with the reply (see
    /// [`ReplyLog::record`](crate::store::retry::ReplyLog::record)).
    pub fn keep(&self, user: &str, conversation: Conversation) -> Option<ConversationWrite> {
        match self {
            ConversationKeeper::Local(conversations) => {
                conversations.put(user, conversation);
                None
            }
            ConversationKeeper::Shared { idle, .. } => Some(ConversationWrite {
                key: user.to_string(),
                state: serde_json::to_string(&conversation).ok()?,
                idle: *idle,
            }),
        }
    }

    /// Forgets `user`'s conversation.
    pub async fn forget(&self, user: &str) {
        match self {
            ConversationKeeper::Local(conversations) => conversations.forget(user),
            ConversationKeeper::Shared { store, .. } => {
                let key = user.to_string();
                in_store(store, move |store| store.forget_conversation(&key)).await;
            }
        }
    }
}

/// Runs a store call on the blocking pool; a failure is logged and `None`.
async fn in_store<T: Send + 'static>(
    store: &Arc<Store>,
    call: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Option<T> {
    let store = store.clone();
    match tokio::task::spawn_blocking(move || call(&store)).await {
        Ok(Ok(value)) => Some(value),
        Ok(Err(err)) => {
            tracing::error!(error = %err, "conversation store failed; answering without context");
            None
        }
        Err(err) => {
            tracing::error!(error = %err, "conversation store call failed");
            None
        }
    }
}
