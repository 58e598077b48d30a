//! Rate limits on the public routes of the local server: per client (an
//! address, an IPv6 /64) and per well-formed code, in fixed one-minute
//! windows, in bounded memory. (In AWS the HTTP API's route throttling and
//! the per-address quotas in the store do this job.)

use feedback_core::Code;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Windows kept before expired ones are swept.
const SWEEP_AT: usize = 10_000;
/// Windows kept at most: memory stays bounded (a few MB) whatever a flood
/// sends. A new client past this, while every window is live, is refused
/// until windows expire.
const MAX_WINDOWS: usize = 100_000;
/// A full sweep runs at most this often, so a table full of live windows
/// cannot make every request walk it.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// What a window counts: one client (an address, an IPv6 /64) or one code.
/// Only well-formed codes get a window of their own; anything else in the
/// path is counted under its client alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Client(IpAddr),
    Code(Code),
}

#[derive(Debug)]
struct Windows {
    open: HashMap<Key, (Instant, u32)>,
    swept_at: Option<Instant>,
}

#[derive(Debug)]
pub struct RateLimiter {
    per_address: u32,
    per_code: u32,
    windows: Mutex<Windows>,
}

impl RateLimiter {
    /// At most `per_address` public requests a minute from one address, and
    /// `per_code` for one code.
    pub fn new(per_address: u32, per_code: u32) -> Self {
        RateLimiter {
            per_address,
            per_code,
            windows: Mutex::new(Windows {
                open: HashMap::new(),
                swept_at: None,
            }),
        }
    }

    /// Counts one request from `client` (if known) to `code` (if it is
    /// one); `Err(seconds)` to wait when either is over its limit.
    pub fn check(
        &self,
        client: Option<IpAddr>,
        code: Option<Code>,
        now: Instant,
    ) -> Result<(), u64> {
        client
            .map_or(Ok(()), |ip| {
                self.hit(Key::Client(ip), self.per_address, now)
            })
            .and_then(|()| code.map_or(Ok(()), |c| self.hit(Key::Code(c), self.per_code, now)))
    }

    /// Counts one request under `key`; `Err(seconds)` when over `limit`.
    fn hit(&self, key: Key, limit: u32, now: Instant) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let Windows { open, swept_at } = &mut *windows;
        if open.len() >= SWEEP_AT && swept_at.is_none_or(|t| now.duration_since(t) >= SWEEP_EVERY) {
            open.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            *swept_at = Some(now);
        }
        if open.len() >= MAX_WINDOWS && !open.contains_key(&key) {
            return Err(WINDOW.as_secs());
        }
        let (start, count) = open.entry(key).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        *count += 1;
        if *count > limit {
            let left = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(left.as_secs().max(1));
        }
        Ok(())
    }

    /// Windows held now.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.windows.lock().unwrap().open.len()
    }
}

impl Default for RateLimiter {
    /// 120 requests a minute per address (a shop's Wi-Fi shares one), 60 per
    /// code (a customer rarely needs more than a few; a reusable link at a
    /// busy counter sees several people a minute).
    fn default() -> Self {
        RateLimiter::new(120, 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(n: u32) -> Key {
        Key::Client(IpAddr::from(n.to_be_bytes()))
    }

    #[test]
    fn a_window_allows_its_limit_then_refuses_until_it_ends() {
        let limiter = RateLimiter::new(3, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.hit(client(1), 3, t0).is_ok());
        }
        assert_eq!(
            limiter.hit(client(1), 3, t0 + Duration::from_secs(15)),
            Err(45)
        );
        assert!(limiter.hit(client(2), 3, t0).is_ok());
        assert!(limiter.hit(client(1), 3, t0 + WINDOW).is_ok());
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_new_clients() {
        let limiter = RateLimiter::new(3, 3);
        let t0 = Instant::now();
        let mut refused = 0;
        for n in 0..(MAX_WINDOWS as u32 + 5_000) {
            refused += usize::from(limiter.hit(client(n), 3, t0).is_err());
        }
        assert_eq!((limiter.held(), refused), (MAX_WINDOWS, 5_000));
        // Known clients keep their windows; once the windows expire, new
        // clients get theirs.
        assert!(limiter.hit(client(7), 3, t0).is_ok());
        assert!(limiter.hit(client(u32::MAX), 3, t0 + WINDOW).is_ok());
        assert_eq!(limiter.held(), 1);
    }
}
