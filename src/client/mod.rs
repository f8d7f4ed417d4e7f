//! Who is asking: the client's address behind the city's reverse proxies,
//! and the rate limits kept per client. The channels and the admin pages use
//! it; it knows nothing of them.

mod address;
mod limit;

pub use address::{ClientAddress, TrustedProxies, network_of};
pub use limit::RateLimiter;
