// ProbeHealth asks a gateway's grpc.health.v1.Health/Check what a load
// balancer's prober (or the kubelet's grpc probe) would see: one Check on a
// fresh connection each time, so a closed port shows as refused rather than
// riding an old connection. Thread-safe (no shared state).
#ifndef HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_HEALTH_PROBE_H_
#define HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_HEALTH_PROBE_H_

#include <string>

namespace hubspot_gateway::testing {

enum class Probe { kServing, kNotServing, kRefused };

// Checks `service` ("" for the server) on 127.0.0.1:`port` within 2 s;
// kRefused when the call fails at all.
Probe ProbeHealth(int port, const std::string& service);

}  // namespace hubspot_gateway::testing

#endif  // HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_HEALTH_PROBE_H_
