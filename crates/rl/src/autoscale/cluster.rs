//! The cluster model shared by every controller: replicas that start after a
//! delay, an M/M/c latency model and the accounting of SLO violations and
//! replica-seconds.

use std::collections::VecDeque;
use std::sync::Arc;

/// Erlang's C formula: the probability that a request waits in an M/M/c
/// queue with `servers` servers and offered load `a = lambda / mu` (in
/// servers). Returns 1 when the queue is unstable (`a >= servers`).
pub fn erlang_c(servers: u32, offered_load: f64) -> f64 {
    let c = f64::from(servers);
    if servers == 0 || offered_load >= c {
        return 1.0;
    }
    if offered_load <= 0.0 {
        return 0.0;
    }
    // Erlang B by the stable recurrence B(k) = a B(k-1) / (k + a B(k-1)).
    let mut b = 1.0;
    for k in 1..=servers {
        b = offered_load * b / (f64::from(k) + offered_load * b);
    }
    let rho = offered_load / c;
    b / (1.0 - rho * (1.0 - b))
}

/// Mean response time of an M/M/c queue: `S (1 + C(c, a) / (c - a))` where
/// `S` is the mean service time. Infinite when `a >= c` (including no
/// servers with load), `S` when there is no load.
pub fn mmc_mean_latency(servers: u32, offered_load: f64, service_time_secs: f64) -> f64 {
    if offered_load <= 0.0 {
        return service_time_secs;
    }
    let c = f64::from(servers);
    if offered_load >= c {
        return f64::INFINITY;
    }
    service_time_secs * (1.0 + erlang_c(servers, offered_load) / (c - offered_load))
}

