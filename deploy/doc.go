// Package deploy holds Piazza's deployment files: the container image (Dockerfile), the
// OpenTelemetry Collector, Prometheus and Grafana configuration used by the repository's
// docker-compose.yml, and the secrets directory layout. It has no Go API; its tests load the
// compose file and the configuration files offline and check that they agree with each other
// and with the contract of the piazza binary (commands, ports, environment, health checks).
package deploy
