// Archive requests built for tests and benchmarks: runs of sequential ids.
// Pure: thread-safe.
#ifndef HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_REQUESTS_H_
#define HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_REQUESTS_H_

#include "hubspot/crm/associations/v1/associations_archive.pb.h"

namespace hubspot_gateway::testing {

// `count` contacts->companies inputs with from ids first_from, first_from + 1,
// ..., each to one company whose id is its from id + `to_offset`.
hubspot::crm::associations::v1::ArchiveAssociationsRequest SequentialRequest(int first_from,
                                                                             int count,
                                                                             int to_offset);

}  // namespace hubspot_gateway::testing

#endif  // HUBSPOT_ARCHIVE_GATEWAY_TESTS_TESTING_REQUESTS_H_
