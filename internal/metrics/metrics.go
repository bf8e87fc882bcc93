// Package metrics holds the server's Prometheus metrics: a registry of its own (never the global
// one, so that several servers, e.g. parallel tests, can live in one process), the Go and process
// collectors, the database pool's statistics and the job status transitions. The HTTP metrics are
// added by package httpapi, which owns Echo.
package metrics

import (
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every paddles metric.
const Namespace = "paddles"

// Metrics is one server's metrics.
type Metrics struct {
	// Registry holds every metric; /metrics exposes it.
	Registry    *prometheus.Registry
	transitions *prometheus.CounterVec
}

// New returns a registry with the Go runtime, process and job status transition metrics.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "job_status_transitions_total",
			Help:      `Committed job status changes; from="new" counts jobs created with the status.`,
		}, []string{"from", "to"}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.transitions,
	)
	return m
}

// StatusChanged counts a job status change; it fits service.Options.StatusChanged, which passes
// "" as from for a new job.
func (m *Metrics) StatusChanged(from, to string) {
	if from == "" {
		from = "new"
	}
	m.transitions.WithLabelValues(from, to).Inc()
}

// WatchPool exposes the statistics of the database pool.
func (m *Metrics) WatchPool(pool *pgxpool.Pool) {
	m.Registry.MustRegister(poolCollector{pool})
}

// WatchEvents exposes the event stream's open subscriptions and the events delivered to this
// process's subscribers.
func (m *Metrics) WatchEvents(subscribers, delivered func() int64) {
	m.Registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: "event_subscribers",
			Help: "Open /events/ streams."}, func() float64 { return float64(subscribers()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: "events_delivered_total",
			Help: "Events read from the database for this process's /events/ streams."}, func() float64 { return float64(delivered()) }),
	)
}

// Handler serves the registry in Prometheus' exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.InstrumentMetricHandler(m.Registry, promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{
		Registry:          m.Registry,
		EnableOpenMetrics: true,
	}))
}

// poolCollector reads pgxpool.Stat() at every scrape.
type poolCollector struct{ pool *pgxpool.Pool }

func poolDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "db_pool", name), help, nil, nil)
}

var (
	poolAcquiredConns     = poolDesc("acquired_conns", "Connections in use.")
	poolIdleConns         = poolDesc("idle_conns", "Idle connections.")
	poolConstructingConns = poolDesc("constructing_conns", "Connections being opened.")
	poolTotalConns        = poolDesc("total_conns", "Connections in the pool (acquired, idle and constructing).")
	poolMaxConns          = poolDesc("max_conns", "The pool's size limit (--db-max-conns).")
	poolAcquires          = poolDesc("acquires_total", "Successful acquisitions of a connection.")
	poolAcquireSeconds    = poolDesc("acquire_duration_seconds_total", "Time spent acquiring connections.")
	poolEmptyAcquires     = poolDesc("empty_acquires_total", "Acquisitions that had to wait for a connection, the pool being empty.")
	poolEmptyWaitSeconds  = poolDesc("empty_acquire_wait_seconds_total", "Time spent waiting for a connection when the pool was empty.")
	poolCanceledAcquires  = poolDesc("canceled_acquires_total", "Acquisitions canceled by their context.")
	poolNewConns          = poolDesc("new_conns_total", "Connections opened.")
	poolLifetimeDestroys  = poolDesc("max_lifetime_destroys_total", "Connections closed for exceeding their maximum lifetime.")
	poolIdleDestroys      = poolDesc("max_idle_destroys_total", "Connections closed for exceeding their maximum idle time.")
)

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolAcquiredConns, poolIdleConns, poolConstructingConns, poolTotalConns,
		poolMaxConns, poolAcquires, poolAcquireSeconds, poolEmptyAcquires, poolEmptyWaitSeconds,
		poolCanceledAcquires, poolNewConns, poolLifetimeDestroys, poolIdleDestroys} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(poolAcquiredConns, float64(s.AcquiredConns()))
	gauge(poolIdleConns, float64(s.IdleConns()))
	gauge(poolConstructingConns, float64(s.ConstructingConns()))
	gauge(poolTotalConns, float64(s.TotalConns()))
	gauge(poolMaxConns, float64(s.MaxConns()))
	counter(poolAcquires, float64(s.AcquireCount()))
	counter(poolAcquireSeconds, s.AcquireDuration().Seconds())
	counter(poolEmptyAcquires, float64(s.EmptyAcquireCount()))
	counter(poolEmptyWaitSeconds, s.EmptyAcquireWaitTime().Seconds())
	counter(poolCanceledAcquires, float64(s.CanceledAcquireCount()))
	counter(poolNewConns, float64(s.NewConnsCount()))
	counter(poolLifetimeDestroys, float64(s.MaxLifetimeDestroyCount()))
	counter(poolIdleDestroys, float64(s.MaxIdleDestroyCount()))
}
