//! Requests allowed per key (a client address, an account name) per minute,
//! with governor's GCRA: a burst of up to the minute's allowance, then an
//! even rate.

use std::hash::Hash;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota};

/// Keys tracked before those whose allowance is full again are dropped.
const MAX_TRACKED_KEYS: usize = 100_000;

/// Allows each key `per_minute` requests a minute.
pub struct RateLimiter<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// At least one request a minute is always allowed.
    pub fn new(per_minute: u32) -> RateLimiter<K> {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        RateLimiter {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)),
        }
    }

    /// Counts one request for `key`; false when it is over its allowance.
    pub fn allow(&self, key: &K) -> bool {
        if self.limiter.len() >= MAX_TRACKED_KEYS {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn a_key_is_refused_past_its_allowance_and_others_are_not() {
        let limiter = RateLimiter::new(3);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        assert!((0..3).all(|_| limiter.allow(&a)));
        assert!(!limiter.allow(&a));
        assert!(limiter.allow(&b));
    }
}
