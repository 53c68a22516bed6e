//! Rate limits (GCRA, `governor`): per client address for beacons, per
//! API key, and one for all ingest together. Each holds a minute's worth
//! of requests; past it, a refusal says which limit and how long until a
//! request would pass again (`Retry-After`).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::config::LimitsConfig;
use super::keys::KeyDigest;

/// Which limit refused a request: the label of
/// `jamscope_requests_rate_limited_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    PerIp,
    PerKey,
    Global,
}

impl LimitKind {
    pub const ALL: [LimitKind; 3] = [LimitKind::PerIp, LimitKind::PerKey, LimitKind::Global];

    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::PerIp => "per_ip",
            LimitKind::PerKey => "per_key",
            LimitKind::Global => "global",
        }
    }

    /// The config key that sets it, for the message.
    fn config_key(self) -> &'static str {
        match self {
            LimitKind::PerIp => "limits.per_ip_per_minute",
            LimitKind::PerKey => "limits.per_key_per_minute",
            LimitKind::Global => "limits.global_per_minute",
        }
    }
}

/// A request over a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub kind: LimitKind,
    /// Whole seconds until a request would pass, at least 1.
    pub retry_after_secs: u64,
    /// The limit, in requests a minute.
    pub per_minute: u32,
}

impl Refusal {
    pub fn message(&self) -> String {
        format!(
            "rate limit exceeded: {} requests a minute ({}); retry in {} s",
            self.per_minute,
            self.kind.config_key(),
            self.retry_after_secs
        )
    }
}

/// Where an IPv6 client is counted: its /64, which one subscriber holds
/// whole. IPv4 (and IPv4-mapped) addresses count alone.
fn client_bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(prefix.into())
            }
        },
    }
}

struct Limit<L> {
    limiter: L,
    per_minute: u32,
}

/// Every configured limit; `None` where it is off (0).
pub struct Limits {
    per_ip: Option<Limit<DefaultKeyedRateLimiter<IpAddr>>>,
    per_key: Option<Limit<DefaultKeyedRateLimiter<KeyDigest>>>,
    global: Option<Limit<DefaultDirectRateLimiter>>,
    clock: DefaultClock,
}

fn quota(per_minute: u32) -> Option<(Quota, u32)> {
    NonZeroU32::new(per_minute).map(|n| (Quota::per_minute(n), per_minute))
}

impl Limits {
    pub fn new(config: &LimitsConfig) -> Self {
        Self {
            per_ip: quota(config.per_ip_per_minute).map(|(q, per_minute)| Limit {
                limiter: RateLimiter::keyed(q),
                per_minute,
            }),
            per_key: quota(config.per_key_per_minute).map(|(q, per_minute)| Limit {
                limiter: RateLimiter::keyed(q),
                per_minute,
            }),
            global: quota(config.global_per_minute).map(|(q, per_minute)| Limit {
                limiter: RateLimiter::direct(q),
                per_minute,
            }),
            clock: DefaultClock::default(),
        }
    }

    /// One beacon from `ip`.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refusal> {
        let Some(limit) = &self.per_ip else {
            return Ok(());
        };
        limit
            .limiter
            .check_key(&client_bucket(ip))
            .map_err(|not_until| self.refusal(LimitKind::PerIp, limit.per_minute, not_until))
    }

    /// One request with the key whose digest is `key`.
    pub fn check_key(&self, key: &KeyDigest) -> Result<(), Refusal> {
        let Some(limit) = &self.per_key else {
            return Ok(());
        };
        limit
            .limiter
            .check_key(key)
            .map_err(|not_until| self.refusal(LimitKind::PerKey, limit.per_minute, not_until))
    }

    /// One ingest request of anyone.
    pub fn check_global(&self) -> Result<(), Refusal> {
        let Some(limit) = &self.global else {
            return Ok(());
        };
        limit
            .limiter
            .check()
            .map_err(|not_until| self.refusal(LimitKind::Global, limit.per_minute, not_until))
    }

    fn refusal(
        &self,
        kind: LimitKind,
        per_minute: u32,
        not_until: governor::NotUntil<<DefaultClock as Clock>::Instant>,
    ) -> Refusal {
        let wait = not_until.wait_time_from(self.clock.now());
        Refusal {
            kind,
            retry_after_secs: whole_seconds(wait),
            per_minute,
        }
    }

    /// Forgets clients and keys whose buckets are full again: bounds the
    /// memory the per-address and per-key state takes. Called every few
    /// seconds.
    pub fn forget_idle(&self) {
        if let Some(limit) = &self.per_ip {
            limit.limiter.retain_recent();
            limit.limiter.shrink_to_fit();
        }
        if let Some(limit) = &self.per_key {
            limit.limiter.retain_recent();
        }
    }
}

/// Seconds rounded up, at least 1: `Retry-After: 0` would invite an
/// immediate retry that is refused again.
fn whole_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_ip: u32, per_key: u32, global: u32) -> Limits {
        Limits::new(&LimitsConfig {
            per_ip_per_minute: per_ip,
            per_key_per_minute: per_key,
            global_per_minute: global,
        })
    }

    #[test]
    fn a_minute_worth_passes_then_the_wait_is_told() {
        let limits = limits(2, 0, 0);
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        assert!(limits.check_ip(ip).is_ok());
        assert!(limits.check_ip(ip).is_ok());
        let refusal = limits.check_ip(ip).unwrap_err();
        assert_eq!(refusal.kind, LimitKind::PerIp);
        // One cell comes back every 30 s.
        assert!((29..=30).contains(&refusal.retry_after_secs), "{refusal:?}");
        assert!(refusal.message().contains("limits.per_ip_per_minute"));
        // Another client has its own bucket.
        assert!(limits.check_ip("203.0.113.8".parse().expect("ip")).is_ok());
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let limits = limits(1, 0, 0);
        assert!(limits
            .check_ip("2001:db8:1:2::1".parse().expect("ip"))
            .is_ok());
        assert!(limits
            .check_ip("2001:db8:1:2:ffff::9".parse().expect("ip"))
            .is_err());
        assert!(limits
            .check_ip("2001:db8:1:3::1".parse().expect("ip"))
            .is_ok());
        assert_eq!(
            client_bucket("::ffff:192.0.2.1".parse().expect("ip")),
            "192.0.2.1".parse::<IpAddr>().expect("ip")
        );
    }

    #[test]
    fn keys_and_the_global_limit_count_apart_and_zero_is_off() {
        let limits = limits(0, 1, 3);
        assert!(limits.check_key(&[1; 32]).is_ok());
        assert_eq!(
            limits.check_key(&[1; 32]).unwrap_err().kind,
            LimitKind::PerKey
        );
        assert!(limits.check_key(&[2; 32]).is_ok());
        for _ in 0..3 {
            assert!(limits.check_global().is_ok());
        }
        let refusal = limits.check_global().unwrap_err();
        assert_eq!((refusal.kind, refusal.per_minute), (LimitKind::Global, 3));
        for _ in 0..1000 {
            assert!(limits.check_ip("192.0.2.1".parse().expect("ip")).is_ok());
        }
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1_001)), 2);
        assert_eq!(whole_seconds(Duration::from_secs(30)), 30);
    }
}
