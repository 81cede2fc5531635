// How containers run on this development machine, for the image tests, the image benchmark and the
// Knative stand-in alike.

/**
 * What `podman run` needs here: runc (crun fails in this VM), explicit rlimits (podman's
 * defaults raise them, which needs CAP_SYS_RESOURCE the VM does not grant), the host's network
 * (loopback servers are reachable, no bridge is set up), and no scheduled HEALTHCHECK (podman
 * schedules it with systemd timers, and this machine runs no systemd; `podman exec` runs the
 * image's check on demand).
 */
export const LOCAL_PODMAN_RUN_FLAGS: readonly string[] = [
  "--runtime",
  "runc",
  "--network=host",
  "--ulimit",
  "nofile=4096:4096",
  "--ulimit",
  "nproc=4096:4096",
  "--no-healthcheck",
];
