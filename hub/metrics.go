package hub

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	connections      prometheus.Gauge
	subscriptions    prometheus.Gauge
	messagesIn       prometheus.Counter
	messagesOut      prometheus.Counter
	queueDrops       prometheus.Counter
	slowConsumers    prometheus.Counter
	brokerReconnects prometheus.Counter
	resyncs          prometheus.Counter
	publishLatency   prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "parley", Subsystem: "hub", Name: "connections",
			Help: "Open WebSocket connections on this node.",
		}),
		subscriptions: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "parley", Subsystem: "hub", Name: "subscriptions",
			Help: "Channel subscriptions of the open connections on this node.",
		}),
		messagesIn: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "parley", Subsystem: "hub", Name: "frames_in_total",
			Help: "Client frames received.",
		}),
		messagesOut: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "parley", Subsystem: "hub", Name: "frames_out_total",
			Help: "Server frames queued to connections.",
		}),
		queueDrops: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "parley", Subsystem: "hub", Name: "queue_drops_total",
			Help: "Frames dropped because the connection's queue was full or closing.",
		}),
		slowConsumers: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "parley", Subsystem: "hub", Name: "slow_consumer_disconnects_total",
			Help: "Connections closed because their send queue overflowed.",
		}),
		brokerReconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "parley", Subsystem: "hub", Name: "broker_reconnects_total",
			Help: "Broker subscriptions lost and re-established.",
		}),
		resyncs: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "parley", Subsystem: "hub", Name: "resyncs_total",
			Help: "Channel gap fills from the database (out-of-order or lost broker deliveries, reconnects).",
		}),
		publishLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "parley", Subsystem: "hub", Name: "publish_duration_seconds",
			Help:    "Time from a publish frame to its ack: Service.PublishDedup (persist) plus the broker publish.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.connections, m.subscriptions, m.messagesIn, m.messagesOut,
			m.queueDrops, m.slowConsumers, m.brokerReconnects, m.resyncs, m.publishLatency)
	}
	return m
}
