package hub

import (
	"github.com/prometheus/client_golang/prometheus"

	"parley/chat"
)

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
	brokerUp         prometheus.Gauge
	polls            prometheus.Counter
	pollErrors       prometheus.Counter
	pollEvents       prometheus.Counter
	pollChannels     prometheus.Gauge
	pollDuration     prometheus.Histogram
	peerOutages      prometheus.Gauge
	errorFrames      *prometheus.CounterVec
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
			Help: "Channel gap fills from the database started: a delivery still missing after the gap wait, a broker reconnect (one per channel with subscribers), a late broker subscription, a catch-up poll that found a full page.",
		}),
		brokerUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "parley", Subsystem: "hub", Name: "broker_up",
			Help: "1 while the broker is connected; 0 while it is down and the node delivers from the database (catch-up poll).",
		}),
		polls: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "parley", Subsystem: "hub", Name: "catchup_polls_total",
			Help: "Catch-up queries (one per tenant and up to 500 channels) made while the broker was down or a subscription unconfirmed.",
		}),
		pollErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "parley", Subsystem: "hub", Name: "catchup_poll_errors_total",
			Help: "Catch-up queries that failed (tried again the next period).",
		}),
		pollEvents: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "parley", Subsystem: "hub", Name: "catchup_events_total",
			Help: "Events the catch-up poll delivered first (not yet delivered by the broker or locally).",
		}),
		pollChannels: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "parley", Subsystem: "hub", Name: "catchup_channels",
			Help: "Channels the last catch-up poll read (0 while the broker serves every channel).",
		}),
		pollDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "parley", Subsystem: "hub", Name: "catchup_poll_duration_seconds",
			Help:    "Time of one catch-up query.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		peerOutages: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "parley", Subsystem: "hub", Name: "catchup_peer_outages",
			Help: "Other nodes that report they cannot reach the broker (read once per poll period while this node's broker is up); above 0 this node catches up from the database.",
		}),
		errorFrames: newErrorFrames(),
		publishLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "parley", Subsystem: "hub", Name: "publish_duration_seconds",
			Help:    "Time from a publish frame to its ack: Service.PublishDedup (persist) plus the broker publish.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.connections, m.subscriptions, m.messagesIn, m.messagesOut,
			m.queueDrops, m.slowConsumers, m.brokerReconnects, m.resyncs, m.publishLatency,
			m.brokerUp, m.polls, m.pollErrors, m.pollEvents, m.pollChannels, m.pollDuration, m.peerOutages, m.errorFrames)
	}
	return m
}

// newErrorFrames counts error frames by code, every code of the
// vocabulary present from the start, so that a rate over them (an alert
// on "unavailable") has a series to read before the first error.
func newErrorFrames() *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "parley", Subsystem: "hub", Name: "error_frames_total",
		Help: "Requests on sockets answered with an error frame, by chat error code (unavailable: the database or broker did not answer).",
	}, []string{"code"})
	for _, code := range []string{chat.ENotFound, chat.EForbidden, chat.EUnauthenticated, chat.EInvalid,
		chat.EConflict, chat.ERateLimited, chat.ETooLarge, chat.EUnavailable, chat.EInternal} {
		v.WithLabelValues(code)
	}
	return v
}