/// The largest offered load (in servers) that `servers` replicas carry
/// within the latency SLO (`slo_factor` = SLO / service time > 1), found by
/// bisection on the monotone M/M/c latency.
pub fn max_load_within_slo(servers: u32, slo_factor: f64) -> f64 {
    if servers == 0 || slo_factor <= 1.0 {
        return 0.0;
    }
    let (mut lo, mut hi) = (0.0, f64::from(servers));
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if mmc_mean_latency(servers, mid, 1.0) <= slo_factor {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// What happened over a stretch of simulated time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Usage {
    pub(crate) violation_secs: f64,
    pub(crate) replica_secs: f64,
}

impl Usage {
    pub(crate) fn add(&mut self, other: Usage) {
        self.violation_secs += other.violation_secs;
        self.replica_secs += other.replica_secs;
    }
}

/// Replicas serving traffic plus batches still starting.
#[derive(Debug, Clone)]
pub(crate) struct Cluster {
    pub(crate) now: f64,
    ready: u32,
    /// `(ready_at, count)`, in order of `ready_at`.
    pending: VecDeque<(f64, u32)>,
    pending_total: u32,
    startup_secs: f64,
    /// Cached `max_load_within_slo` per ready count.
    slo_capacity: Arc<[f64]>,
    slo_factor: f64,
}

impl Cluster {
    /// The load each ready-replica count carries within the SLO, for
    /// `0..=max_replicas` (computed once per environment, shared by copies).
    pub(crate) fn slo_table(slo_factor: f64, max_replicas: u32) -> Arc<[f64]> {
        (0..=max_replicas)
            .map(|c| max_load_within_slo(c, slo_factor))
            .collect()
    }

    #[cfg(test)]
    pub(crate) fn new(
        replicas: u32,
        startup_secs: f64,
        slo_factor: f64,
        max_replicas: u32,
    ) -> Self {
        let table = Self::slo_table(slo_factor, max_replicas);
        Self::with_table(replicas, startup_secs, slo_factor, table)
    }

    pub(crate) fn with_table(
        replicas: u32,
        startup_secs: f64,
        slo_factor: f64,
        slo_capacity: Arc<[f64]>,
    ) -> Self {
        Cluster {
            now: 0.0,
            ready: replicas,
            pending: VecDeque::new(),
            pending_total: 0,
            startup_secs,
            slo_capacity,
            slo_factor,
        }
    }

    /// Replicas that exist (ready or starting).
    pub(crate) fn replicas(&self) -> u32 {
        self.ready + self.pending_total
    }

    pub(crate) fn ready(&self) -> u32 {
        self.ready
    }

    pub(crate) fn starting(&self) -> u32 {
        self.pending_total
    }

    /// Sets the replica count: new replicas start now and serve after the
    /// start-up delay; removals take starting replicas first (newest first),
    /// as a Deployment scale-down deletes unready pods first.
    pub(crate) fn scale_to(&mut self, target: u32) {
        let current = self.replicas();
        if target > current {
            self.pending
                .push_back((self.now + self.startup_secs, target - current));
            self.pending_total += target - current;
        } else {
            let mut remove = current - target;
            while remove > 0 {
                let Some(back) = self.pending.back_mut() else {
                    break;
                };
                let take = back.1.min(remove);
                back.1 -= take;
                remove -= take;
                self.pending_total -= take;
                if back.1 == 0 {
                    self.pending.pop_back();
                }
            }
            self.ready -= remove.min(self.ready);
        }
    }

    /// Whether `ready` replicas violate the SLO under `load` (servers).
    pub(crate) fn violates(&self, ready: u32, load: f64) -> bool {
        if load <= 0.0 {
            return false;
        }
        match self.slo_capacity.get(ready as usize) {
            Some(&cap) => load > cap,
            None => mmc_mean_latency(ready, load, 1.0) > self.slo_factor,
        }
    }

    /// Advances `dt` seconds under a constant offered `load` (in servers).
    pub(crate) fn advance(&mut self, dt: f64, load: f64) -> Usage {
        let end = self.now + dt;
        let mut usage = Usage::default();
        loop {
            let next_ready = self.pending.front().map(|p| p.0).filter(|&t| t < end);
            let seg_end = next_ready.unwrap_or(end);
            let len = (seg_end - self.now).max(0.0);
            if self.violates(self.ready, load) {
                usage.violation_secs += len;
            }
            usage.replica_secs += len * f64::from(self.replicas());
            self.now = seg_end;
            match next_ready {
                Some(_) => {
                    if let Some((_, n)) = self.pending.pop_front() {
                        self.ready += n;
                        self.pending_total -= n;
                    }
                }
                None => break,
            }
        }
        usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_known_values() {
        // c = 1: C = rho.
        assert!((erlang_c(1, 0.5) - 0.5).abs() < 1e-12);
        // c = 2, a = 1: C = 1/3.
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        // Textbook: c = 10, a = 8 gives C ~ 0.4092.
        assert!((erlang_c(10, 8.0) - 0.4092).abs() < 1e-3);
        assert_eq!(erlang_c(3, 3.0), 1.0);
    }

    #[test]
    fn latency_grows_to_infinity_near_saturation() {
        let s = 0.1;
        let l1 = mmc_mean_latency(4, 2.0, s);
        let l2 = mmc_mean_latency(4, 3.5, s);
        let l3 = mmc_mean_latency(4, 3.99, s);
        assert!(s < l1 && l1 < l2 && l2 < l3);
        assert!(mmc_mean_latency(4, 4.0, s).is_infinite());
        assert!(mmc_mean_latency(0, 1.0, s).is_infinite());
        // M/M/1: W = S / (1 - rho).
        assert!((mmc_mean_latency(1, 0.5, s) - 0.2).abs() < 1e-12);
    }

    #[test]
    fn slo_capacity_is_the_latency_boundary() {
        let cap = max_load_within_slo(10, 2.0);
        assert!(mmc_mean_latency(10, cap - 1e-6, 1.0) <= 2.0);
        assert!(mmc_mean_latency(10, cap + 1e-6, 1.0) > 2.0);
        // Pooling: 20 replicas carry more than twice what 10 do.
        assert!(max_load_within_slo(20, 2.0) > 2.0 * cap);
    }

    #[test]
    fn startup_delay_and_accounting() {
        let mut c = Cluster::new(2, 60.0, 2.0, 50);
        c.scale_to(6);
        assert_eq!((c.ready(), c.starting()), (2, 4));
        // Load 3 servers: 2 ready replicas violate until the 4 new ones serve at t = 60.
        let u = c.advance(300.0, 3.0);
        assert!((u.violation_secs - 60.0).abs() < 1e-9);
        assert!((u.replica_secs - 6.0 * 300.0).abs() < 1e-9);
        assert_eq!((c.ready(), c.starting()), (6, 0));
        // Scale-down removes starting replicas first.
        c.scale_to(9);
        c.scale_to(7);
        assert_eq!((c.ready(), c.starting()), (6, 1));
        c.scale_to(3);
        assert_eq!((c.ready(), c.starting()), (3, 0));
    }
}
