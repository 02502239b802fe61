//! Metrics in Prometheus's text format, served on their own address
//! (`YIZHAN_METRICS_BIND`, off by default) so that they are never public. Requests are
//! counted by route pattern (`/stations/{id}`), never by raw path.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus::{Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// Every metric of one instance.
pub struct Metrics {
    pub(super) registry: Registry,
    pub(super) requests: IntCounterVec,
    pub(super) latency: HistogramVec,
    pub(super) busy: IntCounter,
    pub(super) rate_limited: IntCounterVec,
    pub(super) stations: IntGauge,
    pub(super) version: IntGauge,
    pub(super) snapshot_age: Gauge,
    pub(super) snapshot_reloads: IntGauge,
    pub(super) poll_age: Gauge,
    pub(super) pool_in_use: IntGauge,
    pub(super) pool_size: IntGauge,
    pub(super) write_failures: IntGauge,
    pub(super) upload_slots: IntGauge,
    pub(super) photo_memory: IntGauge,
    pub(super) ledger_slots: IntGauge,
    pub(super) backlog: prometheus::IntGaugeVec,
    pub(super) panics: IntGauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).expect("a valid metric name");
    registry.register(Box::new(g.clone())).expect("registered once");
    g
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new_custom(Some("yizhan".into()), None).expect("registry");
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered, by route pattern, method and status"),
            &["route", "method", "status"],
        )
        .expect("metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Time to answer, by route pattern")
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            &["route"],
        )
        .expect("metric");
        let busy =
            IntCounter::new("busy_answers_total", "Answers 429 or 503: asked to come back later").expect("metric");
        let rate_limited = IntCounterVec::new(
            Opts::new("rate_limited_total", "Requests refused by a per-address limit, by limit"),
            &["limit"],
        )
        .expect("metric");
        let snapshot_age =
            Gauge::new("snapshot_age_seconds", "Seconds since the read snapshot was built or patched").expect("metric");
        let poll_age = Gauge::new("data_version_poll_age_seconds", "Seconds since the data version was last read")
            .expect("metric");
        for m in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(busy.clone()),
            Box::new(rate_limited.clone()),
            Box::new(snapshot_age.clone()),
            Box::new(poll_age.clone()),
        ] {
            registry.register(m).expect("registered once");
        }
        let backlog = prometheus::IntGaugeVec::new(
            Opts::new("moderation_backlog", "Items waiting for staff, by kind"),
            &["kind"],
        )
        .expect("metric");
        registry.register(Box::new(backlog.clone())).expect("registered once");
        Metrics {
            stations: gauge(&registry, "snapshot_stations", "Public stations in the read snapshot"),
            version: gauge(&registry, "snapshot_data_version", "Data version the read snapshot shows"),
            snapshot_reloads: gauge(&registry, "snapshot_full_reloads", "Full reloads of the snapshot since the start"),
            pool_in_use: gauge(&registry, "db_connections_in_use", "Database connections in use"),
            pool_size: gauge(&registry, "db_connections_open", "Database connections open"),
            write_failures: gauge(&registry, "write_failures", "Writes that failed since the start"),
            upload_slots: gauge(&registry, "upload_slots_in_use", "Photo uploads being received or converted"),
            photo_memory: gauge(
                &registry,
                "photo_memory_in_use_megabytes",
                "Megabytes of the photo conversions in flight, of their budget",
            ),
            ledger_slots: gauge(&registry, "ledger_slots_in_use", "Ledger imports and exports running"),
            panics: gauge(&registry, "panics", "Requests that panicked since the start"),
            registry,
            requests,
            latency,
            busy,
            rate_limited,
            snapshot_age,
            poll_age,
            backlog,
        }
    }

    /// A refusal by a per-address limit (`feedback`, `login`).
    pub fn rate_limited(&self, limit: &str) {
        self.rate_limited.with_label_values(&[limit]).inc();
    }
}

/// Middleware: counts and times every answer by its route pattern.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().as_str().to_string();
    let res = next.call(req).await?;
    if let Some(m) = metrics {
        let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_string());
        let status = res.status();
        m.requests.with_label_values(&[route.as_str(), method.as_str(), status.as_str()]).inc();
        m.latency.with_label_values(&[route.as_str()]).observe(started.elapsed().as_secs_f64());
        if status.as_u16() == 429 || status.as_u16() == 503 {
            m.busy.inc();
        }
    }
    Ok(res)
}
