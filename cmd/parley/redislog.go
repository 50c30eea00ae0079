package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// redisLogger sends go-redis's own log lines (dial failures, dropped pool
// connections) to zerolog as warnings with component "redis", so that
// the server's log stays one JSON object per line. go-redis keeps its
// logger in a package variable, so this is set once per process, by the
// serve command.
type redisLogger struct{ log zerolog.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn().Msg(strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "))
}

// useRedisLogger installs log as go-redis's logger.
func useRedisLogger(log zerolog.Logger) {
	redis.SetLogger(redisLogger{log: log.With().Str("component", "redis").Logger()})
}
