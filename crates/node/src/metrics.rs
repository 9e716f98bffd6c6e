//! Prometheus metrics, served at `/metrics` in the text exposition format.

use std::sync::Arc;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 4 s.
    Histogram::new(exponential_buckets(0.00025, 2.0, 15))
}

/// The node's metrics; cheap to clone (one shared registry).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    appended: Family<Labels, Counter>,
    log_size: Family<Labels, Gauge>,
    mirrored: Family<Labels, Counter>,
    quarantined: Family<Labels, Counter>,
    misbehaviour: Family<Labels, Counter>,
    invalid_entries: Family<Labels, Counter>,
    invalid_objects: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("entente");
        let requests = Family::<Labels, Counter>::default();
        let latency =
            Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let appended = Family::<Labels, Counter>::default();
        let log_size = Family::<Labels, Gauge>::default();
        let mirrored = Family::<Labels, Counter>::default();
        let quarantined = Family::<Labels, Counter>::default();
        let misbehaviour = Family::<Labels, Counter>::default();
        let invalid_entries = Family::<Labels, Counter>::default();
        let invalid_objects = Family::<Labels, Counter>::default();
        registry.register(
            "peer_invalid_entries",
            "Entries of a peer's log that are not a valid envelope: kept for the proofs, never indexed",
            invalid_entries.clone(),
        );
        registry.register(
            "peer_invalid_objects",
            "Partner objects quarantined because they violate a MUST of STIX 2.1",
            invalid_objects.clone(),
        );
        registry.register(
            "mirrored_entries",
            "Log entries verified and applied from a peer",
            mirrored.clone(),
        );
        registry.register(
            "quarantined_objects",
            "Partner objects held back because they hit a warninglist",
            quarantined.clone(),
        );
        registry.register(
            "peer_misbehaviour",
            "Logs of a peer caught misbehaving (evidence written); alert on any increase",
            misbehaviour.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests, by route, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency, by route and method",
            latency.clone(),
        );
        registry.register(
            "objects_appended",
            "Object versions appended to a collection's log",
            appended.clone(),
        );
        registry.register(
            "log_size",
            "Entries in a collection's log (its latest checkpoint's size)",
            log_size.clone(),
        );
        Metrics {
            inner: Arc::new(Inner {
                registry,
                requests,
                latency,
                appended,
                log_size,
                mirrored,
                quarantined,
                misbehaviour,
                invalid_entries,
                invalid_objects,
            }),
        }
    }

    /// Counts a finished request.
    pub fn record_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let labels = vec![("route", route.to_owned()), ("method", method.to_owned())];
        self.inner.latency.get_or_create(&labels).observe(seconds);
        let mut labels = labels;
        labels.push(("status", status.to_string()));
        self.inner.requests.get_or_create(&labels).inc();
    }

    /// Counts appended objects and sets the collection's log size.
    pub fn record_append(&self, collection: &str, added: u64, size: u64) {
        let labels = vec![("collection", collection.to_owned())];
        self.inner.appended.get_or_create(&labels).inc_by(added);
        self.set_size(collection, size);
    }

    /// Sets a collection's log size.
    pub fn set_size(&self, collection: &str, size: u64) {
        let labels = vec![("collection", collection.to_owned())];
        self.inner
            .log_size
            .get_or_create(&labels)
            .set(i64::try_from(size).unwrap_or(i64::MAX));
    }

    /// Counts entries mirrored from a peer and those quarantined.
    pub fn record_mirrored(&self, peer: &str, entries: u64, held: u64) {
        let labels = vec![("peer", peer.to_owned())];
        self.inner.mirrored.get_or_create(&labels).inc_by(entries);
        self.inner.quarantined.get_or_create(&labels).inc_by(held);
    }

    /// Counts a peer's entries that are not valid envelopes and its objects
    /// that are not valid STIX.
    pub fn record_invalid(&self, peer: &str, entries: u64, objects: u64) {
        let labels = vec![("peer", peer.to_owned())];
        self.inner
            .invalid_entries
            .get_or_create(&labels)
            .inc_by(entries);
        self.inner
            .invalid_objects
            .get_or_create(&labels)
            .inc_by(objects);
    }

    /// Counts a log of `peer` caught misbehaving.
    pub fn record_misbehaviour(&self, peer: &str) {
        let labels = vec![("peer", peer.to_owned())];
        self.inner.misbehaviour.get_or_create(&labels).inc();
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.inner.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_what_was_recorded() {
        let m = Metrics::new();
        m.record_request("/taxii2/", "GET", 200, 0.001);
        m.set_size("c1", 42);
        let text = m.render();
        assert!(text.contains(
            "entente_http_requests_total{route=\"/taxii2/\",method=\"GET\",status=\"200\"} 1"
        ));
        assert!(text.contains("entente_log_size{collection=\"c1\"} 42"));
        assert!(text.contains("entente_http_request_duration_seconds_bucket"));
    }

    #[test]
    fn counts_a_peers_invalid_entries_and_objects() {
        let m = Metrics::new();
        m.record_invalid("hostile", 3, 2);
        m.record_invalid("hostile", 1, 0);
        let text = m.render();
        assert!(
            text.contains("entente_peer_invalid_entries_total{peer=\"hostile\"} 4"),
            "{text}"
        );
        assert!(
            text.contains("entente_peer_invalid_objects_total{peer=\"hostile\"} 2"),
            "{text}"
        );
    }
}
