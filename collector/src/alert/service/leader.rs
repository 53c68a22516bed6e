//! Which collector evaluates: among those alive (heartbeat newer than the
//! lease), the one running longest (ties by id). A collector that has not
//! yet been alive for a whole lease does not lead: its peers may not have
//! seen its heartbeat, nor it theirs, and two leaders would notify twice.

use crate::store::queries::LiveInstance;

pub fn leads(
    live: &[LiveInstance],
    me: &str,
    my_start_millis: i64,
    now_millis: i64,
    lease_millis: i64,
) -> bool {
    if now_millis.saturating_sub(my_start_millis) < lease_millis {
        return false;
    }
    let oldest = live
        .iter()
        .min_by(|a, b| (a.started_at_millis, &a.instance).cmp(&(b.started_at_millis, &b.instance)));
    // Our own heartbeat not yet visible: lead only when nobody else is.
    oldest.is_none_or(|first| first.instance == me)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(pairs: &[(&str, i64)]) -> Vec<LiveInstance> {
        pairs
            .iter()
            .map(|(id, started)| LiveInstance {
                instance: id.to_string(),
                started_at_millis: *started,
            })
            .collect()
    }

    #[test]
    fn the_oldest_live_collector_leads_once_its_lease_has_passed() {
        let peers = live(&[("b", 1_000), ("a", 2_000)]);
        assert!(leads(&peers, "b", 1_000, 10_000, 5_000));
        assert!(!leads(&peers, "a", 2_000, 10_000, 5_000));
        // Too young to lead, even alone.
        assert!(!leads(&live(&[("a", 8_000)]), "a", 8_000, 10_000, 5_000));
        // Same start: the smaller id.
        let tied = live(&[("b", 1_000), ("a", 1_000)]);
        assert!(leads(&tied, "a", 1_000, 10_000, 5_000));
        assert!(!leads(&tied, "b", 1_000, 10_000, 5_000));
        // Nobody visible (own heartbeat not stored yet): lead.
        assert!(leads(&[], "a", 0, 10_000, 5_000));
    }
}
