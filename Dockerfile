# Parley in a container: docs/deploy.md, "Container".
#   docker build -t parley .
#   docker run -p 8080:8080 -v parley-data:/var/lib/parley --ulimit nofile=65536:65536 parley
# Build stage: a static binary (modernc SQLite is pure Go, so no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/parley ./cmd/parley \
 && mkdir -p /out/data

# Run stage: distroless static, no shell, runs as the nonroot user (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/parley /usr/local/bin/parley
COPY --from=build --chown=65532:65532 /out/data /var/lib/parley
ENV PARLEY_LISTEN=:8080 \
    PARLEY_DATA_DIR=/var/lib/parley \
    PARLEY_LOG_FORMAT=json
VOLUME /var/lib/parley
EXPOSE 8080
USER nonroot:nonroot
# No curl in distroless: the binary asks its own /readyz.
HEALTHCHECK --interval=10s --timeout=4s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/parley", "healthcheck"]
# SIGTERM drains the sockets (PARLEY_SHUTDOWN_DRAIN) and waits for requests
# up to PARLEY_SHUTDOWN_TIMEOUT (15 s): run with --stop-timeout 30.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/parley"]
CMD ["serve"]
